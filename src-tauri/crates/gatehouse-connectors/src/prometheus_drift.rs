//! The drift engine's samples read from Prometheus: per feature of the policy's
//! `[drift.prometheus]`, `sum by (le)(increase(<feature>_bucket{labels}[w]))` at the end of the
//! reference window and of each current window, as binned samples
//! ([`SampleValues::Binned`]) behind the core's [`Samples`] port. The board and the CLI's
//! latest-window report are then computed by the core and the drift engine, exactly as for the
//! workspace's own stream; only the methods that make sense on bins apply
//! (`gatehouse_drift::compare_binned`).

use std::collections::BTreeMap;
use std::time::Duration;

use gatehouse_core::drift_source::{fmt_utc, HistogramSource};
use gatehouse_core::monitor::{
    self, Bins, DatasetDrift, DriftBoard, Method, Options, SampleValues, SampleWindow, Samples,
};
use gatehouse_core::policy::Policy;
use gatehouse_core::reading::ModelName;
use gatehouse_core::time::Timestamp;
use gatehouse_core::Error;

use crate::error::ConnectorError;
use crate::prometheus::Prometheus;

/// The features' histograms in one Prometheus, over the windows the policy names at `now`.
pub struct HistogramSamples<'a> {
    prometheus: &'a Prometheus,
    source: &'a HistogramSource,
    now: Timestamp,
}

impl<'a> HistogramSamples<'a> {
    /// Reads `source`'s features from `prometheus`, with the last window ending at `now`.
    pub fn new(
        prometheus: &'a Prometheus,
        source: &'a HistogramSource,
        now: Timestamp,
    ) -> HistogramSamples<'a> {
        HistogramSamples {
            prometheus,
            source,
            now,
        }
    }

    /// One feature's bins over `(start, end]`.
    async fn bins(
        &self,
        feature: &str,
        (start, end): (Timestamp, Timestamp),
    ) -> Result<SampleValues, Error> {
        let labels: Vec<(&str, &str)> = self
            .source
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let width = Duration::from_millis(u64::try_from(end.0 - start.0).unwrap_or(0));
        let bins = self
            .prometheus
            .feature_bins(feature, &labels, width, end)
            .await
            .map_err(|e| in_feature(feature, &format!(", window ending {}", fmt_utc(end)), e))?;
        Ok(SampleValues::Binned(Bins {
            upper_bounds: bins.edges,
            counts: bins.counts,
        }))
    }

    /// A feature whose histogram Prometheus does not hold at all is named as such, rather than
    /// as an empty window.
    async fn check_exported(&self, feature: &str) -> Result<(), Error> {
        let series = format!("{feature}_bucket{}", selector(&self.source.labels));
        let (from, _) = self.source.reference_at(self.now);
        let first = self
            .source
            .windows_at(self.now)
            .first()
            .map_or(self.now, |w| w.0);
        let found = self
            .prometheus
            .series(&[series.as_str()], from.min(first), self.now)
            .await
            .map_err(|e| in_feature(feature, "", e))?;
        if found.is_empty() {
            return Err(Error::NotFound(format!(
                "drift feature `{feature}`: prometheus at {} has no series `{series}` between {} and {} (is the histogram exported with these labels?)",
                self.prometheus.url(),
                fmt_utc(from.min(first)),
                fmt_utc(self.now)
            )));
        }
        Ok(())
    }
}

/// The model's samples are the series the policy's labels pick; `model` is not added to them.
impl Samples for HistogramSamples<'_> {
    async fn reference(&self, _model: &ModelName) -> Result<BTreeMap<String, SampleValues>, Error> {
        let window = self.source.reference_at(self.now);
        let mut out = BTreeMap::new();
        for feature in &self.source.features {
            self.check_exported(feature).await?;
            out.insert(feature.clone(), self.bins(feature, window).await?);
        }
        Ok(out)
    }

    async fn windows(&self, _model: &ModelName) -> Result<Vec<SampleWindow>, Error> {
        let mut out = Vec::new();
        for (start, end) in self.source.windows_at(self.now) {
            let mut features = BTreeMap::new();
            for feature in &self.source.features {
                features.insert(feature.clone(), self.bins(feature, (start, end)).await?);
            }
            out.push(SampleWindow {
                start,
                end,
                features,
            });
        }
        Ok(out)
    }
}

/// The policy's `[drift.prometheus]`, or why there is none.
pub fn source(policy: &Policy) -> Result<&HistogramSource, Error> {
    policy.drift.prometheus.as_ref().ok_or_else(|| {
        Error::Invalid(
            "the policy has no [drift.prometheus] table naming the feature histograms".into(),
        )
    })
}

