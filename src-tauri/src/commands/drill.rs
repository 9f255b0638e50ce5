//! Learn drills: the list with the acting user's best results, and a drill's life on its copy
//! (start, status with the script moved on, hints, finish). While a drill runs every other
//! command reads and acts on the copy (`AppState::workspace`). Also the incident responses the
//! drills train: quarantining a batch and asking a model's owner to retrain it.

use gatehouse_core::audit::AuditEvent;
use gatehouse_core::drill::{Debrief, DrillCard, DrillId, DrillStatus};
use gatehouse_core::policy::{Owner, OwnerId};
use gatehouse_core::time::{Clock, SystemClock};
use gatehouse_core::Error;
use tauri::State;

use crate::error::IpcError;
use crate::state::AppState;

/// The drills with the acting user's best result of each, from the workspace the panel opened.
#[tauri::command]
pub async fn drill_list(state: State<'_, AppState>) -> Result<Vec<DrillCard>, IpcError> {
    Ok(state.home()?.drill_cards(state.user()?).await?)
}

/// Starts `drill` on a fresh copy of the demo workspace and shows the copy in the panel.
#[tauri::command]
pub async fn drill_start(
    state: State<'_, AppState>,
    drill: String,
) -> Result<DrillStatus, IpcError> {
    if state.drill_copy().is_some() {
        return Err(Error::Invalid("a drill is running: finish or give it up first".into()).into());
    }
    let now = SystemClock.now();
    let copy = state
        .home()?
        .start_drill(&DrillId(drill), state.user()?, now)
        .await?;
    let status = copy.drill_status(now).await?;
    state.open_drill(copy);
    Ok(status)
}

/// The drills the acting user left unfinished in a panel that closed mid-drill.
#[tauri::command]
pub async fn drill_unfinished(state: State<'_, AppState>) -> Result<Vec<DrillStatus>, IpcError> {
    Ok(state
        .home()?
        .unfinished_drills(state.user()?, SystemClock.now())
        .await?)
}

/// Goes back to the unfinished drill in `drills/<copy>` and shows its copy in the panel.
#[tauri::command]
pub async fn drill_resume(
    state: State<'_, AppState>,
    copy: String,
) -> Result<DrillStatus, IpcError> {
    if state.drill_copy().is_some() {
        return Err(Error::Invalid("a drill is running: finish or give it up first".into()).into());
    }
    let now = SystemClock.now();
    let copy = state
        .home()?
        .resume_drill(&copy, state.user()?, now)
        .await?;
    let status = copy.drill_status(now).await?;
    state.open_drill(copy);
    Ok(status)
}

/// The running drill, with its script's changes that fell due applied; none when no drill runs.
#[tauri::command]
pub async fn drill_status(state: State<'_, AppState>) -> Result<Option<DrillStatus>, IpcError> {
    let Some(copy) = state.drill_copy() else {
        return Ok(None);
    };
    let now = SystemClock.now();
    copy.advance_drill(now).await?;
    Ok(Some(copy.drill_status(now).await?))
}

/// The running drill's next hint, counted against the score.
#[tauri::command]
pub async fn drill_hint(state: State<'_, AppState>) -> Result<DrillStatus, IpcError> {
    let copy = state
        .drill_copy()
        .ok_or_else(|| Error::Invalid("no drill is running".into()))?;
    Ok(copy.take_hint(state.user()?, SystemClock.now()).await?)
}

/// Finishes (or gives up) the running drill, keeps the result and shows the workspace again.
#[tauri::command]
pub async fn drill_finish(state: State<'_, AppState>, give_up: bool) -> Result<Debrief, IpcError> {
    let copy = state
        .drill_copy()
        .ok_or_else(|| Error::Invalid("no drill is running".into()))?;
    let debrief = copy
        .finish_drill(state.user()?, give_up, SystemClock.now())
        .await?;
    state.close_drill().await;
    Ok(debrief)
}

/// Quarantines `batch` of the followed model as the acting user, with a reason.
#[tauri::command]
pub async fn quarantine_batch(
    state: State<'_, AppState>,
    batch: String,
    reason: String,
) -> Result<AuditEvent, IpcError> {
    state
        .respond(async |responder| responder.quarantine_batch(&batch, &reason).await)
        .await
}

/// Asks `owner` to retrain the followed model as the acting user, with a reason.
#[tauri::command]
pub async fn request_retraining(
    state: State<'_, AppState>,
    owner: String,
    reason: String,
) -> Result<AuditEvent, IpcError> {
    let owner = OwnerId(owner);
    state
        .respond(async |responder| {
            let model = &responder.policy.model;
            responder.request_retraining(model, &owner, &reason).await
        })
        .await
}

/// The policy's owners, who may be asked to retrain.
#[tauri::command]
pub async fn policy_owners(state: State<'_, AppState>) -> Result<Vec<Owner>, IpcError> {
    Ok(state.policy()?.owners.into_values().collect())
}
