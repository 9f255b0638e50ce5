//! The Rollout view: the live analysis of the rollout in progress, its charts drawn by plotters,
//! and a person's override or abort. Confirming the proposed rollback is the `rollback` command.

use gatehouse_charts::rollout::metric_chart;
use gatehouse_core::promotion::PromotionRequest;
use gatehouse_core::rollout::Analysis;
use gatehouse_core::rollout_view::RolloutView;
use gatehouse_core::Error;
use tauri::State;

use crate::commands::drift::{drawn, theme};
use crate::error::IpcError;
use crate::state::AppState;

/// The rollout of the followed model as the acting user sees it now.
#[tauri::command]
pub async fn rollout_view(state: State<'_, AppState>) -> Result<RolloutView, IpcError> {
    state.rollout_view().await
}

/// One metric's measurements against its conditions, as SVG.
#[tauri::command]
pub async fn rollout_chart(
    state: State<'_, AppState>,
    metric: String,
    theme: String,
) -> Result<String, IpcError> {
    let theme = self::theme(&theme)?;
    let view = state.rollout_view().await?;
    let m = view
        .live
        .analysis
        .metrics
        .iter()
        .find(|m| m.spec.name == metric)
        .ok_or_else(|| Error::NotFound(format!("the rollout analysis has no metric `{metric}`")))?;
    drawn(metric_chart(m, theme))
}

/// Promotes despite the analysis, with a reason, for a role that may override gates.
#[tauri::command]
pub async fn rollout_override(
    state: State<'_, AppState>,
    reason: String,
) -> Result<Analysis, IpcError> {
    state
        .rollout(async |r| r.override_analysis(&reason).await)
        .await
}

/// Aborts the rollout: the pointer goes back to the stable version, with a reason.
#[tauri::command]
pub async fn rollout_abort(
    state: State<'_, AppState>,
    reason: String,
) -> Result<PromotionRequest, IpcError> {
    state.rollout(async |r| r.abort(&reason).await).await
}
