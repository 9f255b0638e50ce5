//! Drift monitoring: a model's serving stream, cut into windows, compared feature by feature
//! with its training reference by the drift engine (`gatehouse-drift`). The result is a
//! [`DriftBoard`]: per feature, the score over time against its threshold, the reference and
//! latest histograms, and the missing-value rates; per window, the share of drifting features.
//!
//! Samples come through the [`Samples`] port: raw values from the workspace (its serving
//! stream), or histograms (`SampleValues::Binned`) from Prometheus as the policy's
//! `[drift.prometheus]` table says ([`crate::drift_source`]); binned features are compared by
//! [`gatehouse_drift::compare_binned`], with the methods that make sense on bins.
//!
//! The Drift view may look at the stream through another method than the policy's
//! ([`rules_with_method`]): the board is then recomputed with that method for every feature it
//! applies to, at the method's default threshold, and nothing is stored.

use std::collections::BTreeMap;
use std::future::Future;

use gatehouse_drift::{compare, compare_binned, Column, ColumnDrift, DriftError, Kind};
pub use gatehouse_drift::{Bins, DatasetDrift, Method, Options};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::policy::Policy;
use crate::reading::ModelName;
use crate::time::Timestamp;

/// Whether a feature holds numbers or categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FeatureKind {
    /// Numbers.
    Numerical,
    /// Categories.
    Categorical,
}

/// A feature's values in one sample. Missing values are `NaN` (numbers) or `None` (categories);
/// a histogram has no values left, only its bins' counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "values", rename_all = "snake_case")]
pub enum SampleValues {
    /// Numbers.
    Numerical(Vec<f64>),
    /// Categories.
    Categorical(Vec<Option<String>>),
    /// Numbers already binned: a histogram's counts per bin.
    Binned(Bins),
}

impl SampleValues {
    /// The kind of the values (a histogram's are numbers).
    pub fn kind(&self) -> FeatureKind {
        match self {
            SampleValues::Numerical(_) | SampleValues::Binned(_) => FeatureKind::Numerical,
            SampleValues::Categorical(_) => FeatureKind::Categorical,
        }
    }

    /// The values as the engine's column, unless they are binned.
    fn raw(&self) -> Option<Column<'_>> {
        match self {
            SampleValues::Numerical(v) => Some(Column::Numerical(v)),
            SampleValues::Categorical(v) => Some(Column::categorical_owned(v)),
            SampleValues::Binned(_) => None,
        }
    }
}

/// The drift of `current` against `reference`: raw samples through [`compare`], histograms
/// through [`compare_binned`]; a histogram against raw values is refused.
fn compare_values(
    reference: &SampleValues,
    current: &SampleValues,
    options: &Options,
) -> Result<ColumnDrift, DriftError> {
    match (reference, current) {
        (SampleValues::Binned(r), SampleValues::Binned(c)) => compare_binned(r, c, options),
        (r, c) => match (r.raw(), c.raw()) {
            (Some(r), Some(c)) => compare(&r, &c, options),
            _ => Err(DriftError::BadBins(
                "one side is a histogram and the other raw values".into(),
            )),
        },
    }
}

/// One window of the serving stream: every feature's values between `start` and `end`.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleWindow {
    /// Start of the window.
    pub start: Timestamp,
    /// End of the window.
    pub end: Timestamp,
    /// Feature name → values.
    pub features: BTreeMap<String, SampleValues>,
}

/// Where reference and serving samples come from: the workspace database, or Prometheus
/// histograms.
pub trait Samples {
    /// The training reference of `model`: feature name → values.
    fn reference(
        &self,
        model: &ModelName,
    ) -> impl Future<Output = Result<BTreeMap<String, SampleValues>, Error>> + Send;

    /// The serving windows of `model`, oldest first.
    fn windows(
        &self,
        model: &ModelName,
    ) -> impl Future<Output = Result<Vec<SampleWindow>, Error>> + Send;
}

