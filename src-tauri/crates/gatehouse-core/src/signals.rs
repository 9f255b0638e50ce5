//! The Monitor view's model: a model's system signals per version over a time range (latency
//! quantiles, error and request rates, saturation), beside its data signals (drift) and the
//! quality proxies the policy's gates read.
//!
//! System signals come from Prometheus, with the queries of the policy's `[monitor]` table, or,
//! in the embedded workspace, from the demo's own serving stream: every serving window carries
//! its traffic, and [`demo_series`] derives the system signals of each window deterministically
//! from it, so the demo's charts move with the stream and the same workspace draws the same
//! lines on every machine.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::gate::LatestReadings;
use crate::monitor::{DriftBoard, SampleWindow};
use crate::policy::Policy;
use crate::reading::ModelName;
use crate::time::Timestamp;

/// The Prometheus queries the Monitor view reads, from the policy's `[monitor]` table. The
/// defaults fit the common HTTP exporters: an `http_request_duration_seconds` histogram and an
/// `http_requests_total` counter with `model`, `version` and `code` labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(default, deny_unknown_fields)]
pub struct MonitorQueries {
    /// The latency histogram's name, without `_bucket`.
    pub latency_histogram: String,
    /// The request counter.
    pub requests_total: String,
    /// The matcher that picks failed requests out of the counter, such as `code=~"5.."`.
    pub error_matcher: String,
    /// The label that names the model.
    pub model_label: String,
    /// The label that names the version.
    pub version_label: String,
    /// The rate window, such as `5m`.
    pub rate_window: String,
    /// CPU in use (cores) per version: PromQL in which `$model` stands for the model's name.
    pub cpu: String,
    /// Resident memory (bytes) per version: PromQL with `$model`.
    pub memory: String,
    /// Requests waiting per version: PromQL with `$model`.
    pub queue: String,
}

impl Default for MonitorQueries {
    fn default() -> Self {
        MonitorQueries {
            latency_histogram: "http_request_duration_seconds".into(),
            requests_total: "http_requests_total".into(),
            error_matcher: r#"code=~"5..""#.into(),
            model_label: "model".into(),
            version_label: "version".into(),
            rate_window: "5m".into(),
            cpu: r#"sum by (version) (rate(process_cpu_seconds_total{model="$model"}[5m]))"#.into(),
            memory: r#"sum by (version) (process_resident_memory_bytes{model="$model"})"#.into(),
            queue: r#"sum by (version) (inference_queue_depth{model="$model"})"#.into(),
        }
    }
}

impl MonitorQueries {
    /// Checks names and templates; the connector checks them again before it builds a query.
    pub fn check(&self) -> Result<(), String> {
        let name = |what: &str, v: &str, colon: bool| {
            let ok = !v.is_empty()
                && v.chars().enumerate().all(|(i, c)| {
                    c.is_ascii_alphabetic()
                        || c == '_'
                        || (colon && c == ':')
                        || (i > 0 && c.is_ascii_digit())
                });
            if ok {
                Ok(())
            } else {
                Err(format!("`{what}` = `{v}` is not a prometheus name"))
            }
        };
        name("latency_histogram", &self.latency_histogram, true)?;
        name("requests_total", &self.requests_total, true)?;
        name("model_label", &self.model_label, false)?;
        name("version_label", &self.version_label, false)?;
        if self.rate_window_seconds().is_none() {
            return Err(format!(
                "`rate_window` = `{}` is not a duration such as `5m`",
                self.rate_window
            ));
        }
        for (what, q) in [
            ("cpu", &self.cpu),
            ("memory", &self.memory),
            ("queue", &self.queue),
        ] {
            if q.trim().is_empty() || q.len() > 2000 {
                return Err(format!(
                    "`{what}` must be a promql query of up to 2000 characters"
                ));
            }
        }
        Ok(())
    }

    /// The rate window in seconds.
    pub fn rate_window_seconds(&self) -> Option<u64> {
        let ms = crate::alert::parse_duration(&self.rate_window).ok()?;
        u64::try_from(ms / 1000).ok().filter(|s| *s > 0)
    }
}