/// The drift board of the policy's model from Prometheus at `now`, through the policy's
/// methods or `method` where it applies (see `monitor::rules_with_method`).
pub async fn board(
    policy: &Policy,
    prometheus: &Prometheus,
    now: Timestamp,
    method: Option<Method>,
) -> Result<DriftBoard, Error> {
    let samples = HistogramSamples::new(prometheus, source(policy)?, now);
    monitor::board_with_method(policy, &samples, method).await
}

/// Whether the policy's drift board is read from Prometheus (`[drift.prometheus]`) rather than
/// from the workspace's own samples: such a board changes with time, not with the workspace.
pub fn reads_prometheus(policy: &Policy) -> bool {
    policy.drift.prometheus.is_some()
}

/// The drift board a live panel shows at `now`: from Prometheus when the policy has
/// `[drift.prometheus]` (its windows ending at the last whole window before `now`, so that a
/// board read again within a window is the same board), else from `workspace`'s own samples.
pub async fn live_board(
    policy: &Policy,
    workspace: &(impl Samples + Sync),
    now: Timestamp,
    method: Option<Method>,
) -> Result<DriftBoard, Error> {
    let Some(source) = &policy.drift.prometheus else {
        return monitor::board_with_method(policy, workspace, method).await;
    };
    let prometheus = crate::prometheus::for_policy(policy)?.ok_or_else(|| {
        Error::Invalid(
            "[drift.prometheus] reads the policy's prometheus, but [backends.metrics] is not one: run `gatehouse connect prometheus URL`".into(),
        )
    })?;
    let whole = Timestamp(now.0 - now.0.rem_euclid(source.window_ms));
    board(policy, &prometheus, whole, method).await
}

/// The latest window against the reference, per feature, as `gatehouse drift` reports two
/// files (see `monitor::window_report`).
pub async fn latest(
    policy: &Policy,
    prometheus: &Prometheus,
    now: Timestamp,
    options: Option<Options>,
) -> Result<DatasetDrift, Error> {
    let source = source(policy)?;
    let samples = HistogramSamples::new(prometheus, source, now);
    let reference = samples.reference(&policy.model).await?;
    let (start, end) = source.windows_at(now).last().copied().unwrap_or((now, now));
    let mut features = BTreeMap::new();
    for name in reference.keys() {
        features.insert(name.clone(), samples.bins(name, (start, end)).await?);
    }
    let window = SampleWindow {
        start,
        end,
        features,
    };
    monitor::window_report(&policy.drift, &reference, &window, options)
}

/// A connector failure, with the feature (and `window`, said as `, window ending …`) it
/// happened at.
fn in_feature(feature: &str, window: &str, e: ConnectorError) -> Error {
    let e = Error::from(e);
    Error::Port {
        code: e.code(),
        message: format!("drift feature `{feature}`{window}: {e}"),
    }
}

/// `{name="value",…}` with values escaped as PromQL strings are (names were checked with the
/// policy), or nothing without labels.
fn selector(labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let pairs: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            let escaped = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{k}=\"{escaped}\"")
        })
        .collect();
    format!("{{{}}}", pairs.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A workspace without a serving stream.
    struct NoStream;

    impl Samples for NoStream {
        async fn reference(&self, _: &ModelName) -> Result<BTreeMap<String, SampleValues>, Error> {
            Ok(BTreeMap::new())
        }
        async fn windows(&self, _: &ModelName) -> Result<Vec<SampleWindow>, Error> {
            Ok(Vec::new())
        }
    }

    #[tokio::test]
    async fn histograms_need_a_prometheus_to_be_read_from() {
        let policy = Policy::parse(
            "[workspace]\nname = \"t\"\nmodel = \"churn\"\n[drift.prometheus]\nfeatures = [\"tenure_months\"]\n",
            "gatehouse.toml",
        )
        .unwrap();
        let err = live_board(&policy, &NoStream, Timestamp(0), None)
            .await
            .unwrap_err();
        assert_eq!(err.code(), gatehouse_core::ErrorCode::Invalid);
        assert!(
            err.to_string().contains("[backends.metrics] is not one"),
            "{err}"
        );
        // Without the table the board is the workspace's own.
        let plain = Policy::parse(
            "[workspace]\nname = \"t\"\nmodel = \"churn\"\n",
            "gatehouse.toml",
        )
        .unwrap();
        let board = live_board(&plain, &NoStream, Timestamp(0), None)
            .await
            .unwrap();
        assert!(board.features.is_empty() && board.windows.is_empty());
        assert!(source(&plain).is_err());
    }

    #[test]
    fn selectors_escape_their_values() {
        assert_eq!(selector(&BTreeMap::new()), "");
        let labels: BTreeMap<String, String> = [
            ("model".to_owned(), "churn".to_owned()),
            ("zone".to_owned(), "a\"}b\\".to_owned()),
        ]
        .into();
        assert_eq!(selector(&labels), r#"{model="churn",zone="a\"}b\\"}"#);
    }
}
