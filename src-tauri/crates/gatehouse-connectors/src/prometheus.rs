//! Prometheus's HTTP API (`query`, `query_range`, `series`, `labels`) and the system and data
//! signals built on it: latency quantiles, error and request rates per version, and per-feature
//! histogram bin counts per window as an input of the drift engine.
//!
//! Prometheus writes sample values as strings (`"0.25"`, `"NaN"`, `"+Inf"`); they are parsed
//! here, exactly, and anything else is an error. Queries are built from names that are checked
//! first and label values that are escaped, so configuration can never inject PromQL.

use std::collections::BTreeMap;
use std::time::Duration;

use gatehouse_core::policy::{BackendKind, Policy};
use gatehouse_core::rollout::{MetricQuery, MetricsBackend};
use gatehouse_core::signals::{MonitorQueries, SignalPoint, SignalSeries, SystemSignal};
use gatehouse_core::time::Timestamp;
use gatehouse_core::{Error, ErrorReport};
use serde::Deserialize;

use crate::error::ConnectorError;
use crate::http::{ClientOptions, Endpoint};
use crate::secret::{self, Credential};

const BACKEND: &str = "prometheus";

/// One value of a series at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// When.
    pub at: Timestamp,
    /// The value; may be NaN or infinite, as Prometheus computes it.
    pub value: f64,
}

/// A series: its labels and its points, oldest first. An instant query gives one point per
/// series; a scalar gives one series without labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The labels, `__name__` included when Prometheus keeps it.
    pub labels: BTreeMap<String, String>,
    /// The points.
    pub points: Vec<Point>,
}

impl Series {
    /// The last point's value.
    pub fn last(&self) -> Option<f64> {
        self.points.last().map(|p| p.value)
    }
}

/// p50, p95 and p99 of a latency histogram, in the histogram's unit (seconds by convention).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyQuantiles {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// A histogram's bins over one window: `counts[i]` observations fell in `(edges[i-1], edges[i]]`
/// (the first bin starts at minus infinity, the last edge is `+Inf`).
#[derive(Debug, Clone, PartialEq)]
pub struct BinCounts {
    /// Upper bounds, ascending, the last one `+Inf`.
    pub edges: Vec<f64>,
    /// Observations per bin.
    pub counts: Vec<f64>,
}

impl BinCounts {
    /// All observations in the window.
    pub fn total(&self) -> f64 {
        self.counts.iter().sum()
    }
}

/// The metrics the system signals are read from. The defaults fit the common HTTP exporters
/// (`http_request_duration_seconds` histograms, `http_requests_total` counters with a `code`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalQueries {
    /// The latency histogram's name, without `_bucket`.
    pub latency_histogram: String,
    /// The request counter.
    pub requests_total: String,
    /// The matcher that picks failed requests out of the counter.
    pub error_matcher: String,
    /// The label that names the model.
    pub model_label: String,
    /// The label that names the version.
    pub version_label: String,
}

impl From<&MonitorQueries> for SignalQueries {
    fn from(m: &MonitorQueries) -> SignalQueries {
        SignalQueries {
            latency_histogram: m.latency_histogram.clone(),
            requests_total: m.requests_total.clone(),
            error_matcher: m.error_matcher.clone(),
            model_label: m.model_label.clone(),
            version_label: m.version_label.clone(),
        }
    }
}

impl Default for SignalQueries {
    fn default() -> Self {
        SignalQueries {
            latency_histogram: "http_request_duration_seconds".into(),
            requests_total: "http_requests_total".into(),
            error_matcher: r#"code=~"5..""#.into(),
            model_label: "model".into(),
            version_label: "version".into(),
        }
    }
}

/// A client of one Prometheus server.
#[derive(Debug, Clone)]
pub struct Prometheus {
    endpoint: Endpoint,
}

impl Prometheus {
    /// A client for the Prometheus at `base_url` (such as `http://127.0.0.1:9090`).
    pub fn new(base_url: &str, options: ClientOptions) -> Result<Prometheus, ConnectorError> {
        Ok(Prometheus {
            endpoint: Endpoint::new(BACKEND, base_url, options)?,
        })
    }