/// A signal the Monitor view charts, one line per version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SystemSignal {
    /// Median latency, seconds.
    LatencyP50,
    /// 95th percentile latency, seconds.
    LatencyP95,
    /// 99th percentile latency, seconds.
    LatencyP99,
    /// Failed over all requests.
    ErrorRate,
    /// Requests per second.
    RequestRate,
    /// CPU in use, cores.
    Cpu,
    /// Resident memory, bytes.
    Memory,
    /// Requests waiting.
    Queue,
}

impl SystemSignal {
    /// Every signal, in the order the view shows them.
    pub const ALL: [SystemSignal; 8] = [
        SystemSignal::LatencyP50,
        SystemSignal::LatencyP95,
        SystemSignal::LatencyP99,
        SystemSignal::ErrorRate,
        SystemSignal::RequestRate,
        SystemSignal::Cpu,
        SystemSignal::Memory,
        SystemSignal::Queue,
    ];

    /// The identifier used in JSON and chart requests.
    pub fn id(self) -> &'static str {
        match self {
            SystemSignal::LatencyP50 => "latency_p50",
            SystemSignal::LatencyP95 => "latency_p95",
            SystemSignal::LatencyP99 => "latency_p99",
            SystemSignal::ErrorRate => "error_rate",
            SystemSignal::RequestRate => "request_rate",
            SystemSignal::Cpu => "cpu",
            SystemSignal::Memory => "memory",
            SystemSignal::Queue => "queue",
        }
    }

    /// The signal an identifier names.
    pub fn from_id(id: &str) -> Option<SystemSignal> {
        SystemSignal::ALL.into_iter().find(|s| s.id() == id)
    }

    /// A title for people.
    pub fn title(self) -> &'static str {
        match self {
            SystemSignal::LatencyP50 => "Latency p50",
            SystemSignal::LatencyP95 => "Latency p95",
            SystemSignal::LatencyP99 => "Latency p99",
            SystemSignal::ErrorRate => "Error rate",
            SystemSignal::RequestRate => "Request rate",
            SystemSignal::Cpu => "CPU",
            SystemSignal::Memory => "Memory",
            SystemSignal::Queue => "Queue depth",
        }
    }

    /// The unit its values are in.
    pub fn unit(self) -> Unit {
        match self {
            SystemSignal::LatencyP50 | SystemSignal::LatencyP95 | SystemSignal::LatencyP99 => {
                Unit::Seconds
            }
            SystemSignal::ErrorRate => Unit::Ratio,
            SystemSignal::RequestRate => Unit::PerSecond,
            SystemSignal::Cpu => Unit::Cores,
            SystemSignal::Memory => Unit::Bytes,
            SystemSignal::Queue => Unit::Count,
        }
    }
}

/// The unit of a signal's values, for axes and labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Seconds (shown in milliseconds).
    Seconds,
    /// A share from 0 to 1 (shown in percent).
    Ratio,
    /// Per second.
    PerSecond,
    /// CPU cores.
    Cores,
    /// Bytes (shown in MiB).
    Bytes,
    /// A plain count.
    Count,
}

impl Unit {
    /// `value` in words: `182 ms`, `2.4 %`, `31.2 /s`, `0.42 cores`, `512 MiB`, `3`.
    pub fn format(self, value: f64) -> String {
        if !value.is_finite() {
            return "–".into();
        }
        match self {
            Unit::Seconds => format!("{} ms", crate::gate::fmt_num(round_to(value * 1000.0, 1))),
            Unit::Ratio => format!("{} %", crate::gate::fmt_num(round_to(value * 100.0, 2))),
            Unit::PerSecond => format!("{} /s", crate::gate::fmt_num(round_to(value, 1))),
            Unit::Cores => format!("{} cores", crate::gate::fmt_num(round_to(value, 2))),
            Unit::Bytes => format!(
                "{} MiB",
                crate::gate::fmt_num(round_to(value / 1_048_576.0, 0))
            ),
            Unit::Count => crate::gate::fmt_num(round_to(value, 1)),
        }
    }
}

fn round_to(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

/// One value at one time; `None` where the source had no finite value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct SignalPoint {
    /// When.
    pub at: Timestamp,
    /// The value, or none (NaN, infinite, or missing).
    pub value: Option<f64>,
}

/// One signal of one version over the range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct SignalSeries {
    /// Which signal.
    pub signal: SystemSignal,
    /// Which version (the source's version label).
    pub version: String,
    /// Its points, oldest first.
    pub points: Vec<SignalPoint>,
}

