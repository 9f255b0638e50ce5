//! The Drift view: the serving stream's drift board, and its charts drawn by plotters.

use gatehouse_charts::drift::{drift_svg, export_drift, heatmap, score_marks, DriftChart};
use gatehouse_charts::{Format, Theme};
use gatehouse_core::monitor::{parse_method, ChartMark, DriftBoard, FeatureDrift};
use gatehouse_core::time::{Clock, SystemClock};
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

/// The drift of the followed model's serving stream, window by window, through the policy's
/// methods or through `method` for every feature it applies to.
#[tauri::command]
pub async fn drift_board(
    state: State<'_, AppState>,
    method: Option<String>,
) -> Result<DriftBoard, IpcError> {
    state.drift_board(parse_method(method.as_deref())?).await
}

/// The feature of `board` named `name`.
fn feature<'b>(board: &'b DriftBoard, name: &str) -> Result<&'b FeatureDrift, IpcError> {
    board
        .features
        .iter()
        .find(|f| f.name == name)
        .ok_or_else(|| Error::NotFound(format!("no feature `{name}` in the drift board")).into())
}

/// A chart named by the panel: `score` or `histogram` of `feature` (with `window` picked), or
/// `heatmap` of the whole board.
fn chart<'b>(
    board: &'b DriftBoard,
    chart: &str,
    name: Option<&str>,
    window: Option<u32>,
) -> Result<DriftChart<'b>, IpcError> {
    let window = window.map(|w| w as usize);
    let named = || feature(board, name.unwrap_or_default());
    match chart {
        "score" => Ok(DriftChart::Score {
            feature: named()?,
            window,
        }),
        "histogram" => Ok(DriftChart::Histogram {
            feature: named()?,
            window,
        }),
        "heatmap" => Ok(DriftChart::Heatmap(board)),
        other => Err(Error::Invalid(format!(
            "unknown chart `{other}`: score, histogram or heatmap"
        ))
        .into()),
    }
}

/// One feature's chart as SVG: `score` (over time, with its threshold, onset and the picked
/// window) or `histogram` (reference against the picked window, else the latest).
#[tauri::command]
pub async fn drift_chart(
    state: State<'_, AppState>,
    feature: String,
    chart: String,
    theme: String,
    method: Option<String>,
    window: Option<u32>,
) -> Result<String, IpcError> {
    let theme = self::theme(&theme)?;
    let board = state.drift_board(parse_method(method.as_deref())?).await?;
    drawn(drift_svg(
        self::chart(&board, &chart, Some(&feature), window)?,
        theme,
    ))
}

/// Where the score chart of `feature` draws each window, for the panel's hover read-out.
#[tauri::command]
pub async fn drift_marks(
    state: State<'_, AppState>,
    feature: String,
    method: Option<String>,
) -> Result<Vec<ChartMark>, IpcError> {
    let board = state.drift_board(parse_method(method.as_deref())?).await?;
    Ok(score_marks(self::feature(&board, &feature)?)
        .into_iter()
        .map(|(window, x, y)| ChartMark {
            window: window as u32,
            x,
            y,
        })
        .collect())
}

/// Features × windows, coloured by drift, as SVG.
#[tauri::command]
pub async fn drift_heatmap(
    state: State<'_, AppState>,
    theme: String,
    method: Option<String>,
) -> Result<String, IpcError> {
    let theme = self::theme(&theme)?;
    let board = state.drift_board(parse_method(method.as_deref())?).await?;
    drawn(heatmap(&board, theme))
}

/// Writes the chart the panel shows to `<workspace>/exports/` as SVG or PNG and returns the
/// file's path.
#[tauri::command]
#[allow(clippy::too_many_arguments)] // Every argument is one of the view's choices.
pub async fn drift_export(
    state: State<'_, AppState>,
    feature: Option<String>,
    chart: String,
    theme: String,
    method: Option<String>,
    window: Option<u32>,
    format: String,
) -> Result<String, IpcError> {
    let theme = self::theme(&theme)?;
    let format = match format.as_str() {
        "svg" => Format::Svg,
        "png" => Format::Png,
        other => {
            return Err(Error::Invalid(format!("unknown format `{other}`: svg or png")).into())
        }
    };
    let board = state.drift_board(parse_method(method.as_deref())?).await?;
    let drawn_chart = self::chart(&board, &chart, feature.as_deref(), window)?;
    let bytes = export_drift(drawn_chart, format, theme).map_err(|e| {
        IpcError::from(Error::Port {
            code: gatehouse_core::ErrorCode::Internal,
            message: format!("cannot draw the chart: {e}"),
        })
    })?;
    let name = export_name(feature.as_deref(), &chart, &format);
    let path = state.write_export(&name, &bytes)?;
    Ok(path.display().to_string())
}

/// `drift-income-score-20261127T001500Z.png`: the feature and chart, and when.
fn export_name(feature: Option<&str>, chart: &str, format: &Format) -> String {
    let safe: String = feature
        .unwrap_or("board")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let ext = match format {
        Format::Svg => "svg",
        Format::Png => "png",
    };
    let stamp = SystemClock.now().0;
    format!("drift-{safe}-{chart}-{stamp}.{ext}")
}
