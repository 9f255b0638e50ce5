//! The Drift view: the live drift feed — a monitor task that computes the board whenever the
//! workspace changes (or, for a board read from Prometheus, once the policy's refresh interval
//! has passed), records what the retrain trigger reads, and pushes each new board over a
//! channel — and the charts of a board the view names, drawn by plotters.
//!
//! The computation is the core's and the connectors' (`prometheus_drift::live_board`,
//! `monitor::share_reading`); this module schedules it and forwards the results. The boards of
//! the last steps are held, so a paused view can still redraw the board it shows (in another
//! theme, say) after the feed has moved on.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use gatehouse_charts::drift::{drift_svg, export_drift, heatmap, score_marks, DriftChart};
use gatehouse_charts::{Format, Theme};
use gatehouse_connectors::prometheus_drift::{live_board, reads_prometheus};
use gatehouse_core::monitor::{
    parse_method, share_reading, ChartMark, DriftBoard, DriftUpdate, FeatureDrift, Method,
};
use gatehouse_core::ports::WorkspaceRead as _;
use gatehouse_core::time::{Clock, SystemClock};
use gatehouse_core::{Error, ErrorReport};
use gatehouse_store::{Revision, Workspace};
use tauri::ipc::Channel;
use tauri::{Manager as _, State};

use crate::error::IpcError;
use crate::state::AppState;

/// How often the monitor task checks whether the workspace changed.
const POLL: Duration = Duration::from_millis(500);
/// How many recent boards (per step and method) stay drawable.
const HELD: usize = 48;

/// The live drift feed: the latest push, and the boards charts may still be drawn of.
pub struct DriftFeed {
    pushed: tokio::sync::watch::Sender<Option<DriftUpdate>>,
    held: tokio::sync::Mutex<VecDeque<(u32, Option<Method>, DriftBoard)>>,
}

impl DriftFeed {
    fn new() -> DriftFeed {
        DriftFeed {
            pushed: tokio::sync::watch::Sender::new(None),
            held: tokio::sync::Mutex::new(VecDeque::new()),
        }
    }

    /// The step of the latest push.
    fn seq(&self) -> Option<u32> {
        self.pushed.borrow().as_ref().map(|u| match u {
            DriftUpdate::Ready { seq, .. } | DriftUpdate::Failed { seq, .. } => *seq,
        })
    }

    async fn hold(&self, seq: u32, method: Option<Method>, board: DriftBoard) {
        let mut held = self.held.lock().await;
        if held.len() >= HELD {
            held.pop_front();
        }
        held.push_back((seq, method, board));
    }
}

/// Manages the drift feed and starts its monitor task.
pub fn start_monitor(app: &tauri::AppHandle) {
    app.manage(DriftFeed::new());
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        monitor(&app.state::<DriftFeed>(), &app.state::<AppState>()).await;
    });
}

