//! Drift read from Prometheus histograms: the policy's `[drift.prometheus]` table, which names
//! the features (each a histogram, `<feature>_bucket` with an `le` label), the series to read
//! and the windows, and the windows it asks for at a given time.
//!
//! ```toml
//! [drift.prometheus]
//! features = ["tenure_months", "monthly_spend"]   # histogram names, without `_bucket`
//! labels = { model = "churn" }                     # only series with these labels (optional)
//! window = "1h"                                    # each current window (default 1h)
//! windows = 24                                     # how many, the last ending now (default 24)
//! reference = "24h"                                # the reference window's width (default 24h)
//! reference_end = "2026-11-01T00:00:00Z"           # its end (default: the first window's start)
//! ```
//!
//! Each window's distribution is `sum by (le)(increase(<feature>_bucket{labels}[w]))` at the
//! window's end: binned data, compared by [`gatehouse_drift::compare_binned`], so only the
//! methods that make sense on bins apply (a `[drift.columns.<feature>]` method that needs raw
//! samples is refused here, with its line).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::time::civil::{civil_from_days, days_from_civil, days_in_month};
use crate::time::Timestamp;

/// Where the features' histograms are read, and over which windows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistogramSource {
    /// The features, each the name of a histogram without `_bucket`, in the policy's order.
    pub features: Vec<String>,
    /// Label values every series must have (`model = "churn"`).
    pub labels: BTreeMap<String, String>,
    /// Width of each current window, in milliseconds (whole seconds).
    pub window_ms: i64,
    /// How many current windows.
    pub windows: u32,
    /// Width of the reference window, in milliseconds (whole seconds).
    pub reference_ms: i64,
    /// The end of the reference window; by default the start of the first current window.
    pub reference_end: Option<Timestamp>,
}

/// Default width of a current window: an hour.
pub const DEFAULT_WINDOW: &str = "1h";
/// Default number of current windows: a day of hours.
pub const DEFAULT_WINDOWS: u32 = 24;
/// Default width of the reference window.
pub const DEFAULT_REFERENCE: &str = "24h";
/// The most windows a board may hold (each is one query per feature).
pub const MAX_WINDOWS: i64 = 500;

impl HistogramSource {
    /// The current windows at `now`, oldest first, the last ending at `now`.
    pub fn windows_at(&self, now: Timestamp) -> Vec<(Timestamp, Timestamp)> {
        let n = i64::from(self.windows);
        (0..n)
            .map(|k| {
                let end = now.0 - (n - 1 - k) * self.window_ms;
                (Timestamp(end - self.window_ms), Timestamp(end))
            })
            .collect()
    }

    /// The reference window at `now`.
    pub fn reference_at(&self, now: Timestamp) -> (Timestamp, Timestamp) {
        let end = self
            .reference_end
            .unwrap_or_else(|| Timestamp(now.0 - i64::from(self.windows) * self.window_ms));
        (Timestamp(end.0 - self.reference_ms), end)
    }
}

/// The table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSource {
    features: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    labels: BTreeMap<String, Spanned<String>>,
    window: Option<Spanned<String>>,
    windows: Option<Spanned<i64>>,
    reference: Option<Spanned<String>>,
    reference_end: Option<Spanned<String>>,
}

/// A problem and the byte offset it is at.
type Invalid = (usize, String);

/// Checks the table: metric and label names as Prometheus spells them, durations of whole
/// seconds, a sane number of windows, an RFC 3339 reference end.
pub(crate) fn validate(table: Spanned<RawSource>) -> Result<HistogramSource, Invalid> {
    let at = table.span().start;
    let raw = table.into_inner();
    let key = |k: &str| format!("`drift.prometheus.{k}`");
    if raw.features.get_ref().is_empty() {
        return Err((
            raw.features.span().start,
            format!("{} names no feature", key("features")),
        ));
    }
    let mut features = Vec::new();
    for f in raw.features.into_inner() {
        let name = f.get_ref().clone();
        if !is_metric_name(&name) || name.ends_with("_bucket") {
            return Err((
                f.span().start,
                format!(
                    "{}: `{name}` is not a histogram name (letters, digits, `_` and `:`, without `_bucket`)",
                    key("features")
                ),
            ));
        }
        if features.contains(&name) {
            return Err((
                f.span().start,
                format!("{}: `{name}` is named twice", key("features")),
            ));
        }
        features.push(name);
    }
    let mut labels = BTreeMap::new();
    for (name, value) in raw.labels {
        if !is_label_name(&name) || name == "le" {
            return Err((
                value.span().start,
                format!("`drift.prometheus.labels.{name}`: not a label name a histogram's series can be picked by"),
            ));
        }
        labels.insert(name, value.into_inner());
    }
    let duration =
        |v: Option<Spanned<String>>, name: &str, default: &str| -> Result<i64, Invalid> {
            let (text, span) = match &v {
                Some(s) => (s.get_ref().as_str(), s.span().start),
                None => (default, at),
            };
            match crate::alert::parse_duration(text) {
                Ok(ms) if ms >= 1000 && ms % 1000 == 0 => Ok(ms),
                _ => Err((
                    span,
                    format!(
                        "{}: `{text}` is not a duration of whole seconds such as 10m or 1h",
                        key(name)
                    ),
                )),
            }
        };
    let window_ms = duration(raw.window, "window", DEFAULT_WINDOW)?;
    let reference_ms = duration(raw.reference, "reference", DEFAULT_REFERENCE)?;
    let windows = match raw.windows {
        None => DEFAULT_WINDOWS,
        Some(n) if (1..=MAX_WINDOWS).contains(n.get_ref()) => *n.get_ref() as u32,
        Some(n) => {
            return Err((
                n.span().start,
                format!("{} must be between 1 and {MAX_WINDOWS}", key("windows")),
            ))
        }
    };
    let reference_end = match raw.reference_end {
        None => None,
        Some(t) => Some(parse_utc(t.get_ref()).ok_or_else(|| {
            (
                t.span().start,
                format!(
                    "{}: `{}` is not a UTC time such as 2026-11-01T00:00:00Z",
                    key("reference_end"),
                    t.get_ref()
                ),
            )
        })?),
    };
    Ok(HistogramSource {
        features,
        labels,
        window_ms,
        windows,
        reference_ms,
        reference_end,
    })
}

