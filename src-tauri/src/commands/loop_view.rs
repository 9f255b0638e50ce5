//! The Loop view: the loop's status with its layout, once or live.

use std::time::Duration;

use gatehouse_core::time::{Clock, SystemClock};
use gatehouse_core::view::{LoopUpdate, LoopView};
use tauri::ipc::Channel;
use tauri::State;

use crate::error::IpcError;
use crate::state::AppState;

/// How often the workspace is checked for changes made by other processes.
const POLL: Duration = Duration::from_millis(500);

/// The loop as it stands now.
#[tauri::command]
pub async fn loop_view(state: State<'_, AppState>) -> Result<LoopView, IpcError> {
    Ok(state.workspace()?.loop_view(SystemClock.now()).await?)
}

/// Pushes the loop on `on_update` now and whenever the workspace or its policy changes, until the
/// webview drops the channel.
#[tauri::command]
pub async fn watch_loop(
    state: State<'_, AppState>,
    on_update: Channel<LoopUpdate>,
) -> Result<(), IpcError> {
    let ws = state.workspace()?.clone();
    tauri::async_runtime::spawn(async move {
        // An unreadable revision counts as a state of its own, so a failure is pushed once, not
        // on every poll.
        let mut last = None;
        loop {
            let revision = ws.revision().await.map_err(|e| e.to_string());
            if last.as_ref() != Some(&revision) {
                last = Some(revision);
                if on_update
                    .send(ws.loop_update(SystemClock.now()).await)
                    .is_err()
                {
                    break;
                }
            }
            tokio::time::sleep(POLL).await;
        }
    });
    Ok(())
}