/// One feature's drift in one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct DriftPoint {
    /// The end of the window.
    pub at: Timestamp,
    /// The statistic or distance.
    pub value: f64,
    /// The p-value, for tests.
    pub p_value: Option<f64>,
    /// What is compared with the threshold (the p-value for tests, the distance otherwise).
    pub score: f64,
    /// Whether the feature drifted in this window.
    pub drifted: bool,
    /// Share of missing values in the window.
    pub missing_share: f64,
    /// Reference against this window.
    pub histogram: Histogram,
}

/// A histogram of the reference and of the latest window, as shares of each sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Histogram {
    /// Bin labels (a range for numbers, the category otherwise).
    pub labels: Vec<String>,
    /// Share of the reference in each bin.
    pub reference: Vec<f64>,
    /// Share of the latest window in each bin.
    pub current: Vec<f64>,
}

/// One feature over the whole stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct FeatureDrift {
    /// The feature.
    pub name: String,
    /// Its kind.
    pub kind: FeatureKind,
    /// The method used (`wasserstein`, `ks`, `jensenshannon`, …).
    pub method: String,
    /// Whether the method is a statistical test (drift when the p-value is at or below the
    /// threshold) rather than a distance (drift at or above it).
    pub is_test: bool,
    /// The threshold.
    pub threshold: f64,
    /// One point per window, oldest first.
    pub points: Vec<DriftPoint>,
    /// Reference against the latest window.
    pub histogram: Histogram,
    /// Share of missing values in the reference.
    pub reference_missing_share: f64,
    /// When the drift the feature shows now began: the end of the first window of its trailing
    /// run of drifting windows. `None` when the latest window does not drift.
    pub onset: Option<Timestamp>,
}

/// One window of the whole dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct WindowDrift {
    /// Start of the window.
    pub start: Timestamp,
    /// End of the window.
    pub end: Timestamp,
    /// Share of features drifting.
    pub share_drifted: f64,
    /// Whether the share reaches the policy's dataset-drift share.
    pub dataset_drift: bool,
}

/// The drift of a model's serving stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct DriftBoard {
    /// The model.
    pub model: ModelName,
    /// Per feature, in name order.
    pub features: Vec<FeatureDrift>,
    /// Per window, oldest first.
    pub windows: Vec<WindowDrift>,
    /// The share of drifting features that makes dataset drift.
    pub drift_share: f64,
}

/// One push of the live drift feed to the panel: the board computed at step `seq` of the
/// monitor task, or why it could not be (the panel keeps its last board, marked stale).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DriftUpdate {
    /// A new board.
    Ready {
        /// The monitor task's step: charts of this board are drawn by naming it.
        seq: u32,
        /// The board through the policy's methods.
        board: Box<DriftBoard>,
    },
    /// The board could not be computed.
    Failed {
        /// The monitor task's step.
        seq: u32,
        /// Why.
        error: crate::error::ErrorReport,
    },
}

/// The signal the retrain trigger reads: the share of features drifting in the latest window.
pub const SHARE_DRIFTED: &str = "monitor.share_drifted";

/// What the retrain trigger should read from `board`: the share of features drifting in its
/// latest window, at that window's end, named by `source` — unless `latest` already holds a
/// reading of that window or a later one (the demo's stream records its own; a monitor that
/// looks again finds nothing new).
pub fn share_reading(
    board: &DriftBoard,
    latest: &crate::gate::LatestReadings,
    source: &str,
) -> Option<crate::reading::Reading> {
    let window = board.windows.last()?;
    let signal = crate::reading::SignalName::from(SHARE_DRIFTED);
    if latest.get(&signal).is_some_and(|r| r.read_at >= window.end) {
        return None;
    }
    let drifting: Vec<&str> = board
        .features
        .iter()
        .filter(|f| f.points.last().is_some_and(|p| p.drifted))
        .map(|f| f.name.as_str())
        .collect();
    Some(crate::reading::Reading {
        model: board.model.clone(),
        signal,
        value: window.share_drifted,
        read_at: window.end,
        source: source.to_owned(),
        note: Some(format!(
            "{} of {} features drifting{}{}",
            drifting.len(),
            board.features.len(),
            if drifting.is_empty() { "" } else { ": " },
            drifting.join(", ")
        )),
    })
}

