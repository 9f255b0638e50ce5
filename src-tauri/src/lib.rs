//! The Gatehouse panel: a thin Tauri 2 shell. It opens a workspace (creating the demo workspace on
//! first run), registers the app commands, and nothing else; every decision is made in the core
//! crates.

mod commands;
mod error;
mod state;

use std::path::PathBuf;
use std::process::ExitCode;

/// Where the panel opens: `--workspace DIR`, else `$GATEHOUSE_WORKSPACE`, else the OS data dir.
fn workspace_dir() -> PathBuf {
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--workspace" {
            if let Some(dir) = args.next() {
                return PathBuf::from(dir);
            }
        } else if let Some(dir) = arg.to_str().and_then(|a| a.strip_prefix("--workspace=")) {
            return PathBuf::from(dir);
        }
    }
    gatehouse_store::default_dir()
}

/// Runs the panel until its window closes.
pub fn run() -> ExitCode {
    let dir = workspace_dir();
    let result = tauri::Builder::default()
        .setup(move |app| {
            use tauri::Manager as _;
            let state = tauri::async_runtime::block_on(state::AppState::open(dir));
            app.manage(state);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::loop_view::loop_view,
            commands::loop_view::watch_loop,
        ])
        .run(tauri::generate_context!());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gatehouse: the panel stopped: {e}");
            ExitCode::FAILURE
        }
    }
}
