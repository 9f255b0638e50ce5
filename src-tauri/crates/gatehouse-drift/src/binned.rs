//! Drift between distributions that arrive already binned — histograms whose raw values are gone,
//! such as a Prometheus histogram's `sum by (le)(increase(<feature>_bucket[w]))` — compared bin
//! by bin over the bounds both sides share.
//!
//! # Which methods make sense on bins
//!
//! * **PSI, KL, Jensen–Shannon**: the definitions of the crate docs applied to the given bins
//!   instead of Evidently's own binning (proportions `count / total` per bin; PSI and KL fill
//!   each side's empty bins as Evidently does, Jensen–Shannon does not). Exact on the bins.
//! * **Hellinger**: `sqrt(1 - clip(BC, 0, 1))` with `BC = sum sqrt(p_i q_i)` over the bins'
//!   proportions (the categorical form: Evidently's density form needs equal-width bins of its
//!   own choosing). Exact on the bins.
//! * **Wasserstein (normed)**: an estimate. Each finite bin's mass is spread evenly over the bin,
//!   and the open-ended bins follow Prometheus's own `histogram_quantile` convention: the first
//!   bin `(-inf, u_0]` starts at 0 when `u_0 > 0` and is a point at `u_0` otherwise; the `+Inf`
//!   bin is a point at the highest finite bound. `W1 = integral |F_R - F_C| dx` of the resulting
//!   piecewise-linear CDFs, divided by the reference's standard deviation under the same model
//!   (floored at 0.001 as for raw samples).
//! * **KS, chi-square and Z are refused** ([`DriftError::NeedsRawSamples`]): KS needs the raw
//!   values to find the largest gap between the empirical CDFs and to count the sample sizes its
//!   p-value depends on, and the two tests need whole counts of observations, while
//!   `increase()` extrapolates its counts to the window's edges (they are rarely integers).
//!
//! With no method configured, binned data gets Jensen–Shannon ([`DEFAULT_BINNED_METHOD`]) at its
//! usual threshold, 0.1: Evidently's choice for large samples with few distinct values, which is
//! what a histogram is.

use serde::{Deserialize, Serialize};

use crate::column::{Kind, SampleSummary};
use crate::distance::{fill_zeroes, jensen_shannon, kl, psi, sum, WASSERSTEIN_STD_FLOOR};
use crate::drift::{ColumnDrift, Note, Options};
use crate::error::DriftError;
use crate::method::Method;

/// The method binned data is compared with when none is configured.
pub const DEFAULT_BINNED_METHOD: Method = Method::JensenShannon;

/// The methods that run on binned data, in [`crate::ALL_METHODS`] order.
pub const BINNED_METHODS: [Method; 5] = [
    Method::Wasserstein,
    Method::JensenShannon,
    Method::Psi,
    Method::Kl,
    Method::Hellinger,
];

/// One side's histogram: `counts[i]` observations fell in `(upper_bounds[i-1], upper_bounds[i]]`;
/// the first bin starts at minus infinity and the last bound is `+inf`, as in a Prometheus
/// histogram. Counts may be fractional (`increase()` extrapolates).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bins {
    /// Upper bounds, strictly ascending, the last one `+inf`.
    pub upper_bounds: Vec<f64>,
    /// Observations per bin, each finite and at least 0.
    pub counts: Vec<f64>,
}

impl Bins {
    /// All observations.
    pub fn total(&self) -> f64 {
        sum(self.counts.iter().copied())
    }

    fn check(&self, side: &str) -> Result<(), DriftError> {
        let bad = |message: String| Err(DriftError::BadBins(format!("{side}: {message}")));
        if self.upper_bounds.is_empty() {
            return bad("no bins".into());
        }
        if self.upper_bounds.len() != self.counts.len() {
            return bad(format!(
                "{} upper bounds for {} counts",
                self.upper_bounds.len(),
                self.counts.len()
            ));
        }
        if self.upper_bounds.last() != Some(&f64::INFINITY) {
            return bad("the last upper bound is not +inf".into());
        }
        if self.upper_bounds.iter().any(|b| b.is_nan())
            || self
                .upper_bounds
                .windows(2)
                .any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
        {
            return bad("upper bounds are not strictly ascending numbers".into());
        }
        if let Some(c) = self.counts.iter().find(|c| !(c.is_finite() && **c >= 0.0)) {
            return bad(format!(
                "a bin holds {c}; counts must be finite and at least 0"
            ));
        }
        Ok(())
    }