/// Where one window's marker sits in a drawn score chart, in the chart's own pixels: the panel
/// scales these to the image's size and shows the window under the pointer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct ChartMark {
    /// The window: an index into the feature's points.
    pub window: u32,
    /// Pixels from the chart's left edge.
    pub x: f64,
    /// Pixels from the chart's top edge.
    pub y: f64,
}

/// The drift choices of the policy: per-feature method and threshold, and the dataset share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct DriftRules {
    /// Dataset drift when at least this share of features drift.
    pub drift_share: f64,
    /// Per feature: method (`None` = Evidently's default) and threshold.
    #[cfg_attr(feature = "bindings", ts(skip))]
    #[serde(skip)]
    pub columns: BTreeMap<String, Options>,
    /// Where the features' histograms are read in Prometheus, when the policy says so.
    #[cfg_attr(feature = "bindings", ts(skip))]
    #[serde(skip)]
    pub prometheus: Option<crate::drift_source::HistogramSource>,
}

impl Default for DriftRules {
    fn default() -> Self {
        DriftRules {
            drift_share: gatehouse_drift::DEFAULT_DRIFT_SHARE,
            columns: BTreeMap::new(),
            prometheus: None,
        }
    }
}

const NUMERIC_BINS: usize = 12;

fn shares(counts: &[usize]) -> Vec<f64> {
    let total: usize = counts.iter().sum();
    counts
        .iter()
        .map(|c| {
            if total == 0 {
                0.0
            } else {
                *c as f64 / total as f64
            }
        })
        .collect()
}

/// Reference and current shares over common bins: equal-width bins over the pooled finite range
/// for numbers, every category seen on either side for categories, a histogram's own bins.
pub fn histogram(reference: &SampleValues, current: &SampleValues) -> Histogram {
    match (reference, current) {
        (SampleValues::Binned(r), SampleValues::Binned(c)) if r.upper_bounds == c.upper_bounds => {
            let counts = |b: &Bins| -> Vec<f64> {
                let total = b.total();
                b.counts
                    .iter()
                    .map(|n| if total > 0.0 { n / total } else { 0.0 })
                    .collect()
            };
            Histogram {
                labels: bin_labels(&r.upper_bounds),
                reference: counts(r),
                current: counts(c),
            }
        }
        (SampleValues::Numerical(r), SampleValues::Numerical(c)) => {
            let finite = || r.iter().chain(c.iter()).copied().filter(|x| x.is_finite());
            let lo = finite().fold(f64::INFINITY, f64::min);
            let hi = finite().fold(f64::NEG_INFINITY, f64::max);
            if !lo.is_finite() || !hi.is_finite() {
                return Histogram {
                    labels: Vec::new(),
                    reference: Vec::new(),
                    current: Vec::new(),
                };
            }
            let width = if hi > lo {
                (hi - lo) / NUMERIC_BINS as f64
            } else {
                1.0
            };
            let bin = |x: f64| (((x - lo) / width) as usize).min(NUMERIC_BINS - 1);
            let count = |xs: &[f64]| {
                let mut counts = vec![0usize; NUMERIC_BINS];
                for x in xs.iter().filter(|x| x.is_finite()) {
                    counts[bin(*x)] += 1;
                }
                counts
            };
            Histogram {
                labels: (0..NUMERIC_BINS)
                    .map(|i| {
                        let a = lo + width * i as f64;
                        format!(
                            "{}–{}",
                            crate::gate::fmt_num((a * 10.0).round() / 10.0),
                            crate::gate::fmt_num(((a + width) * 10.0).round() / 10.0)
                        )
                    })
                    .collect(),
                reference: shares(&count(r)),
                current: shares(&count(c)),
            }
        }
        (SampleValues::Categorical(r), SampleValues::Categorical(c)) => {
            let mut cats: Vec<&str> = r
                .iter()
                .chain(c.iter())
                .flatten()
                .map(String::as_str)
                .collect();
            cats.sort_unstable();
            cats.dedup();
            let count = |xs: &[Option<String>]| {
                let mut counts = vec![0usize; cats.len()];
                for x in xs.iter().flatten() {
                    if let Ok(i) = cats.binary_search(&x.as_str()) {
                        counts[i] += 1;
                    }
                }
                counts
            };
            Histogram {
                labels: cats.iter().map(|s| (*s).to_owned()).collect(),
                reference: shares(&count(r)),
                current: shares(&count(c)),
            }
        }
        (SampleValues::Numerical(_), SampleValues::Categorical(_))
        | (SampleValues::Categorical(_), SampleValues::Numerical(_))
        | (SampleValues::Binned(_), _)
        | (_, SampleValues::Binned(_)) => Histogram {
            labels: Vec::new(),
            reference: Vec::new(),
            current: Vec::new(),
        },
    }
}

