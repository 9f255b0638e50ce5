//! The Monitor view: a model's system signals per version over a time range, its drift and
//! quality proxies, and their charts drawn by plotters.

use gatehouse_charts::monitor::{drift_share_chart, signal_chart};
use gatehouse_charts::Theme;
use gatehouse_core::signals::{MonitorView, SystemSignal};
use gatehouse_core::time::{Clock, SystemClock};
use gatehouse_core::Error;
use tauri::State;

use crate::error::IpcError;
use crate::state::AppState;

/// The followed model's signals over the last `range_minutes`, from Prometheus or the demo
/// workspace's serving stream. The charts of the same refresh draw this view.
#[tauri::command]
pub async fn monitor_view(
    state: State<'_, AppState>,
    range_minutes: u32,
) -> Result<MonitorView, IpcError> {
    let (ws, policy) = (state.workspace()?, state.policy()?);
    let range_ms = i64::from(range_minutes) * 60_000;
    let view =
        gatehouse_connectors::monitor::monitor_view(&policy, ws, SystemClock.now(), range_ms)
            .await?;
    *state.monitor.lock().await = Some(view.clone());
    Ok(view)
}

/// One chart of the last view read, as SVG: a signal's id (such as `latency_p95`) or
/// `drift_share`.
#[tauri::command]
pub async fn monitor_chart(
    state: State<'_, AppState>,
    chart: String,
    theme: String,
) -> Result<String, IpcError> {
    let theme = match theme.as_str() {
        "light" => Theme::Light,
        "dark" => Theme::Dark,
        other => {
            return Err(Error::Invalid(format!("unknown theme `{other}`: light or dark")).into())
        }
    };
    let guard = state.monitor.lock().await;
    let view = guard
        .as_ref()
        .ok_or_else(|| Error::NotFound("no monitor view has been read yet".into()))?;
    let drawn = match (chart.as_str(), SystemSignal::from_id(&chart), &view.drift) {
        (_, Some(signal), _) => signal_chart(view, signal, theme),
        ("drift_share", None, Some(drift)) => drift_share_chart(drift, (view.from, view.to), theme),
        ("drift_share", None, None) => {
            return Err(Error::NotFound("the model has no monitored serving stream".into()).into())
        }
        (other, None, _) => {
            return Err(Error::Invalid(format!("unknown monitor chart `{other}`")).into())
        }
    };
    drawn.map_err(|e| {
        IpcError::from(Error::Port {
            code: gatehouse_core::ErrorCode::Internal,
            message: format!("cannot draw the chart: {e}"),
        })
    })
}