fn is_metric_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().enumerate().all(|(i, c)| {
            c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
        })
}

fn is_label_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with("__")
        && name
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_alphabetic() || c == '_' || (i > 0 && c.is_ascii_digit()))
}

/// `YYYY-MM-DDTHH:MM:SSZ` (seconds optional, `Z` only) as a timestamp.
fn parse_utc(text: &str) -> Option<Timestamp> {
    let (date, time) = text.strip_suffix('Z')?.split_once('T')?;
    let num = |s: &str, len: usize| -> Option<i64> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let mut d = date.split('-');
    let (y, m, day) = (num(d.next()?, 4)?, num(d.next()?, 2)?, num(d.next()?, 2)?);
    let mut t = time.split(':');
    let (hh, mm) = (num(t.next()?, 2)?, num(t.next()?, 2)?);
    let ss = match t.next() {
        Some(s) => num(s, 2)?,
        None => 0,
    };
    if d.next().is_some() || t.next().is_some() {
        return None;
    }
    if !(1..=12).contains(&m)
        || !(1..=days_in_month(y, m)).contains(&day)
        || hh > 23
        || mm > 59
        || ss > 59
    {
        return None;
    }
    let days = days_from_civil(y, m, day);
    Some(Timestamp(((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000))
}

/// `t` as `YYYY-MM-DDTHH:MM:SSZ`, for messages a person reads (milliseconds dropped).
pub fn fmt_utc(t: Timestamp) -> String {
    let secs = t.0.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Result<HistogramSource, String> {
        let table: Spanned<RawSource> =
            toml::from_str::<BTreeMap<String, Spanned<RawSource>>>(text)
                .map_err(|e| e.message().to_owned())?
                .remove("p")
                .ok_or("no table")?;
        validate(table).map_err(|(_, m)| m)
    }

    #[test]
    fn defaults_and_windows() {
        let s = source("[p]\nfeatures = [\"tenure_months\"]\n").unwrap();
        assert_eq!(s.window_ms, 3_600_000);
        assert_eq!(s.windows, 24);
        assert_eq!(s.reference_ms, 24 * 3_600_000);
        let now = Timestamp(100 * 3_600_000);
        let w = s.windows_at(now);
        assert_eq!(w.len(), 24);
        assert_eq!(w[23], (Timestamp(99 * 3_600_000), now));
        assert_eq!(w[0].0, Timestamp(76 * 3_600_000));
        // The reference ends where the first window starts.
        assert_eq!(
            s.reference_at(now),
            (Timestamp(52 * 3_600_000), Timestamp(76 * 3_600_000))
        );
    }

    #[test]
    fn every_key_is_checked() {
        let s = source(
            "[p]\nfeatures = [\"a\", \"b:c\"]\nlabels = { model = \"churn\" }\nwindow = \"15m\"\nwindows = 6\nreference = \"1h\"\nreference_end = \"2026-11-01T00:00:00Z\"\n",
        )
        .unwrap();
        assert_eq!(s.features, ["a", "b:c"]);
        assert_eq!(s.labels["model"], "churn");
        assert_eq!(
            (s.window_ms, s.windows, s.reference_ms),
            (900_000, 6, 3_600_000)
        );
        // date -u -d 2026-11-01T00:00:00Z +%s
        assert_eq!(s.reference_end, Some(Timestamp(1_793_491_200_000)));
        for text in [
            "2026-11-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
            "1969-12-31T12:00:00Z",
        ] {
            assert_eq!(fmt_utc(parse_utc(text).unwrap()), text);
        }
        for (text, says) in [
            ("features = []", "names no feature"),
            ("features = [\"a-b\"]", "not a histogram name"),
            ("features = [\"a_bucket\"]", "not a histogram name"),
            ("features = [\"a\", \"a\"]", "named twice"),
            ("features = [\"a\"]\nlabels = { le = \"1\" }", "labels.le"),
            (
                "features = [\"a\"]\nwindow = \"1.5h\"",
                "drift.prometheus.window",
            ),
            (
                "features = [\"a\"]\nwindow = \"500ms\"",
                "drift.prometheus.window",
            ),
            ("features = [\"a\"]\nwindows = 0", "between 1 and 500"),
            (
                "features = [\"a\"]\nreference_end = \"2026-02-30T00:00:00Z\"",
                "not a UTC time",
            ),
            ("features = [\"a\"]\nwindow_size = \"1h\"", "unknown field"),
        ] {
            let err = source(&format!("[p]\n{text}\n")).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
    }
}