/// `≤ 6`, `6–12`, …, `> 48`: a histogram's bins by their bounds.
fn bin_labels(upper_bounds: &[f64]) -> Vec<String> {
    let n = crate::gate::fmt_num;
    let mut below: Option<f64> = None;
    upper_bounds
        .iter()
        .map(|&u| {
            let label = match (below, u.is_finite()) {
                (None, true) => format!("≤ {}", n(u)),
                (Some(l), true) => format!("{}–{}", n(l), n(u)),
                (Some(l), false) => format!("> {}", n(l)),
                (None, false) => "all".to_owned(),
            };
            below = Some(u);
            label
        })
        .collect()
}

/// Compares every window's features with the reference. A feature missing from a window, or of
/// another kind there, is an error naming both; a degenerate comparison (all values missing) is
/// an error naming the feature and window.
pub fn drift_board(
    model: &ModelName,
    rules: &DriftRules,
    reference: &BTreeMap<String, SampleValues>,
    windows: &[SampleWindow],
) -> Result<DriftBoard, Error> {
    let mut features = Vec::new();
    let mut drifted_per_window = vec![0usize; windows.len()];
    for (name, ref_values) in reference {
        let options = rules.columns.get(name).copied().unwrap_or_default();
        let mut points = Vec::with_capacity(windows.len());
        let mut method = None;
        let mut threshold = 0.0;
        let mut reference_missing_share = 0.0;
        for (i, window) in windows.iter().enumerate() {
            let current = window.features.get(name).ok_or_else(|| {
                Error::Invalid(format!(
                    "window ending {} has no feature `{name}`",
                    window.end.0
                ))
            })?;
            let d = compare_values(ref_values, current, &options).map_err(|e| {
                Error::Invalid(format!(
                    "feature `{name}`, window ending {}: {e}",
                    window.end.0
                ))
            })?;
            method = Some(d.method);
            threshold = d.threshold;
            reference_missing_share = d.reference.missing_share;
            if d.drifted {
                drifted_per_window[i] += 1;
            }
            points.push(DriftPoint {
                at: window.end,
                value: d.value,
                p_value: d.p_value,
                score: d.score(),
                drifted: d.drifted,
                missing_share: d.current.missing_share,
                histogram: histogram(ref_values, current),
            });
        }
        let method = method.unwrap_or(Method::Wasserstein);
        let histogram = points
            .last()
            .map(|p| p.histogram.clone())
            .unwrap_or_else(|| histogram(ref_values, ref_values));
        let onset = onset(&points);
        features.push(FeatureDrift {
            name: name.clone(),
            kind: ref_values.kind(),
            method: method.as_str().to_owned(),
            is_test: method.is_test(),
            threshold,
            points,
            histogram,
            reference_missing_share,
            onset,
        });
    }
    let n = features.len().max(1) as f64;
    let windows = windows
        .iter()
        .zip(drifted_per_window)
        .map(|(w, drifted)| {
            let share = drifted as f64 / n;
            WindowDrift {
                start: w.start,
                end: w.end,
                share_drifted: share,
                dataset_drift: share >= rules.drift_share,
            }
        })
        .collect();
    Ok(DriftBoard {
        model: model.clone(),
        features,
        windows,
        drift_share: rules.drift_share,
    })
}

