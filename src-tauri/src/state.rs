//! What the panel holds while it runs: the open workspace, or why it could not be opened.

use std::path::PathBuf;

use gatehouse_core::demo;
use gatehouse_core::time::{Clock, SystemClock};
use gatehouse_core::ErrorReport;
use gatehouse_store::Workspace;

/// The panel's state, shared by every command.
pub struct AppState {
    /// The workspace, or the error that kept it closed (shown by the panel instead of a blank
    /// window).
    pub workspace: Result<Workspace, ErrorReport>,
}

impl AppState {
    /// Opens the workspace in `dir`. A missing or empty directory gets the demo workspace, so that
    /// a first run shows a real loop without connecting anything.
    pub async fn open(dir: PathBuf) -> AppState {
        let fresh = match std::fs::read_dir(&dir) {
            Ok(mut entries) => entries.next().is_none(),
            Err(e) => e.kind() == std::io::ErrorKind::NotFound,
        };
        let opened = if fresh {
            let generated = demo::generate(demo::DEFAULT_SEED, SystemClock.now());
            Workspace::create_demo(&dir, &generated).await
        } else {
            Workspace::open(&dir).await
        };
        AppState {
            workspace: opened.map_err(|e| gatehouse_core::Error::from(e).report()),
        }
    }
}