    /// The same client, sending `credential` (basic auth or a bearer token, for a Prometheus
    /// behind `--web.config.file` or a proxy) with every request.
    pub fn with_credential(self, credential: Option<Credential>) -> Prometheus {
        Prometheus {
            endpoint: self.endpoint.with_credential(credential),
        }
    }

    /// A client for the policy's metrics back end, with its credential from the keyring.
    pub fn from_backend(
        backend: &gatehouse_core::policy::Backend,
        options: ClientOptions,
    ) -> Result<Prometheus, ConnectorError> {
        let url = match (backend.kind, backend.url.as_deref()) {
            (gatehouse_core::policy::BackendKind::Prometheus, Some(url)) => url,
            _ => {
                return Err(ConnectorError::Invalid(
                    "[backends.metrics] is not a prometheus with a url: run `gatehouse connect prometheus URL`".into(),
                ))
            }
        };
        let credential = match &backend.credential {
            Some(entry) => Some(secret::load(entry)?),
            None => None,
        };
        Ok(Prometheus::new(url, options)?.with_credential(credential))
    }

    /// The base URL.
    pub fn url(&self) -> &str {
        self.endpoint.base()
    }

    /// Checks that a Prometheus answers at the URL and accepts the credential: its build
    /// information, which only Prometheus's own API serves. Returns its version.
    pub async fn check(&self) -> Result<String, ConnectorError> {
        let path = "api/v1/status/buildinfo";
        let answer: wire::Answer<wire::BuildInfo> =
            self.endpoint.get(path, &[]).await.map_err(|e| match e {
                ConnectorError::Rejected { status: 404, .. } => self
                    .endpoint
                    .unexpected(path, "no such endpoint: this is not a prometheus".into()),
                other => other,
            })?;
        let info = answer
            .data()
            .map_err(|d| self.endpoint.unexpected(path, d))?;
        if info.version.trim().is_empty() {
            return Err(self
                .endpoint
                .unexpected(path, "build information without a version".into()));
        }
        Ok(info.version)
    }

    /// Evaluates `expr` at `at`.
    pub async fn query(&self, expr: &str, at: Timestamp) -> Result<Vec<Series>, ConnectorError> {
        let path = "api/v1/query";
        let answer: wire::Answer<wire::QueryData> = self
            .endpoint
            .get(path, &[("query", expr.to_owned()), ("time", seconds(at))])
            .await?;
        answer
            .data()
            .and_then(wire::QueryData::into_series)
            .map_err(|d| self.endpoint.unexpected(path, d))
    }

    /// Evaluates `expr` from `start` to `end` every `step`.
    pub async fn query_range(
        &self,
        expr: &str,
        start: Timestamp,
        end: Timestamp,
        step: Duration,
    ) -> Result<Vec<Series>, ConnectorError> {
        let path = "api/v1/query_range";
        if step.as_millis() == 0 || end < start {
            return Err(ConnectorError::Invalid(
                "a range query needs start ≤ end and a step of at least a millisecond".into(),
            ));
        }
        let step = format!("{:.3}", step.as_secs_f64());
        let answer: wire::Answer<wire::QueryData> = self
            .endpoint
            .get(
                path,
                &[
                    ("query", expr.to_owned()),
                    ("start", seconds(start)),
                    ("end", seconds(end)),
                    ("step", step),
                ],
            )
            .await?;
        answer
            .data()
            .and_then(wire::QueryData::into_series)
            .map_err(|d| self.endpoint.unexpected(path, d))
    }