/// One window against the reference, per feature, as `gatehouse drift` reports two files: each
/// feature through `options` when given, else the rules' choice for it. A refused choice
/// (a method that does not apply, a bad threshold) is invalid; anything else is bad input.
pub fn window_report(
    rules: &DriftRules,
    reference: &BTreeMap<String, SampleValues>,
    window: &SampleWindow,
    options: Option<Options>,
) -> Result<DatasetDrift, Error> {
    let refused = |what: String, e: DriftError| match e {
        DriftError::NeedsRawSamples { .. }
        | DriftError::InvalidThreshold(_)
        | DriftError::MethodNotApplicable { .. } => Error::Invalid(format!("{what}: {e}")),
        other => Error::BadInput(format!("{what}: {other}")),
    };
    let mut columns = Vec::new();
    for (name, values) in reference {
        let current = window.features.get(name).ok_or_else(|| {
            Error::Invalid(format!(
                "window ending {} has no feature `{name}`",
                window.end.0
            ))
        })?;
        let options = options
            .or_else(|| rules.columns.get(name).copied())
            .unwrap_or_default();
        let drift = compare_values(values, current, &options)
            .map_err(|e| refused(format!("feature `{name}`"), e))?;
        columns.push(gatehouse_drift::FeatureDrift {
            name: name.clone(),
            drift,
        });
    }
    gatehouse_drift::dataset(columns, rules.drift_share).map_err(|e| refused("drift".into(), e))
}

/// The end of the first window of the trailing run of drifting points, if the last one drifts.
fn onset(points: &[DriftPoint]) -> Option<Timestamp> {
    let run = points.iter().rev().take_while(|p| p.drifted).count();
    (run > 0).then(|| points[points.len() - run].at)
}

/// The policy's rules with `method` for every feature it applies to (KS and Wasserstein need
/// numbers, KS, chi-square and Z need raw samples; the other features keep the policy's choice),
/// each at the method's default threshold: a threshold set for another method means nothing to
/// this one.
pub fn rules_with_method(
    rules: &DriftRules,
    method: Method,
    reference: &BTreeMap<String, SampleValues>,
) -> DriftRules {
    let mut columns = rules.columns.clone();
    for (name, values) in reference {
        let kind = match values.kind() {
            FeatureKind::Numerical => Kind::Numerical,
            FeatureKind::Categorical => Kind::Categorical,
        };
        let binned = matches!(values, SampleValues::Binned(_));
        if method.applies_to(kind) && (!binned || gatehouse_drift::BINNED_METHODS.contains(&method))
        {
            columns.insert(
                name.clone(),
                Options {
                    method: Some(method),
                    threshold: None,
                },
            );
        }
    }
    DriftRules {
        drift_share: rules.drift_share,
        columns,
        prometheus: rules.prometheus.clone(),
    }
}

/// A method named by a person (`ks`, `psi`, …), or the policy's (`None`, `""` or `policy`).
pub fn parse_method(name: Option<&str>) -> Result<Option<Method>, Error> {
    match name {
        None | Some("" | "policy") => Ok(None),
        Some(name) => name
            .parse::<Method>()
            .map(Some)
            .map_err(|e| Error::Invalid(e.to_string())),
    }
}