    fn proportions(&self) -> Vec<f64> {
        let total = self.total();
        self.counts.iter().map(|c| c / total).collect()
    }

    fn summary(&self) -> SampleSummary {
        let n = self.total().round() as usize;
        SampleSummary {
            rows: n,
            used: n,
            missing_share: 0.0,
        }
    }
}

/// Compare a current histogram with its reference over the same bounds. The method is the
/// configured one or [`DEFAULT_BINNED_METHOD`]; KS, chi-square and Z are refused (see the module
/// docs). `n_unique` of the result is the number of bins.
pub fn compare_binned(
    reference: &Bins,
    current: &Bins,
    options: &Options,
) -> Result<ColumnDrift, DriftError> {
    if let Some(t) = options.threshold {
        if !(t.is_finite() && t >= 0.0) {
            return Err(DriftError::InvalidThreshold(t));
        }
    }
    reference.check("reference")?;
    current.check("current")?;
    if reference.upper_bounds != current.upper_bounds {
        return Err(DriftError::BadBins(format!(
            "reference and current have different bins ({} against {} upper bounds, or other values)",
            reference.upper_bounds.len(),
            current.upper_bounds.len()
        )));
    }
    let method = options.method.unwrap_or(DEFAULT_BINNED_METHOD);
    if !BINNED_METHODS.contains(&method) {
        return Err(DriftError::NeedsRawSamples { method });
    }
    if reference.total() <= 0.0 {
        return Err(DriftError::EmptyReference { rows: 0 });
    }
    if current.total() <= 0.0 {
        return Err(DriftError::EmptyCurrent { rows: 0 });
    }
    let threshold = options
        .threshold
        .unwrap_or_else(|| method.default_threshold());
    let (r, c) = (reference.proportions(), current.proportions());
    let mut notes = Vec::new();
    let value = match method {
        Method::JensenShannon => jensen_shannon(&r, &c),
        Method::Psi | Method::Kl => {
            let (mut r, mut c) = (r, c);
            fill_zeroes(&mut r);
            fill_zeroes(&mut c);
            if method == Method::Psi {
                psi(&r, &c)
            } else {
                kl(&r, &c)
            }
        }
        Method::Hellinger => {
            let bc = sum(r.iter().zip(&c).map(|(p, q)| (p * q).sqrt()));
            (1.0 - bc.clamp(0.0, 1.0)).sqrt()
        }
        Method::Wasserstein => {
            let spans = spans(&reference.upper_bounds).ok_or(DriftError::Undefined { method })?;
            let sd = std_dev(&spans, &r);
            let floored =
                sd.partial_cmp(&WASSERSTEIN_STD_FLOOR) != Some(std::cmp::Ordering::Greater);
            if floored {
                notes.push(Note::ReferenceStdFloored);
            }
            wasserstein(&spans, &r, &c) / if floored { WASSERSTEIN_STD_FLOOR } else { sd }
        }
        Method::Ks | Method::ChiSquare | Method::Z => {
            return Err(DriftError::NeedsRawSamples { method })
        }
    };
    if !value.is_finite() {
        return Err(DriftError::Undefined { method });
    }
    Ok(ColumnDrift {
        kind: Kind::Numerical,
        method,
        value,
        p_value: None,
        threshold,
        drifted: method.is_drift(value, threshold),
        n_unique: reference.upper_bounds.len(),
        reference: reference.summary(),
        current: current.summary(),
        notes,
    })
}

/// Where each bin's mass lies, `[low, high]` (a point when equal), by Prometheus's
/// `histogram_quantile` convention; `None` when there is no finite bound to place mass at.
fn spans(upper_bounds: &[f64]) -> Option<Vec<(f64, f64)>> {
    let highest = *upper_bounds.iter().rev().find(|b| b.is_finite())?;
    let mut out = Vec::with_capacity(upper_bounds.len());
    let mut low = None;
    for &upper in upper_bounds {
        let span = match low {
            None if upper > 0.0 && upper.is_finite() => (0.0, upper),
            None if upper.is_finite() => (upper, upper),
            Some(l) if upper.is_finite() => (l, upper),
            // The +Inf bin (or a histogram whose only finite bound is the first one).
            _ => (highest, highest),
        };
        out.push(span);
        low = Some(upper);
    }
    Some(out)
}