    /// The label sets of the series that match any of `matchers` (such as `up{job="x"}`)
    /// between `start` and `end`.
    pub async fn series(
        &self,
        matchers: &[&str],
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<BTreeMap<String, String>>, ConnectorError> {
        let path = "api/v1/series";
        let query = range_query(matchers, start, end)?;
        let answer: wire::Answer<Vec<BTreeMap<String, String>>> =
            self.endpoint.get(path, &query).await?;
        answer.data().map_err(|d| self.endpoint.unexpected(path, d))
    }

    /// The label names of the series that match any of `matchers`.
    pub async fn labels(
        &self,
        matchers: &[&str],
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<String>, ConnectorError> {
        let path = "api/v1/labels";
        let query = range_query(matchers, start, end)?;
        let answer: wire::Answer<Vec<String>> = self.endpoint.get(path, &query).await?;
        answer.data().map_err(|d| self.endpoint.unexpected(path, d))
    }

    /// The values of label `name` over the series that match any of `matchers` (without one,
    /// Prometheus mixes in the values of unrelated metrics).
    pub async fn label_values(
        &self,
        name: &str,
        matchers: &[&str],
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<String>, ConnectorError> {
        check_label_name(name)?;
        let path = format!("api/v1/label/{name}/values");
        let query = range_query(matchers, start, end)?;
        let answer: wire::Answer<Vec<String>> = self.endpoint.get(&path, &query).await?;
        answer
            .data()
            .map_err(|d| self.endpoint.unexpected(&path, d))
    }

    /// p50, p95 and p99 latency of `model` per version over the window ending at `at`.
    pub async fn latency_quantiles(
        &self,
        q: &SignalQueries,
        model: &str,
        window: Duration,
        at: Timestamp,
    ) -> Result<BTreeMap<String, LatencyQuantiles>, ConnectorError> {
        let mut per_q = Vec::new();
        for quantile in [0.5, 0.95, 0.99] {
            let expr = latency_query(q, model, quantile, window)?;
            per_q.push(self.by_label(&expr, &q.version_label, at).await?);
        }
        let mut out = BTreeMap::new();
        if let [p50, p95, p99] = per_q.as_slice() {
            for (version, &v50) in p50 {
                let get = |m: &BTreeMap<String, f64>| m.get(version).copied().unwrap_or(f64::NAN);
                out.insert(
                    version.clone(),
                    LatencyQuantiles {
                        p50: v50,
                        p95: get(p95),
                        p99: get(p99),
                    },
                );
            }
        }
        Ok(out)
    }

    /// Failed requests over all requests of `model` per version over the window ending at `at`
    /// (NaN for a version without requests).
    pub async fn error_rate(
        &self,
        q: &SignalQueries,
        model: &str,
        window: Duration,
        at: Timestamp,
    ) -> Result<BTreeMap<String, f64>, ConnectorError> {
        let expr = error_rate_query(q, model, window)?;
        self.by_label(&expr, &q.version_label, at).await
    }

    /// Requests per second of `model` per version over the window ending at `at`.
    pub async fn request_rate(
        &self,
        q: &SignalQueries,
        model: &str,
        window: Duration,
        at: Timestamp,
    ) -> Result<BTreeMap<String, f64>, ConnectorError> {
        let expr = request_rate_query(q, model, window)?;
        self.by_label(&expr, &q.version_label, at).await
    }

    /// The bin counts of histogram `feature` (its name without `_bucket`) over the window ending
    /// at `at`, optionally only for series with `label="value"` pairs: the drift engine's input.
    pub async fn feature_bins(
        &self,
        feature: &str,
        selector: &[(&str, &str)],
        window: Duration,
        at: Timestamp,
    ) -> Result<BinCounts, ConnectorError> {
        let expr = feature_bins_query(feature, selector, window)?;
        let path = "api/v1/query";
        let series = self.query(&expr, at).await?;
        bins_from_series(&series).map_err(|d| self.endpoint.unexpected(path, d))
    }

    /// Every system signal of `model` per version from `from` to `to` every `step`, with the
    /// policy's queries: the Monitor view's input. A signal whose query gives no series (its
    /// exporter is not there) is simply absent; a refused or failing query is an error.
    pub async fn system_series(
        &self,
        queries: &MonitorQueries,
        model: &str,
        (from, to): (Timestamp, Timestamp),
        step: Duration,
    ) -> Result<Vec<SignalSeries>, ConnectorError> {
        let q = SignalQueries::from(queries);
        let window = Duration::from_secs(queries.rate_window_seconds().ok_or_else(|| {
            ConnectorError::Invalid(format!(
                "`{}` is not a rate window such as `5m`",
                queries.rate_window
            ))
        })?);
        let model_value = equal(&q.model_label, model)?;
        // The value part of `label="value"`, escaped, for the templates' `$model`.
        let escaped = model_value
            .split_once('=')
            .and_then(|(_, v)| v.strip_prefix('"')?.strip_suffix('"'))
            .unwrap_or_default()
            .to_owned();
        let template = |t: &str| t.replace("$model", &escaped);
        let exprs = [
            (
                SystemSignal::LatencyP50,
                latency_query(&q, model, 0.5, window)?,
            ),
            (
                SystemSignal::LatencyP95,
                latency_query(&q, model, 0.95, window)?,
            ),
            (
                SystemSignal::LatencyP99,
                latency_query(&q, model, 0.99, window)?,
            ),
            (
                SystemSignal::ErrorRate,
                error_rate_query(&q, model, window)?,
            ),
            (
                SystemSignal::RequestRate,
                request_rate_query(&q, model, window)?,
            ),
            (SystemSignal::Cpu, template(&queries.cpu)),
            (SystemSignal::Memory, template(&queries.memory)),
            (SystemSignal::Queue, template(&queries.queue)),
        ];
        let mut out = Vec::new();
        for (signal, expr) in exprs {
            for s in self.query_range(&expr, from, to, step).await? {
                out.push(SignalSeries {
                    signal,
                    version: s.labels.get(&q.version_label).cloned().unwrap_or_default(),
                    points: s
                        .points
                        .iter()
                        .map(|p| SignalPoint {
                            at: p.at,
                            value: Some(p.value).filter(|v| v.is_finite()),
                        })
                        .collect(),
                });
            }
        }
        Ok(out)
    }

    async fn by_label(
        &self,
        expr: &str,
        label: &str,
        at: Timestamp,
    ) -> Result<BTreeMap<String, f64>, ConnectorError> {
        let series = self.query(expr, at).await?;
        let mut out = BTreeMap::new();
        for s in series {
            let key = s.labels.get(label).cloned().unwrap_or_default();
            if let Some(v) = s.last() {
                out.insert(key, v);
            }
        }
        Ok(out)
    }
}

/// The policy's metrics back end when it is a Prometheus, with its credential from the keyring:
/// where the rollout analysis's PromQL metrics are measured. None for the embedded back end.
pub fn for_policy(policy: &Policy) -> Result<Option<Prometheus>, Error> {
    let metrics = &policy.backends.metrics;
    match metrics.kind {
        BackendKind::Prometheus => Ok(Some(Prometheus::from_backend(
            metrics,
            ClientOptions::default(),
        )?)),
        BackendKind::Embedded | BackendKind::Mlflow | BackendKind::Alertmanager => Ok(None),
    }
}

/// The policy's Prometheus as the live views (`gatehouse status`, the Loop, the Rollout view) take
/// the rollout's due measurements with it: the back end, or why it cannot be used, which the
/// rollout gate then shows instead of failing the whole view.
pub struct LiveMetrics(Result<Option<Prometheus>, ErrorReport>);

impl LiveMetrics {
    /// The policy's metrics back end, as [`for_policy`] makes it.
    pub fn for_policy(policy: &Policy) -> LiveMetrics {
        LiveMetrics(for_policy(policy).map_err(|e| e.report()))
    }

    /// The back end lent to the core's live views.
    pub fn backend(&self) -> MetricsBackend<'_, Prometheus> {
        self.0.as_ref().map(Option::as_ref).map_err(Clone::clone)
    }
}

/// The rollout analysis's measurements: an instant query that must give exactly one number.
impl MetricQuery for Prometheus {
    async fn value_at(&self, query: &str, at: Timestamp) -> Result<f64, Error> {
        let series = self.query(query, at).await?;
        match series.as_slice() {
            [one] => one.last().ok_or_else(|| {
                Error::BadInput(format!("`{}` gave a series without a value", truncate(query)))
            }),
            [] => Err(Error::NotFound(format!(
                "no data: `{}` gave an empty result",
                truncate(query)
            ))),
            many => Err(Error::BadInput(format!(
                "`{}` gave {} series; a rollout metric needs one number (aggregate with sum or avg)",
                truncate(query),
                many.len()
            ))),
        }
    }
}

fn seconds(t: Timestamp) -> String {
    let sign = if t.0 < 0 { "-" } else { "" };
    let abs = t.0.unsigned_abs();
    format!("{sign}{}.{:03}", abs / 1000, abs % 1000)
}

fn range_query(
    matchers: &[&str],
    start: Timestamp,
    end: Timestamp,
) -> Result<Vec<(&'static str, String)>, ConnectorError> {
    if end < start {
        return Err(ConnectorError::Invalid(
            "start must not be after end".into(),
        ));
    }
    let mut query: Vec<(&'static str, String)> = matchers
        .iter()
        .map(|m| ("match[]", (*m).to_owned()))
        .collect();
    query.push(("start", seconds(start)));
    query.push(("end", seconds(end)));
    Ok(query)
}

/// A PromQL range such as `300s`.
fn range(window: Duration) -> Result<String, ConnectorError> {
    let secs = window.as_secs();
    if secs == 0 {
        return Err(ConnectorError::Invalid(
            "a window must be at least one second".into(),
        ));
    }
    Ok(format!("{secs}s"))
}

fn check_metric_name(name: &str) -> Result<(), ConnectorError> {
    let ok = name.chars().enumerate().all(|(i, c)| {
        c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
    }) && !name.is_empty();
    if ok {
        Ok(())
    } else {
        Err(ConnectorError::Invalid(format!(
            "`{name}` is not a prometheus metric name"
        )))
    }
}

fn check_label_name(name: &str) -> Result<(), ConnectorError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_alphabetic() || c == '_' || (i > 0 && c.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(ConnectorError::Invalid(format!(
            "`{name}` is not a prometheus label name"
        )))
    }
}

/// `label="value"` with the value escaped as PromQL strings are.
fn equal(label: &str, value: &str) -> Result<String, ConnectorError> {
    check_label_name(label)?;
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    Ok(format!("{label}=\"{escaped}\""))
}

/// Checks a configured matcher (`code=~"5.."`): a label name, an operator, a quoted string.
fn check_matcher(matcher: &str) -> Result<(), ConnectorError> {
    let bad = || ConnectorError::Invalid(format!("`{matcher}` is not a prometheus label matcher"));
    let name_end = matcher
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .ok_or_else(bad)?;
    check_label_name(&matcher[..name_end]).map_err(|_| bad())?;
    let rest = &matcher[name_end..];
    let value = ["=~", "!~", "!=", "="]
        .iter()
        .find_map(|op| rest.strip_prefix(op))
        .ok_or_else(bad)?;
    let inner = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or_else(bad)?;
    // An unescaped quote inside would end the string early and let the rest through as PromQL.
    let mut escaped = false;
    for c in inner.chars() {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => return Err(bad()),
            (false, _) => {}
        }
    }
    if escaped {
        return Err(bad());
    }
    Ok(())
}

fn latency_query(
    q: &SignalQueries,
    model: &str,
    quantile: f64,
    window: Duration,
) -> Result<String, ConnectorError> {
    check_metric_name(&q.latency_histogram)?;
    check_label_name(&q.version_label)?;
    Ok(format!(
        "histogram_quantile({quantile}, sum by (le, {v}) (rate({m}_bucket{{{sel}}}[{w}])))",
        v = q.version_label,
        m = q.latency_histogram,
        sel = equal(&q.model_label, model)?,
        w = range(window)?
    ))
}

fn request_rate_query(
    q: &SignalQueries,
    model: &str,
    window: Duration,
) -> Result<String, ConnectorError> {
    check_metric_name(&q.requests_total)?;
    check_label_name(&q.version_label)?;
    Ok(format!(
        "sum by ({v}) (rate({m}{{{sel}}}[{w}]))",
        v = q.version_label,
        m = q.requests_total,
        sel = equal(&q.model_label, model)?,
        w = range(window)?
    ))
}

fn error_rate_query(
    q: &SignalQueries,
    model: &str,
    window: Duration,
) -> Result<String, ConnectorError> {
    check_metric_name(&q.requests_total)?;
    check_label_name(&q.version_label)?;
    check_matcher(&q.error_matcher)?;
    let sel = equal(&q.model_label, model)?;
    let w = range(window)?;
    // `or … * 0` keeps versions without any failure at 0 instead of dropping them.
    Ok(format!(
        "(sum by ({v}) (rate({m}{{{sel},{e}}}[{w}])) or sum by ({v}) (rate({m}{{{sel}}}[{w}])) * 0) \
         / sum by ({v}) (rate({m}{{{sel}}}[{w}]))",
        v = q.version_label,
        m = q.requests_total,
        e = q.error_matcher,
    ))
}

fn feature_bins_query(
    feature: &str,
    selector: &[(&str, &str)],
    window: Duration,
) -> Result<String, ConnectorError> {
    check_metric_name(feature)?;
    let sel = selector
        .iter()
        .map(|(k, v)| equal(k, v))
        .collect::<Result<Vec<_>, _>>()?
        .join(",");
    Ok(format!(
        "sum by (le) (increase({feature}_bucket{{{sel}}}[{w}]))",
        w = range(window)?
    ))
}

/// Turns cumulative `le` buckets into per-bin counts.
fn bins_from_series(series: &[Series]) -> Result<BinCounts, String> {
    let mut buckets: Vec<(f64, f64)> = Vec::with_capacity(series.len());
    for s in series {
        let le = s.labels.get("le").ok_or("a bucket without an `le` label")?;
        let edge = parse_value(le).map_err(|e| format!("bucket bound: {e}"))?;
        if edge.is_nan() {
            return Err("a bucket bound of NaN".into());
        }
        let value = s.last().ok_or("a bucket without a value")?;
        if !value.is_finite() {
            return Err(format!("bucket {le} holds {value}"));
        }
        buckets.push((edge, value));
    }
    if buckets.is_empty() {
        return Err("no buckets in the window (is the feature histogram exported?)".into());
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    if buckets.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err("two buckets with the same bound".into());
    }
    if buckets.last().is_none_or(|b| b.0 != f64::INFINITY) {
        return Err("no +Inf bucket".into());
    }
    let total = buckets.last().map(|b| b.1).unwrap_or(0.0);
    let tolerance = 1e-9 * total.abs().max(1.0);
    let mut counts = Vec::with_capacity(buckets.len());
    let mut below = 0.0;
    for &(edge, cumulative) in &buckets {
        let count = cumulative - below;
        if count < -tolerance {
            return Err(format!("buckets are not cumulative at le={edge}"));
        }
        counts.push(count.max(0.0));
        below = cumulative.max(below);
    }
    Ok(BinCounts {
        edges: buckets.iter().map(|b| b.0).collect(),
        counts,
    })
}

/// A sample value as Prometheus writes it: a decimal or exponent number, `NaN`, `+Inf`, `-Inf`.
pub fn parse_value(text: &str) -> Result<f64, String> {
    match text {
        "NaN" => return Ok(f64::NAN),
        "+Inf" | "Inf" => return Ok(f64::INFINITY),
        "-Inf" => return Ok(f64::NEG_INFINITY),
        _ => {}
    }
    // Rust would also accept `inf`, `infinity` and `nan` in any case; Prometheus never writes
    // them, so they are refused like any other word.
    let numeric = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if !numeric {
        return Err(format!("`{}` is not a number", truncate(text)));
    }
    text.parse::<f64>()
        .map_err(|_| format!("`{}` is not a number", truncate(text)))
}

fn truncate(text: &str) -> String {
    text.chars().take(40).collect()
}

/// Prometheus's JSON, as it is on the wire.
mod wire {
    use super::*;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Answer<T> {
        pub status: String,
        pub data: Option<T>,
        pub error_type: Option<String>,
        pub error: Option<String>,
    }