/// The drift board of the policy's model, from the workspace's samples.
pub async fn board(policy: &Policy, samples: &impl Samples) -> Result<DriftBoard, Error> {
    board_with_method(policy, samples, None).await
}

/// The same board seen through `method` instead of the policy's methods (see
/// [`rules_with_method`]), or the policy's board when `method` is `None`.
pub async fn board_with_method(
    policy: &Policy,
    samples: &impl Samples,
    method: Option<Method>,
) -> Result<DriftBoard, Error> {
    let reference = samples.reference(&policy.model).await?;
    let windows = samples.windows(&policy.model).await?;
    match method {
        None => drift_board(&policy.model, &policy.drift, &reference, &windows),
        Some(m) => {
            let rules = rules_with_method(&policy.drift, m, &reference);
            drift_board(&policy.model, &rules, &reference, &windows)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(i: i64, shift: f64, cats: &[&str]) -> SampleWindow {
        let nums: Vec<f64> = (0..300).map(|k| (k % 30) as f64 + shift).collect();
        let cat: Vec<Option<String>> = (0..300)
            .map(|k| Some(cats[k % cats.len()].to_owned()))
            .collect();
        SampleWindow {
            start: Timestamp(i * 10),
            end: Timestamp(i * 10 + 10),
            features: [
                ("a".to_owned(), SampleValues::Numerical(nums)),
                ("b".to_owned(), SampleValues::Categorical(cat)),
            ]
            .into(),
        }
    }

    #[test]
    fn drift_grows_with_the_shift_and_windows_count_drifting_features() {
        let reference = window(0, 0.0, &["x", "y"]).features;
        let windows = vec![window(1, 0.0, &["x", "y"]), window(2, 20.0, &["x", "y"])];
        let board = drift_board(
            &ModelName::from("m"),
            &DriftRules::default(),
            &reference,
            &windows,
        )
        .unwrap();
        let a = &board.features[0];
        assert_eq!(a.name, "a");
        assert!(!a.points[0].drifted && a.points[1].drifted);
        assert_eq!(board.windows[0].share_drifted, 0.0);
        assert_eq!(board.windows[1].share_drifted, 0.5);
        assert!(board.windows[1].dataset_drift);
        let h = &a.histogram;
        assert_eq!(h.labels.len(), NUMERIC_BINS);
        assert!((h.reference.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!((h.current.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn onset_is_where_the_current_run_of_drift_began() {
        let reference = window(0, 0.0, &["x", "y"]).features;
        let windows = vec![
            window(1, 20.0, &["x", "y"]),
            window(2, 0.0, &["x", "y"]),
            window(3, 20.0, &["x", "y"]),
            window(4, 25.0, &["x", "y"]),
        ];
        let rules = DriftRules::default();
        let board = drift_board(&ModelName::from("m"), &rules, &reference, &windows).unwrap();
        assert_eq!(board.features[0].onset, Some(Timestamp(40)));
        assert_eq!(board.features[1].onset, None);
        let histograms: Vec<&Histogram> = board.features[0]
            .points
            .iter()
            .map(|p| &p.histogram)
            .collect();
        assert_eq!(histograms[3], &board.features[0].histogram);
        assert_ne!(
            histograms[1], histograms[3],
            "each window has its own histogram"
        );
    }

    #[test]
    fn another_method_applies_where_it_can_at_its_own_threshold() {
        let reference = window(0, 0.0, &["x", "y"]).features;
        let windows = vec![window(1, 1.0, &["x", "y"])];
        let mut rules = DriftRules::default();
        rules.columns.insert(
            "a".into(),
            Options {
                method: Some(Method::Psi),
                threshold: Some(0.5),
            },
        );
        let policy = drift_board(&ModelName::from("m"), &rules, &reference, &windows).unwrap();
        assert_eq!(policy.features[0].method, "psi");
        assert_eq!(policy.features[0].threshold, 0.5);

        let ks = rules_with_method(&rules, Method::Ks, &reference);
        let board = drift_board(&ModelName::from("m"), &ks, &reference, &windows).unwrap();
        assert_eq!(board.features[0].method, "ks");
        assert_eq!(board.features[0].threshold, 0.05);
        assert!(board.features[0].points[0].p_value.is_some());
        // KS needs numbers: the categorical feature keeps its default.
        assert_eq!(board.features[1].method, policy.features[1].method);

        assert_eq!(parse_method(Some("policy")).unwrap(), None);
        assert_eq!(
            parse_method(Some("hellinger")).unwrap(),
            Some(Method::Hellinger)
        );
        assert!(parse_method(Some("magic")).is_err());
    }

    #[test]
    fn histograms_are_compared_bin_by_bin_and_refuse_raw_tests() {
        let bins = |counts: [f64; 3]| {
            SampleValues::Binned(Bins {
                upper_bounds: vec![10.0, 20.0, f64::INFINITY],
                counts: counts.to_vec(),
            })
        };
        let reference: BTreeMap<String, SampleValues> =
            [("a".to_owned(), bins([10.0, 30.0, 10.0]))].into();
        let windows: Vec<SampleWindow> = [[10.0, 30.0, 10.0], [40.0, 5.0, 5.0]]
            .iter()
            .enumerate()
            .map(|(i, c)| SampleWindow {
                start: Timestamp(i as i64 * 10),
                end: Timestamp(i as i64 * 10 + 10),
                features: [("a".to_owned(), bins(*c))].into(),
            })
            .collect();
        let m = ModelName::from("m");
        let board = drift_board(&m, &DriftRules::default(), &reference, &windows).unwrap();
        let a = &board.features[0];
        assert_eq!(a.method, "jensenshannon");
        assert!(!a.points[0].drifted && a.points[1].drifted);
        assert_eq!(a.histogram.labels, ["≤ 10", "10–20", "> 20"]);
        assert_eq!(a.histogram.current, [0.8, 0.1, 0.1]);
        // The view's KS leaves a histogram at the policy's method; the policy's KS is refused.
        let ks = rules_with_method(&DriftRules::default(), Method::Ks, &reference);
        let board = drift_board(&m, &ks, &reference, &windows).unwrap();
        assert_eq!(board.features[0].method, "jensenshannon");
        let mut rules = DriftRules::default();
        rules.columns.insert(
            "a".into(),
            Options {
                method: Some(Method::Ks),
                threshold: None,
            },
        );
        let err = drift_board(&m, &rules, &reference, &windows).unwrap_err();
        assert!(err.to_string().contains("needs raw samples"), "{err}");
    }

    #[test]
    fn the_retrain_trigger_reads_each_new_window_once() {
        let reference = window(0, 0.0, &["x", "y"]).features;
        let windows = vec![window(1, 0.0, &["x", "y"]), window(2, 20.0, &["x", "y"])];
        let board = drift_board(
            &ModelName::from("m"),
            &DriftRules::default(),
            &reference,
            &windows,
        )
        .unwrap();
        let mut latest = crate::gate::LatestReadings::new();
        let r = share_reading(&board, &latest, "drift:prometheus").unwrap();
        assert_eq!((r.value, r.read_at), (0.5, Timestamp(30)));
        assert_eq!(r.note.as_deref(), Some("1 of 2 features drifting: a"));
        latest.insert(r.signal.clone(), r);
        assert_eq!(share_reading(&board, &latest, "drift:prometheus"), None);
    }

    #[test]
    fn a_missing_feature_is_a_clear_error() {
        let reference = window(0, 0.0, &["x"]).features;
        let mut w = window(1, 0.0, &["x"]);
        w.features.remove("b");
        let err = drift_board(
            &ModelName::from("m"),
            &DriftRules::default(),
            &reference,
            &[w],
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "window ending 20 has no feature `b`");
    }
}