impl SignalSeries {
    /// The last finite value.
    pub fn latest(&self) -> Option<f64> {
        self.points.iter().rev().find_map(|p| p.value)
    }
}

/// Where the system signals came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SignalSource {
    /// The Prometheus of `[backends.metrics]`.
    Prometheus,
    /// The embedded workspace's own serving stream.
    ServingStream,
}

/// The data signals of the latest serving window: how much of the input drifts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct DriftSummary {
    /// Share of features drifting in the latest window.
    pub share_drifted: f64,
    /// The share that makes dataset drift.
    pub drift_share: f64,
    /// The features drifting in the latest window.
    pub drifting: Vec<String>,
    /// The end of the latest window.
    pub window_end: Timestamp,
    /// Share drifting per window, oldest first.
    pub history: Vec<SignalPoint>,
}

/// A model-quality proxy the policy's gates read (`model.*`, `labels.*`, `monitor.*` signals),
/// at its latest reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct QualityProxy {
    /// The signal.
    pub signal: String,
    /// What the check that reads it says it is.
    pub description: String,
    /// The latest value, if any was recorded.
    pub value: Option<f64>,
    /// When it was read.
    pub read_at: Option<Timestamp>,
}

/// What the Monitor view shows for one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct MonitorView {
    /// The model.
    pub model: ModelName,
    /// Where the system signals came from.
    pub source: SignalSource,
    /// The start of the range.
    pub from: Timestamp,
    /// The end of the range.
    pub to: Timestamp,
    /// The versions that served in the range, in version order.
    pub versions: Vec<String>,
    /// Every signal of every version.
    pub series: Vec<SignalSeries>,
    /// The signals the source had nothing for, with why, so an empty chart is explained.
    pub missing: Vec<String>,
    /// The data signals, when the model has a monitored serving stream.
    pub drift: Option<DriftSummary>,
    /// The quality proxies the policy names.
    pub quality: Vec<QualityProxy>,
}

impl MonitorView {
    /// The series of `signal`, one per version.
    pub fn of(&self, signal: SystemSignal) -> Vec<&SignalSeries> {
        self.series.iter().filter(|s| s.signal == signal).collect()
    }
}

