//! Registry, promotions, rollbacks and the audit log: each command hands its validated arguments
//! to a core use-case as the acting user.

use gatehouse_connectors::live;
use gatehouse_core::access::{session, Session};
use gatehouse_core::audit::{verify, AuditEvent, Verification};
use gatehouse_core::ports::PromotionStore;
use gatehouse_core::promotion::{PromotionRequest, RequestId, RequestView, RollbackPlan};
use gatehouse_core::reading::ModelName;
use gatehouse_core::registry::{PointerName, RegistryView, VersionId};
use gatehouse_core::time::{Clock, SystemClock};
use tauri::State;

use crate::error::IpcError;
use crate::state::AppState;

/// Who acts through this panel, with their roles.
#[tauri::command]
pub async fn session_info(state: State<'_, AppState>) -> Result<Session, IpcError> {
    Ok(session(&state.policy()?, state.user()?))
}

/// The registry the policy names: models with their versions, pointers and legacy stages, or,
/// while a remote registry is down, its last good listing marked with the reason.
#[tauri::command]
pub async fn registry_models(state: State<'_, AppState>) -> Result<RegistryView, IpcError> {
    let ws = state.workspace()?;
    Ok(live::registry_view(&state.policy()?, ws, SystemClock.now()).await?)
}

/// Every request, newest first, with whether the acting user may approve it.
#[tauri::command]
pub async fn promotion_requests(state: State<'_, AppState>) -> Result<Vec<RequestView>, IpcError> {
    state.act(async |desk| desk.request_views().await).await
}

/// Asks for `model@pointer` to move to `version`.
#[tauri::command]
pub async fn request_promotion(
    state: State<'_, AppState>,
    model: String,
    version: String,
    pointer: String,
    reason: String,
) -> Result<PromotionRequest, IpcError> {
    let (model, version, pointer) = (ModelName(model), VersionId(version), PointerName(pointer));
    state
        .act(async |desk| desk.request(&model, &version, &pointer, &reason).await)
        .await
}

/// Approves a request; the approval that completes the count executes it.
#[tauri::command]
pub async fn approve_request(
    state: State<'_, AppState>,
    id: i64,
    reason: Option<String>,
) -> Result<PromotionRequest, IpcError> {
    state
        .act(async |desk| desk.approve(RequestId(id), reason.as_deref()).await)
        .await
}

/// Rejects a request with a reason.
#[tauri::command]
pub async fn reject_request(
    state: State<'_, AppState>,
    id: i64,
    reason: String,
) -> Result<PromotionRequest, IpcError> {
    state
        .act(async |desk| desk.reject(RequestId(id), &reason).await)
        .await
}

/// What a rollback would do: from → to, before anyone confirms.
#[tauri::command]
pub async fn rollback_plan(
    state: State<'_, AppState>,
    model: String,
    pointer: Option<String>,
    to: Option<String>,
) -> Result<RollbackPlan, IpcError> {
    let (model, pointer, to) = (
        ModelName(model),
        pointer.map(PointerName),
        to.map(VersionId),
    );
    state
        .act(async |desk| {
            desk.rollback_plan(&model, pointer.as_ref(), to.as_ref())
                .await
        })
        .await
}

/// Rolls a pointer back, with a reason.
#[tauri::command]
pub async fn rollback(
    state: State<'_, AppState>,
    model: String,
    pointer: Option<String>,
    to: Option<String>,
    reason: String,
) -> Result<PromotionRequest, IpcError> {
    let (model, pointer, to) = (
        ModelName(model),
        pointer.map(PointerName),
        to.map(VersionId),
    );
    state
        .act(async |desk| {
            desk.rollback(&model, pointer.as_ref(), to.as_ref(), &reason)
                .await
        })
        .await
}

/// The audit log in order.
#[tauri::command]
pub async fn audit_events(state: State<'_, AppState>) -> Result<Vec<AuditEvent>, IpcError> {
    Ok(state.workspace()?.audit_log().await?)
}

/// Verifies the audit log's hash chain.
#[tauri::command]
pub async fn audit_verify(state: State<'_, AppState>) -> Result<Verification, IpcError> {
    Ok(verify(&state.workspace()?.audit_log().await?))
}
