//! The Monitor view's data, from the metrics back end the policy names: Prometheus with the
//! queries of `[monitor]`, or, for the embedded workspace, its own serving stream. Both the panel
//! and the tests read it here.

use std::time::Duration;

use gatehouse_core::monitor::Samples;
use gatehouse_core::policy::{BackendKind, Policy};
use gatehouse_core::ports::WorkspaceRead;
use gatehouse_core::signals::{self, MonitorView, SignalSource};
use gatehouse_core::time::Timestamp;
use gatehouse_core::Error;

use crate::prometheus::Prometheus;
use crate::ClientOptions;

/// The longest range the view reads, so one request never asks for months of samples.
pub const MAX_RANGE_MS: i64 = 7 * 24 * Timestamp::HOUR_MS;
/// Points per line the view asks Prometheus for: enough for a smooth line, few enough to draw
/// twenty charts a second.
const POINTS: i64 = 120;

/// The Monitor view of the policy's model over the `range_ms` before `now`.
pub async fn monitor_view<W: WorkspaceRead + Samples + Sync>(
    policy: &Policy,
    ws: &W,
    now: Timestamp,
    range_ms: i64,
) -> Result<MonitorView, Error> {
    if !(60_000..=MAX_RANGE_MS).contains(&range_ms) {
        return Err(Error::Invalid(format!(
            "a monitor range lasts from a minute to a week; {range_ms} ms is out of range"
        )));
    }
    let range = (Timestamp(now.0 - range_ms), now);
    // A workspace with no monitored stream has no drift to show, which is not an error. The
    // board is the Drift view's: from Prometheus histograms when the policy reads them there.
    let board = crate::prometheus_drift::live_board(policy, ws, now, None)
        .await
        .ok();
    let latest = ws.latest_readings(&policy.model).await?;
    let backend = &policy.backends.metrics;
    let (source, series) = match backend.kind {
        BackendKind::Prometheus => {
            let prometheus = Prometheus::from_backend(backend, ClientOptions::default())?;
            // Whole seconds, at least 15 s (a common scrape interval).
            let step_s = (range_ms / POINTS / 1000).max(15);
            let step = Duration::from_secs(step_s.unsigned_abs());
            let series = prometheus
                .system_series(&policy.monitor, policy.model.as_str(), range, step)
                .await?;
            (SignalSource::Prometheus, series)
        }
        BackendKind::Embedded => {
            let windows = ws.windows(&policy.model).await?;
            let serving = serving_versions(policy, ws).await?;
            let series = signals::demo_series(&windows, board.as_ref(), &serving, range);
            (SignalSource::ServingStream, series)
        }
        BackendKind::Mlflow | BackendKind::Alertmanager => {
            return Err(Error::Invalid(
                "[backends.metrics] must be prometheus or embedded".into(),
            ))
        }
    };
    Ok(signals::view(
        policy,
        source,
        range,
        series,
        board.as_ref(),
        &latest,
    ))
}

/// The versions of the policy's model that serve in the embedded workspace and their share of
/// traffic: the production pointer's version, and a `canary` pointer's version at a tenth.
async fn serving_versions<W: WorkspaceRead>(
    policy: &Policy,
    ws: &W,
) -> Result<Vec<(String, f64)>, Error> {
    let models = ws.models().await?;
    let Some(model) = models.iter().find(|m| m.name == policy.model) else {
        return Ok(Vec::new());
    };
    let production = model
        .pointers
        .get(&policy.promotion.production_pointer)
        .map(|v| v.to_string());
    let canary = model
        .pointers
        .get(&gatehouse_core::registry::PointerName::from("canary"))
        .map(|v| v.to_string())
        .filter(|c| Some(c) != production.as_ref());
    Ok(match (production, canary) {
        (Some(p), Some(c)) => vec![(p, 0.9), (c, 0.1)],
        (Some(p), None) => vec![(p, 1.0)],
        (None, Some(c)) => vec![(c, 1.0)],
        (None, None) => Vec::new(),
    })
}