/// `integral |F_R - F_C| dx` of the CDFs of masses `r` and `c` spread evenly over `spans`.
fn wasserstein(spans: &[(f64, f64)], r: &[f64], c: &[f64]) -> f64 {
    // Both CDFs are linear between the span ends, and jump only at the points: between two knots
    // the gap is linear from its value just after the first to its value just before the second.
    let mut knots: Vec<f64> = spans.iter().flat_map(|&(l, h)| [l, h]).collect();
    knots.sort_by(f64::total_cmp);
    knots.dedup();
    // `F(x)` when `at_point` (right-continuous), else the limit from the left.
    let cdf = |p: &[f64], x: f64, at_point: bool| -> f64 {
        sum(spans.iter().zip(p).map(|(&(l, h), &m)| {
            if x > h || (x == h && (at_point || l < h)) {
                m
            } else if x <= l {
                0.0
            } else {
                m * (x - l) / (h - l)
            }
        }))
    };
    let gap = |x: f64, at_point: bool| cdf(r, x, at_point) - cdf(c, x, at_point);
    sum(knots.windows(2).map(|w| {
        let (a, b) = (w[0], w[1]);
        let (d0, d1) = (gap(a, true), gap(b, false));
        let width = b - a;
        if d0 * d1 >= 0.0 {
            width * (d0.abs() + d1.abs()) / 2.0
        } else {
            // The gap crosses zero inside: two triangles.
            width * (d0 * d0 + d1 * d1) / (2.0 * (d0.abs() + d1.abs()))
        }
    }))
}