    impl<T> Answer<T> {
        pub fn data(self) -> Result<T, String> {
            match (self.status.as_str(), self.data) {
                ("success", Some(data)) => Ok(data),
                ("success", None) => Err("a success without data".into()),
                ("error", _) => Err(format!(
                    "{}: {}",
                    self.error_type.as_deref().unwrap_or("error"),
                    self.error.as_deref().unwrap_or("no message")
                )),
                (other, _) => Err(format!("unknown status `{}`", truncate(other))),
            }
        }
    }

    /// `/api/v1/status/buildinfo`'s data; only the version is read.
    #[derive(Deserialize)]
    pub struct BuildInfo {
        pub version: String,
    }

    /// `[1700000000.123, "0.5"]`
    #[derive(Deserialize)]
    pub struct Sample(pub f64, pub String);

    impl Sample {
        fn point(&self) -> Result<Point, String> {
            if !self.0.is_finite() || self.0.abs() > 1e14 {
                // In exponent form: a time of 1e300 written out would be 301 digits long.
                return Err(format!("a sample time of {:e}", self.0));
            }
            Ok(Point {
                at: Timestamp((self.0 * 1000.0).round() as i64),
                value: parse_value(&self.1)?,
            })
        }
    }

    #[derive(Deserialize)]
    pub struct VectorItem {
        pub metric: BTreeMap<String, String>,
        pub value: Sample,
    }

