//! The Gatehouse panel: a thin Tauri 2 shell. It opens a workspace (creating the demo workspace on
//! first run), registers the app commands, and nothing else; every decision is made in the core
//! crates.

mod commands;
mod error;
mod state;
mod team;

use std::path::PathBuf;
use std::process::ExitCode;

/// The value of `--NAME VALUE` or `--NAME=VALUE` among the process's arguments.
fn flag(name: &str) -> Option<String> {
    let long = format!("--{name}");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == long {
            return args.next();
        }
        if let Some(value) = arg.strip_prefix(&format!("{long}=")) {
            return Some(value.to_owned());
        }
    }
    None
}

/// Where the panel opens: `--workspace DIR`, else `$GATEHOUSE_WORKSPACE`, else the OS data dir.
fn workspace_dir() -> PathBuf {
    flag("workspace")
        .map(PathBuf::from)
        .unwrap_or_else(gatehouse_store::default_dir)
}

/// Who acts: `--user NAME`, else `$GATEHOUSE_USER`, else the OS account.
fn user() -> Option<String> {
    flag("user").or_else(|| {
        std::env::var("GATEHOUSE_USER")
            .ok()
            .filter(|u| !u.is_empty())
    })
}

/// How often a demo workspace's serving stream moves on: `$GATEHOUSE_DEMO_STREAM_SECS`
/// (0 turns it off), else every 20 s.
fn demo_stream_interval() -> Option<std::time::Duration> {
    let secs = std::env::var("GATEHOUSE_DEMO_STREAM_SECS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(20);
    (secs > 0).then(|| std::time::Duration::from_secs(secs))
}

/// How often the panel looks for alerts of the acting user that start firing:
/// `$GATEHOUSE_ALERT_WATCH_SECS` (0 turns it off), else every 30 s.
fn alert_watch_interval() -> Option<std::time::Duration> {
    let secs = std::env::var("GATEHOUSE_ALERT_WATCH_SECS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(30);
    (secs > 0).then(|| std::time::Duration::from_secs(secs))
}

/// Runs the panel until its window closes.
pub fn run() -> ExitCode {
    let (dir, user) = (workspace_dir(), user());
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .setup(move |app| {
            use tauri::Manager as _;
            let state = tauri::async_runtime::block_on(state::AppState::open(dir, user));
            if let Some(every) = demo_stream_interval() {
                state.start_demo_stream(every);
            }
            if let Some(every) = alert_watch_interval() {
                state.start_alert_watch(app.handle().clone(), every);
            }
            app.manage(state);
            commands::drift::start_monitor(app.handle());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::loop_view::loop_view,
            commands::loop_export::loop_export,
            commands::loop_view::watch_loop,
            commands::promotions::session_info,
            commands::promotions::registry_models,
            commands::promotions::promotion_requests,
            commands::promotions::request_promotion,
            commands::promotions::approve_request,
            commands::promotions::reject_request,
            commands::promotions::rollback_plan,
            commands::promotions::rollback,
            commands::promotions::audit_events,
            commands::promotions::audit_verify,
            commands::alerts::alerts_list,
            commands::alerts::alert_ack,
            commands::alerts::alert_unack,
            commands::drift::drift_board,
            commands::drift::watch_drift,
            commands::drift::drift_chart,
            commands::drift::drift_heatmap,
            commands::drift::drift_marks,
            commands::drift::drift_export,
            commands::monitor::monitor_view,
            commands::monitor::monitor_chart,
            commands::rollout::rollout_view,
            commands::rollout::rollout_chart,
            commands::rollout::rollout_override,
            commands::rollout::rollout_abort,
            commands::learn::learn_tour,
            commands::learn::learn_complete,
            commands::learn::learn_team,
            commands::drill::drill_list,
            commands::drill::drill_start,
            commands::drill::drill_status,
            commands::drill::drill_hint,
            commands::drill::drill_finish,
            commands::drill::drill_unfinished,
            commands::drill::drill_resume,
            commands::drill::quarantine_batch,
            commands::drill::request_retraining,
            commands::drill::policy_owners,
            commands::team::team_presence,
            commands::team::watch_team,
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