/// The standard deviation of masses `p` spread evenly over `spans`.
fn std_dev(spans: &[(f64, f64)], p: &[f64]) -> f64 {
    let mean = sum(spans.iter().zip(p).map(|(&(l, h), m)| m * (l + h) / 2.0));
    let second = sum(spans.iter().zip(p).map(|(&(l, h), m)| {
        let mid = (l + h) / 2.0;
        m * (mid * mid + (h - l) * (h - l) / 12.0)
    }));
    (second - mean * mean).max(0.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bins(counts: &[f64]) -> Bins {
        Bins {
            upper_bounds: vec![6.0, 12.0, 24.0, 48.0, f64::INFINITY],
            counts: counts.to_vec(),
        }
    }

    fn with(method: Method) -> Options {
        Options {
            method: Some(method),
            threshold: None,
        }
    }

    #[test]
    fn bins_compare_like_the_engine_compares_categories() {
        // The same proportions as categories give the same distances: on bins the engine's
        // definitions apply to the given bins.
        let r = bins(&[5.0, 10.0, 20.0, 10.0, 5.0]);
        let c = bins(&[15.0, 15.0, 10.0, 5.0, 5.0]);
        let cats = |counts: &[f64]| -> Vec<Option<&str>> {
            let names = ["a", "b", "c", "d", "e"];
            counts
                .iter()
                .zip(names)
                .flat_map(|(&n, name)| std::iter::repeat_n(Some(name), n as usize))
                .collect()
        };
        let (rc, cc) = (cats(&r.counts), cats(&c.counts));
        for method in [
            Method::JensenShannon,
            Method::Psi,
            Method::Kl,
            Method::Hellinger,
        ] {
            let binned = compare_binned(&r, &c, &with(method)).unwrap();
            let raw = crate::compare(
                &crate::Column::categorical(&rc),
                &crate::Column::categorical(&cc),
                &with(method),
            )
            .unwrap();
            assert!(
                (binned.value - raw.value).abs() < 1e-12,
                "{method}: {} vs {}",
                binned.value,
                raw.value
            );
        }
        let default = compare_binned(&r, &c, &Options::default()).unwrap();
        assert_eq!(default.method, Method::JensenShannon);
        assert_eq!(default.threshold, 0.1);
        assert_eq!(default.n_unique, 5);
        assert_eq!(default.reference.rows, 50);
    }

    #[test]
    fn scaling_the_counts_changes_nothing() {
        // `increase()` scales every bucket of a window by the same extrapolation factor.
        let r = bins(&[5.0, 10.0, 20.0, 10.0, 5.0]);
        let c = bins(&[15.0, 15.0, 10.0, 5.0, 5.0]);
        let scaled = bins(&[
            15.0 * 1.017,
            15.0 * 1.017,
            10.0 * 1.017,
            5.0 * 1.017,
            5.0 * 1.017,
        ]);
        for method in BINNED_METHODS {
            let a = compare_binned(&r, &c, &with(method)).unwrap().value;
            let b = compare_binned(&r, &scaled, &with(method)).unwrap().value;
            assert!((a - b).abs() < 1e-12, "{method}: {a} vs {b}");
        }
    }

    #[test]
    fn wasserstein_moves_mass_across_bins() {
        // All mass in (0, 10] against all mass in (10, 20]: uniform on each, W1 = 10.
        let bounds = vec![10.0, 20.0, f64::INFINITY];
        let r = Bins {
            upper_bounds: bounds.clone(),
            counts: vec![4.0, 0.0, 0.0],
        };
        let c = Bins {
            upper_bounds: bounds,
            counts: vec![0.0, 4.0, 0.0],
        };
        assert!(
            (wasserstein(
                &spans(&r.upper_bounds).unwrap(),
                &[1.0, 0.0, 0.0],
                &[0.0, 1.0, 0.0]
            ) - 10.0)
                .abs()
                < 1e-12
        );
        let d = compare_binned(&r, &c, &with(Method::Wasserstein)).unwrap();
        // The reference is uniform on [0, 10]: standard deviation 10 / sqrt(12).
        assert!(
            (d.value - 10.0 / (10.0 / 12f64.sqrt())).abs() < 1e-12,
            "{}",
            d.value
        );
        assert!(
            compare_binned(&r, &r, &with(Method::Wasserstein))
                .unwrap()
                .value
                .abs()
                < 1e-15
        );
        // Half the mass moved from the first bin to the +Inf bin (a point at 20): from uniform
        // on [0, 10] to half of it plus a point; W1 = the integral of the CDF gap.
        let moved = Bins {
            upper_bounds: vec![10.0, 20.0, f64::INFINITY],
            counts: vec![2.0, 0.0, 2.0],
        };
        let w = wasserstein(
            &spans(&moved.upper_bounds).unwrap(),
            &[1.0, 0.0, 0.0],
            &[0.5, 0.0, 0.5],
        );
        // Gap x/20 on [0, 10] (area 2.5), then 0.5 on [10, 20] (area 5).
        assert!((w - 7.5).abs() < 1e-12, "{w}");
    }

    #[test]
    fn tests_that_need_raw_samples_are_refused_by_name() {
        let r = bins(&[5.0, 10.0, 20.0, 10.0, 5.0]);
        for method in [Method::Ks, Method::ChiSquare, Method::Z] {
            let err = compare_binned(&r, &r, &with(method)).unwrap_err();
            assert_eq!(err, DriftError::NeedsRawSamples { method });
            assert!(err.to_string().contains("needs raw samples"), "{err}");
        }
    }

    #[test]
    fn malformed_bins_are_errors_not_numbers() {
        let r = bins(&[5.0, 10.0, 20.0, 10.0, 5.0]);
        let cases = [
            Bins {
                upper_bounds: vec![1.0, 2.0],
                counts: vec![1.0, 1.0],
            },
            Bins {
                upper_bounds: vec![2.0, 1.0, f64::INFINITY],
                counts: vec![1.0, 1.0, 1.0],
            },
            Bins {
                upper_bounds: vec![f64::INFINITY],
                counts: vec![1.0, 2.0],
            },
            bins(&[1.0, -1.0, 0.0, 0.0, 0.0]),
            bins(&[1.0, f64::NAN, 0.0, 0.0, 0.0]),
        ];
        for bad in cases {
            assert!(
                matches!(
                    compare_binned(&r, &bad, &Options::default()),
                    Err(DriftError::BadBins(_))
                ),
                "{bad:?}"
            );
        }
        let other = Bins {
            upper_bounds: vec![1.0, f64::INFINITY],
            counts: vec![1.0, 1.0],
        };
        assert!(matches!(
            compare_binned(&r, &other, &Options::default()),
            Err(DriftError::BadBins(m)) if m.contains("different bins")
        ));
        assert_eq!(
            compare_binned(&r, &bins(&[0.0; 5]), &Options::default()),
            Err(DriftError::EmptyCurrent { rows: 0 })
        );
        let only_inf = Bins {
            upper_bounds: vec![f64::INFINITY],
            counts: vec![3.0],
        };
        assert_eq!(
            compare_binned(&only_inf, &only_inf, &with(Method::Wasserstein)),
            Err(DriftError::Undefined {
                method: Method::Wasserstein
            })
        );
    }
}
