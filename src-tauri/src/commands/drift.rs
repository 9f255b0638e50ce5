//! The Drift view: the serving stream's drift board, and its charts drawn by plotters.

use gatehouse_charts::drift::{heatmap, histogram_chart, score_chart};
use gatehouse_charts::Theme;
use gatehouse_core::monitor::DriftBoard;
use gatehouse_core::Error;
use tauri::State;

use crate::error::IpcError;
use crate::state::AppState;

/// The chart theme a command's argument names.
pub(crate) fn theme(name: &str) -> Result<Theme, IpcError> {
    match name {
        "light" => Ok(Theme::Light),
        "dark" => Ok(Theme::Dark),
        other => Err(Error::Invalid(format!("unknown theme `{other}`: light or dark")).into()),
    }
}

/// A drawn chart, or the error a person sees instead.
pub(crate) fn drawn(
    result: Result<String, gatehouse_charts::ChartError>,
) -> Result<String, IpcError> {
    result.map_err(|e| {
        IpcError::from(Error::Port {
            code: gatehouse_core::ErrorCode::Internal,
            message: format!("cannot draw the chart: {e}"),
        })
    })
}

/// The drift of the followed model's serving stream, window by window.
#[tauri::command]
pub async fn drift_board(state: State<'_, AppState>) -> Result<DriftBoard, IpcError> {
    state.drift_board().await
}

/// One feature's chart as SVG: `score` (over time, with its threshold) or `histogram`.
#[tauri::command]
pub async fn drift_chart(
    state: State<'_, AppState>,
    feature: String,
    chart: String,
    theme: String,
) -> Result<String, IpcError> {
    let theme = self::theme(&theme)?;
    let board = state.drift_board().await?;
    let f = board
        .features
        .iter()
        .find(|f| f.name == feature)
        .ok_or_else(|| Error::NotFound(format!("no feature `{feature}` in the drift board")))?;
    match chart.as_str() {
        "score" => drawn(score_chart(f, theme)),
        "histogram" => drawn(histogram_chart(f, theme)),
        other => Err(Error::Invalid(format!("unknown chart `{other}`: score or histogram")).into()),
    }
}

/// Features × windows, coloured by drift, as SVG.
#[tauri::command]
pub async fn drift_heatmap(state: State<'_, AppState>, theme: String) -> Result<String, IpcError> {
    let theme = self::theme(&theme)?;
    drawn(heatmap(&state.drift_board().await?, theme))
}