/// Follows the workspace the panel shows (a drill's copy while one runs): computes the board
/// whenever its revision changes, and for a board read from Prometheus also every
/// `refresh_secs` of the metrics back end; pushes each result that differs from the last (a
/// failure too: the view keeps its last board, marked stale).
async fn monitor(feed: &DriftFeed, state: &AppState) {
    let mut seq = 0u32;
    let mut seen = None;
    let mut remote = false;
    let mut due = Instant::now();
    let mut last: Option<Result<DriftBoard, ErrorReport>> = None;
    loop {
        let ws = state
            .workspace()
            .cloned()
            .or_else(|_| state.workspace.clone());
        if seen.as_ref() != Some(&revision_of(&ws).await) || (remote && Instant::now() >= due) {
            let result = match &ws {
                Ok(ws) => refresh(ws, &mut remote, &mut due).await,
                Err(report) => Err(report.clone()),
            };
            // The reading just recorded moved the revision: no reason to compute again.
            seen = Some(revision_of(&ws).await);
            if last.as_ref() != Some(&result) {
                seq += 1;
                let update = match &result {
                    Ok(board) => {
                        feed.hold(seq, None, board.clone()).await;
                        DriftUpdate::Ready {
                            seq,
                            board: Box::new(board.clone()),
                        }
                    }
                    Err(error) => DriftUpdate::Failed {
                        seq,
                        error: error.clone(),
                    },
                };
                feed.pushed.send_replace(Some(update));
                last = Some(result);
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Which workspace, at which revision; an unreadable revision is a state of its own, so a
/// failure is computed and pushed once, not on every poll.
async fn revision_of(ws: &Result<Workspace, ErrorReport>) -> Result<(PathBuf, Revision), String> {
    match ws {
        Ok(ws) => ws
            .revision()
            .await
            .map(|r| (ws.dir().to_owned(), r))
            .map_err(|e| e.to_string()),
        Err(report) => Err(report.message.clone()),
    }
}

/// The board of `ws` now. For a board read from Prometheus, also when to read it again (after a
/// failure too, so a server that is down is not asked twice a second) and the share the retrain
/// trigger reads, recorded (the demo's stream records its own).
async fn refresh(
    ws: &Workspace,
    remote: &mut bool,
    due: &mut Instant,
) -> Result<DriftBoard, ErrorReport> {
    let policy = ws.policy().map_err(|e| Error::from(e).report())?;
    *remote = reads_prometheus(&policy);
    let board = live_board(&policy, ws, SystemClock.now(), None).await;
    if !*remote {
        return board.map_err(|e| e.report());
    }
    *due = Instant::now() + Duration::from_secs(policy.backends.metrics.refresh_secs.into());
    let board = board.map_err(|e| e.report())?;
    // A failed write shows as the trigger's reading going stale; the board is still pushed.
    if let Ok(latest) = ws.latest_readings(&policy.model).await {
        if let Some(reading) = share_reading(&board, &latest, "drift:prometheus") {
            let _ = ws.record_reading(&reading).await;
        }
    }
    Ok(board)
}

/// Pushes the drift feed on `on_update`: the latest board at once, then every new one, until
/// the webview drops the channel. A paused view keeps receiving; it only stops redrawing.
#[tauri::command]
pub async fn watch_drift(
    feed: State<'_, DriftFeed>,
    on_update: Channel<DriftUpdate>,
) -> Result<(), IpcError> {
    let mut updates = feed.pushed.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            let update = updates.borrow_and_update().clone();
            if let Some(update) = update {
                if on_update.send(update).is_err() {
                    break;
                }
            }
            if updates.changed().await.is_err() {
                break;
            }
        }
    });
    Ok(())
}

/// The board of step `seq` through the policy's methods or through `method` (for every feature
/// it applies to): held if the feed still holds it, computed now if `seq` is the latest step.
async fn board_at(
    state: &AppState,
    feed: &DriftFeed,
    seq: u32,
    method: Option<Method>,
) -> Result<DriftBoard, IpcError> {
    // One computation per step and method, however many charts ask for it at once.
    let mut held = feed.held.lock().await;
    if let Some((_, _, board)) = held.iter().find(|(s, m, _)| *s == seq && *m == method) {
        return Ok(board.clone());
    }
    if feed.seq() != Some(seq) {
        return Err(Error::NotFound(format!(
            "the drift board of step {seq} is no longer held: resume live updates to see the latest"
        ))
        .into());
    }
    let board = live_board(
        &state.policy()?,
        state.workspace()?,
        SystemClock.now(),
        method,
    )
    .await?;
    if held.len() >= HELD {
        held.pop_front();
    }
    held.push_back((seq, method, board.clone()));
    Ok(board)
}

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

/// The board of step `seq` of the drift feed, through the policy's methods or through `method`
/// for every feature it applies to.
#[tauri::command]
pub async fn drift_board(
    state: State<'_, AppState>,
    feed: State<'_, DriftFeed>,
    seq: u32,
    method: Option<String>,
) -> Result<DriftBoard, IpcError> {
    board_at(&state, &feed, seq, parse_method(method.as_deref())?).await
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
#[allow(clippy::too_many_arguments)] // Every argument is one of the view's choices.
pub async fn drift_chart(
    state: State<'_, AppState>,
    feed: State<'_, DriftFeed>,
    seq: u32,
    feature: String,
    chart: String,
    theme: String,
    method: Option<String>,
    window: Option<u32>,
) -> Result<String, IpcError> {
    let theme = self::theme(&theme)?;
    let board = board_at(&state, &feed, seq, parse_method(method.as_deref())?).await?;
    drawn(drift_svg(
        self::chart(&board, &chart, Some(&feature), window)?,
        theme,
    ))
}

/// Where the score chart of `feature` draws each window, for the panel's hover read-out.
#[tauri::command]
pub async fn drift_marks(
    state: State<'_, AppState>,
    feed: State<'_, DriftFeed>,
    seq: u32,
    feature: String,
    method: Option<String>,
) -> Result<Vec<ChartMark>, IpcError> {
    let board = board_at(&state, &feed, seq, parse_method(method.as_deref())?).await?;
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
    feed: State<'_, DriftFeed>,
    seq: u32,
    theme: String,
    method: Option<String>,
) -> Result<String, IpcError> {
    let theme = self::theme(&theme)?;
    let board = board_at(&state, &feed, seq, parse_method(method.as_deref())?).await?;
    drawn(heatmap(&board, theme))
}

/// Writes the chart the panel shows to `<workspace>/exports/` as SVG or PNG and returns the
/// file's path.
#[tauri::command]
#[allow(clippy::too_many_arguments)] // Every argument is one of the view's choices.
pub async fn drift_export(
    state: State<'_, AppState>,
    feed: State<'_, DriftFeed>,
    seq: u32,
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
    let board = board_at(&state, &feed, seq, parse_method(method.as_deref())?).await?;
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
