//! The Alerts view: alerts with owners and runbooks; acknowledgement as a silence with who and why.

use gatehouse_connectors::alerts::AlertBackend;
use gatehouse_core::alert::{parse_duration, Alert, AlertDesk};
use gatehouse_core::policy::OwnerId;
use gatehouse_core::time::{Clock, SystemClock};
use tauri::State;

use crate::error::IpcError;
use crate::state::AppState;

/// Runs `f` against an alert desk for the acting user, now.
async fn with_desk<T>(
    state: &AppState,
    f: impl AsyncFnOnce(
        &AlertDesk<'_, AlertBackend, gatehouse_store::Workspace>,
    ) -> Result<T, gatehouse_core::Error>,
) -> Result<T, IpcError> {
    let (ws, policy, now) = (state.workspace()?, state.policy()?, SystemClock.now());
    let source = AlertBackend::for_workspace(&policy, ws, now).await?;
    let desk = AlertDesk {
        policy: &policy,
        actor: state.user()?.clone(),
        now,
        source: &source,
        audit: ws,
    };
    Ok(f(&desk).await?)
}

/// Every alert, or those of one owner, firing first.
#[tauri::command]
pub async fn alerts_list(
    state: State<'_, AppState>,
    owner: Option<String>,
) -> Result<Vec<Alert>, IpcError> {
    with_desk(&state, async |desk| match &owner {
        Some(o) => desk.alerts_of(&OwnerId::from(o.as_str())).await,
        None => desk.alerts().await,
    })
    .await
}

/// Acknowledges an alert for a while (such as `2h`), with a reason.
#[tauri::command]
pub async fn alert_ack(
    state: State<'_, AppState>,
    alert: String,
    duration: String,
    reason: String,
) -> Result<Alert, IpcError> {
    let duration_ms = parse_duration(&duration)?;
    with_desk(&state, async |desk| {
        desk.acknowledge(&alert, duration_ms, &reason).await
    })
    .await
}

/// Takes an acknowledgement back.
#[tauri::command]
pub async fn alert_unack(
    state: State<'_, AppState>,
    alert: String,
    reason: Option<String>,
) -> Result<Alert, IpcError> {
    with_desk(&state, async |desk| {
        desk.unacknowledge(&alert, reason.as_deref()).await
    })
    .await
}
