//! The team store, live: its change notices, and who else is looking at the requests a view
//! shows.

use gatehouse_core::presence::Looking;
use gatehouse_core::promotion::RequestId;
use tauri::ipc::Channel;
use tauri::State;

use crate::error::IpcError;
use crate::state::AppState;
use crate::team;

/// Sends on `on_change` whenever any desktop changes the team store (requests, approvals,
/// pointer moves, audit events), at once; nothing on a workspace without a team store.
#[tauri::command]
pub async fn watch_team(
    state: State<'_, AppState>,
    on_change: Channel<u64>,
) -> Result<(), IpcError> {
    team::forward(state.nudges(), on_change);
    Ok(())
}

/// Says that the acting user looks at `requests` now, and at no other (an empty list ends the
/// look); returns who else looks at which of them. Views beat every `BEAT_SECS`.
#[tauri::command]
pub async fn team_presence(
    state: State<'_, AppState>,
    requests: Vec<i64>,
) -> Result<Vec<Looking>, IpcError> {
    let requests: Vec<RequestId> = requests.into_iter().map(RequestId).collect();
    state.look_at(&requests).await
}