/// The view from the system series a source gave and what the workspace knows: the drift board
/// and the latest readings. Versions are ordered numerically where they are numbers.
pub fn view(
    policy: &Policy,
    source: SignalSource,
    (from, to): (Timestamp, Timestamp),
    mut series: Vec<SignalSeries>,
    board: Option<&DriftBoard>,
    latest: &LatestReadings,
) -> MonitorView {
    series.retain(|s| !s.version.is_empty());
    series.sort_by(|a, b| {
        a.signal
            .cmp(&b.signal)
            .then_with(|| version_order(&a.version, &b.version))
    });
    let mut versions: Vec<String> = series
        .iter()
        .map(|s| s.version.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    versions.sort_by(|a, b| version_order(a, b));
    let missing = SystemSignal::ALL
        .into_iter()
        .filter(|signal| {
            !series
                .iter()
                .any(|s| s.signal == *signal && s.latest().is_some())
        })
        .map(|signal| format!("{}: no data in the range", signal.title()))
        .collect();
    MonitorView {
        model: policy.model.clone(),
        source,
        from,
        to,
        versions,
        series,
        missing,
        drift: board.and_then(drift_summary),
        quality: quality(policy, latest),
    }
}

fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

fn drift_summary(board: &DriftBoard) -> Option<DriftSummary> {
    let last = board.windows.last()?;
    let drifting = board
        .features
        .iter()
        .filter(|f| f.points.last().is_some_and(|p| p.drifted))
        .map(|f| f.name.clone())
        .collect();
    Some(DriftSummary {
        share_drifted: last.share_drifted,
        drift_share: board.drift_share,
        drifting,
        window_end: last.end,
        history: board
            .windows
            .iter()
            .map(|w| SignalPoint {
                at: w.end,
                value: Some(w.share_drifted).filter(|v| v.is_finite()),
            })
            .collect(),
    })
}

/// The signals the policy's checks read that speak of model quality, with their latest values.
fn quality(policy: &Policy, latest: &LatestReadings) -> Vec<QualityProxy> {
    let mut out: BTreeMap<String, QualityProxy> = BTreeMap::new();
    for check in policy.gates.iter().flat_map(|g| g.checks.iter()) {
        let signal = check.signal.as_str();
        let proxy = ["model.", "labels.", "monitor."]
            .iter()
            .any(|p| signal.starts_with(p));
        if !proxy || out.contains_key(signal) {
            continue;
        }
        let reading = latest.get(&check.signal);
        out.insert(
            signal.to_owned(),
            QualityProxy {
                signal: signal.to_owned(),
                description: check.description.clone(),
                value: reading.map(|r| r.value).filter(|v| v.is_finite()),
                read_at: reading.map(|r| r.read_at),
            },
        );
    }
    out.into_values().collect()
}

/// The system signals of the embedded workspace's serving stream: each window's traffic split
/// between the versions that serve (`serving`: version and share of traffic), with latency,
/// errors and saturation derived from the window's own drift and a hash of its start. Inputs the
/// model has not seen take longer and fail more, so the lines follow the Drift view's story.
pub fn demo_series(
    windows: &[SampleWindow],
    board: Option<&DriftBoard>,
    serving: &[(String, f64)],
    (from, to): (Timestamp, Timestamp),
) -> Vec<SignalSeries> {
    let share_at = |end: Timestamp| -> f64 {
        board
            .and_then(|b| b.windows.iter().find(|w| w.end == end))
            .map(|w| w.share_drifted)
            .filter(|v| v.is_finite())
            .unwrap_or(0.0)
    };
    let mut out = Vec::new();
    for (index, (version, traffic)) in serving.iter().enumerate() {
        let mut lines: BTreeMap<SystemSignal, Vec<SignalPoint>> = BTreeMap::new();
        for w in windows.iter().filter(|w| w.end >= from && w.end <= to) {
            let seconds = ((w.end.0 - w.start.0) as f64 / 1000.0).max(1.0);
            let rows = w
                .features
                .values()
                .map(|v| match v {
                    crate::monitor::SampleValues::Numerical(x) => x.len(),
                    crate::monitor::SampleValues::Categorical(x) => x.len(),
                    crate::monitor::SampleValues::Binned(b) => b.total().round() as usize,
                })
                .max()
                .unwrap_or(0) as f64;
            // Each stored row stands for a hundred requests.
            let requests = rows * 100.0 / seconds * traffic;
            let drift = share_at(w.end);
            let jitter = |salt: u64| unit_hash(w.start.0 as u64 ^ salt ^ (index as u64) << 40);
            // A newer version runs a little slower: one more model in the ensemble.
            let base = 0.045 + 0.008 * index as f64;
            let p50 = base * (1.0 + 0.6 * drift) * (0.95 + 0.1 * jitter(1));
            let values = [
                (SystemSignal::LatencyP50, p50),
                (SystemSignal::LatencyP95, p50 * (2.6 + 0.3 * jitter(2))),
                (SystemSignal::LatencyP99, p50 * (4.1 + 0.6 * jitter(3))),
                (
                    SystemSignal::ErrorRate,
                    0.002 + 0.018 * drift * drift + 0.001 * jitter(4),
                ),
                (SystemSignal::RequestRate, requests),
                (
                    SystemSignal::Cpu,
                    0.15 + requests * 0.012 * (1.0 + 0.3 * drift),
                ),
                (
                    SystemSignal::Memory,
                    (620.0 + 40.0 * jitter(5) + 90.0 * drift) * 1_048_576.0,
                ),
                (
                    SystemSignal::Queue,
                    (requests * p50 * (1.0 + 2.0 * drift)).round(),
                ),
            ];
            for (signal, value) in values {
                lines.entry(signal).or_default().push(SignalPoint {
                    at: w.end,
                    value: Some(value),
                });
            }
        }
        for (signal, points) in lines {
            out.push(SignalSeries {
                signal,
                version: version.clone(),
                points,
            });
        }
    }
    out
}

/// A number in [0, 1) from `x`, the same on every machine (SplitMix64's finaliser).
fn unit_hash(x: u64) -> f64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::SampleValues;

    fn window(hour: i64, rows: usize) -> SampleWindow {
        SampleWindow {
            start: Timestamp(hour * Timestamp::HOUR_MS),
            end: Timestamp((hour + 1) * Timestamp::HOUR_MS),
            features: [("x".to_owned(), SampleValues::Numerical(vec![1.0; rows]))]
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn the_demo_stream_gives_every_signal_per_version_deterministically() {
        let windows: Vec<SampleWindow> = (0..5).map(|h| window(h, 360)).collect();
        let serving = [("3".to_owned(), 0.9), ("4".to_owned(), 0.1)];
        let range = (Timestamp(0), Timestamp(10 * Timestamp::HOUR_MS));
        let a = demo_series(&windows, None, &serving, range);
        assert_eq!(a, demo_series(&windows, None, &serving, range));
        assert_eq!(a.len(), 16);
        let rate = |v: &str| {
            a.iter()
                .find(|s| s.signal == SystemSignal::RequestRate && s.version == v)
                .and_then(SignalSeries::latest)
                .unwrap()
        };
        // 360 rows an hour, a hundred requests each: 10 /s, split 9 : 1.
        assert!((rate("3") - 9.0).abs() < 1e-9);
        assert!((rate("4") - 1.0).abs() < 1e-9);
        for s in &a {
            assert_eq!(s.points.len(), 5);
        }
        let p = |sig, v: &str| {
            a.iter()
                .find(|s| s.signal == sig && s.version == v)
                .and_then(SignalSeries::latest)
                .unwrap()
        };
        assert!(p(SystemSignal::LatencyP50, "3") < p(SystemSignal::LatencyP95, "3"));
        assert!(p(SystemSignal::LatencyP95, "3") < p(SystemSignal::LatencyP99, "3"));
        // A range that holds no window end holds no points.
        let none = demo_series(&windows, None, &serving, (Timestamp(-10), Timestamp(-1)));
        assert!(none.is_empty());
    }

    #[test]
    fn the_view_orders_versions_as_numbers_and_names_what_is_missing() {
        let policy = Policy::parse(crate::demo::POLICY, "gatehouse.toml").unwrap();
        let series = vec![
            SignalSeries {
                signal: SystemSignal::ErrorRate,
                version: "10".into(),
                points: vec![SignalPoint {
                    at: Timestamp(1),
                    value: Some(0.1),
                }],
            },
            SignalSeries {
                signal: SystemSignal::ErrorRate,
                version: "9".into(),
                points: vec![SignalPoint {
                    at: Timestamp(1),
                    value: None,
                }],
            },
        ];
        let v = view(
            &policy,
            SignalSource::Prometheus,
            (Timestamp(0), Timestamp(2)),
            series,
            None,
            &LatestReadings::new(),
        );
        assert_eq!(v.versions, ["9", "10"]);
        assert_eq!(v.missing.len(), 7);
        assert!(v.missing.iter().all(|m| !m.starts_with("Error rate")));
        assert!(v
            .quality
            .iter()
            .any(|q| q.signal == "monitor.share_drifted"));
    }

    #[test]
    fn the_policy_names_some_queries_and_keeps_the_defaults_of_the_rest() {
        let base = "[workspace]\nname = \"t\"\nmodel = \"churn\"\n";
        let text = format!("{base}[monitor]\nrequests_total = \"requests\"\ncpu = 'sum by (version) (rate(cpu{{model=\"$model\"}}[1m]))'\n");
        let policy = Policy::parse(&text, "gatehouse.toml").unwrap();
        assert_eq!(policy.monitor.requests_total, "requests");
        assert!(policy.monitor.cpu.contains("rate(cpu"));
        assert_eq!(
            policy.monitor.latency_histogram,
            MonitorQueries::default().latency_histogram
        );
        let err = Policy::parse(
            &format!("{base}[monitor]\nlatency = \"x\"\n"),
            "gatehouse.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("line 5") && err.contains("unknown field `latency`"),
            "{err}"
        );
        let err = Policy::parse(
            &format!("{base}[monitor]\nrate_window = \"soon\"\n"),
            "gatehouse.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("`rate_window`"), "{err}");
    }

    #[test]
    fn queries_are_checked() {
        assert!(MonitorQueries::default().check().is_ok());
        let bad = MonitorQueries {
            latency_histogram: "a{b}".into(),
            ..MonitorQueries::default()
        };
        assert!(bad.check().is_err());
        let bad = MonitorQueries {
            rate_window: "soon".into(),
            ..MonitorQueries::default()
        };
        assert!(bad.check().is_err());
        assert_eq!(Unit::Seconds.format(0.1825), "182.5 ms");
        assert_eq!(Unit::Ratio.format(f64::NAN), "–");
    }
}