    #[derive(Deserialize)]
    pub struct MatrixItem {
        pub metric: BTreeMap<String, String>,
        pub values: Vec<Sample>,
    }

    #[derive(Deserialize)]
    #[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
    pub enum QueryData {
        Vector(Vec<VectorItem>),
        Matrix(Vec<MatrixItem>),
        Scalar(Sample),
        String(serde::de::IgnoredAny),
    }

    impl QueryData {
        pub fn into_series(self) -> Result<Vec<Series>, String> {
            match self {
                QueryData::Vector(items) => items
                    .into_iter()
                    .map(|i| {
                        Ok(Series {
                            points: vec![i.value.point()?],
                            labels: i.metric,
                        })
                    })
                    .collect(),
                QueryData::Matrix(items) => items
                    .into_iter()
                    .map(|i| {
                        Ok(Series {
                            points: i
                                .values
                                .iter()
                                .map(Sample::point)
                                .collect::<Result<_, String>>()?,
                            labels: i.metric,
                        })
                    })
                    .collect(),
                QueryData::Scalar(sample) => Ok(vec![Series {
                    labels: BTreeMap::new(),
                    points: vec![sample.point()?],
                }]),
                QueryData::String(_) => Err("a string result where numbers were expected".into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> Result<Vec<Series>, String> {
        let answer: wire::Answer<wire::QueryData> =
            serde_json::from_str(text).map_err(|e| e.to_string())?;
        answer.data().and_then(wire::QueryData::into_series)
    }

    const VECTOR: &str = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"le":"0.1"},"value":[1764175997.295,"12"]},{"metric":{"le":"+Inf"},"value":[1764175997.295,"30"]},{"metric":{"le":"0.05"},"value":[1764175997.295,"2e0"]}]}}"#;
    const MATRIX: &str = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"version":"4"},"values":[[1764175900,"NaN"],[1764175960,"+Inf"],[1764176020,"-Inf"],[1764176080,"0.125"]]}]}}"#;

    #[test]
    fn values_parse_as_prometheus_writes_them() {
        let check = |text: &str, expected: Option<f64>| {
            let got = parse_value(text).ok();
            match (got, expected) {
                (Some(g), Some(e)) if e.is_nan() => assert!(g.is_nan(), "{text}"),
                (g, e) => assert_eq!(g, e, "{text}"),
            }
        };
        check("0.25", Some(0.25));
        check("1e-3", Some(0.001));
        check("-2.5E+2", Some(-250.0));
        check("NaN", Some(f64::NAN));
        check("+Inf", Some(f64::INFINITY));
        check("-Inf", Some(f64::NEG_INFINITY));
        for bad in [
            "", "inf", "nan", "infinity", "0x10", "1,5", " 1", "1 ", "--1", "e",
        ] {
            check(bad, None);
        }
    }

    #[test]
    fn answers_decode_to_series() {
        let series = decode(MATRIX).unwrap();
        let values: Vec<f64> = series[0].points.iter().map(|p| p.value).collect();
        assert!(values[0].is_nan());
        assert_eq!(&values[1..], [f64::INFINITY, f64::NEG_INFINITY, 0.125]);
        assert_eq!(series[0].points[0].at, Timestamp(1_764_175_900_000));
        let scalar =
            decode(r#"{"status":"success","data":{"resultType":"scalar","result":[1.5,"3"]}}"#)
                .unwrap();
        assert_eq!(scalar[0].points[0].value, 3.0);
        let err =
            decode(r#"{"status":"error","errorType":"bad_data","error":"parse error at char 3"}"#)
                .unwrap_err();
        assert_eq!(err, "bad_data: parse error at char 3");
        assert!(
            decode(r#"{"status":"success","data":{"resultType":"string","result":[1,"x"]}}"#)
                .is_err()
        );
    }

    #[test]
    fn cumulative_buckets_become_bin_counts() {
        let bins = bins_from_series(&decode(VECTOR).unwrap()).unwrap();
        assert_eq!(bins.edges, [0.05, 0.1, f64::INFINITY]);
        assert_eq!(bins.counts, [2.0, 10.0, 18.0]);
        assert_eq!(bins.total(), 30.0);
        let broken = VECTOR.replace(r#""12""#, r#""1""#);
        assert!(bins_from_series(&decode(&broken).unwrap())
            .unwrap_err()
            .contains("not cumulative"));
        let no_inf = VECTOR.replace("+Inf", "1");
        assert!(bins_from_series(&decode(&no_inf).unwrap()).is_err());
        assert!(bins_from_series(&[]).is_err());
    }

    #[test]
    fn queries_are_built_from_checked_names_and_escaped_values() {
        let q = SignalQueries::default();
        assert_eq!(
            latency_query(&q, "churn", 0.95, Duration::from_secs(300)).unwrap(),
            r#"histogram_quantile(0.95, sum by (le, version) (rate(http_request_duration_seconds_bucket{model="churn"}[300s])))"#
        );
        assert_eq!(
            feature_bins_query("tenure", &[("model", r#"a"b\"#)], Duration::from_secs(3600))
                .unwrap(),
            r#"sum by (le) (increase(tenure_bucket{model="a\"b\\"}[3600s]))"#
        );
        assert!(feature_bins_query("tenure{x=\"1\"}", &[], Duration::from_secs(60)).is_err());
        assert!(feature_bins_query("t", &[("bad label", "x")], Duration::from_secs(60)).is_err());
        assert!(latency_query(&q, "churn", 0.5, Duration::from_millis(10)).is_err());
        for ok in [r#"code=~"5..""#, r#"status!="200""#, r#"a="x\"y""#] {
            assert!(check_matcher(ok).is_ok(), "{ok}");
        }
        for bad in [
            r#"code=~"5.."}) or vector(1"#,
            "code",
            r#"code=5"#,
            r#"code="a"b""#,
            r#"="x""#,
        ] {
            assert!(check_matcher(bad).is_err(), "{bad}");
        }
        assert_eq!(seconds(Timestamp(1_764_175_997_295)), "1764175997.295");
        assert_eq!(seconds(Timestamp(-1)), "-0.001");
    }

    #[test]
    fn mutated_answers_never_panic() {
        let mut state: u64 = 0x5EED;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let junk = [
            "null",
            "\"NaN\"",
            "\"+Inf\"",
            "1e309",
            "-1e309",
            "[]",
            "{}",
            "\"\"",
            "true",
            "[1]",
            "\"vector\"",
            "\"matrix\"",
            "\"scalar\"",
            "1e15",
        ];
        for sample in [VECTOR, MATRIX] {
            for _ in 0..5000 {
                let mut text = sample.to_owned();
                for _ in 0..1 + next(3) {
                    // Replace a token between two structural characters with junk, or cut.
                    let cuts: Vec<usize> = text
                        .char_indices()
                        .filter(|(_, c)| matches!(c, ',' | ':' | '[' | '{'))
                        .map(|(i, _)| i + 1)
                        .collect();
                    if cuts.is_empty() {
                        break;
                    }
                    let start = cuts[next(cuts.len())];
                    let end = text[start..]
                        .find([',', ']', '}'])
                        .map(|e| start + e)
                        .unwrap_or(text.len());
                    if next(10) == 0 {
                        text.truncate(start);
                    } else {
                        text.replace_range(start..end, junk[next(junk.len())]);
                    }
                }
                if let Ok(series) = decode(&text) {
                    let _ = bins_from_series(&series);
                }
                let _ = parse_value(&text);
            }
        }
    }
}
