//! Learn mode: the guided tour for the acting user, marking steps done, and the team's progress.
//! They always read the workspace the panel opened, also while a drill copy is shown.

use gatehouse_core::learn::{LearnProgress, MemberProgress, StepId, TourView};
use gatehouse_core::time::{Clock, SystemClock};
use tauri::State;

use crate::error::IpcError;
use crate::state::AppState;

/// The tour with the team's owners and the loop's states, and the acting user's progress.
#[tauri::command]
pub async fn learn_tour(state: State<'_, AppState>) -> Result<TourView, IpcError> {
    let ws = state.home()?;
    Ok(ws.tour_view(state.user()?, SystemClock.now()).await?)
}

/// Marks `step` done for the acting user; refuses a step the tour does not have.
#[tauri::command]
pub async fn learn_complete(
    state: State<'_, AppState>,
    step: String,
) -> Result<LearnProgress, IpcError> {
    let ws = state.home()?;
    let step = StepId(step);
    Ok(ws
        .complete_step(state.user()?, &step, SystemClock.now())
        .await?)
}

/// Every user's progress through the tour and the drills.
#[tauri::command]
pub async fn learn_team(state: State<'_, AppState>) -> Result<Vec<MemberProgress>, IpcError> {
    Ok(state.home()?.team_progress_with_drills().await?)
}
