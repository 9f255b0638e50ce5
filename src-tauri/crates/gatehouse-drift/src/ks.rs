//! The two-sample Kolmogorov–Smirnov test, two-sided, with p-values as scipy's
//! `ks_2samp(method='auto')` computes them (scipy 1.17, `scipy/stats/_stats_py.py`).
//!
//! * Statistic: `D = max |F_ref(x) - F_cur(x)|` over the pooled sample, from the empirical CDFs.
//! * `max(n1, n2) <= 10_000`: exact. `h = round_half_even(D * lcm(n1, n2))`, `D = h / lcm`; for
//!   `n1 == n2` scipy's `_compute_prob_outside_square`, else Hodges' inside method in Viehmann's
//!   `1 - p` form (`_compute_outer_prob_inside_method`). A result outside `[0, 1]` falls back to the
//!   asymptotic path, as scipy does.
//! * Otherwise: `kstwo.sf(D, round_half_even(n1 n2 / (n1 + n2)))`, the finite-n Kolmogorov
//!   distribution (see [`crate::kolmogorov`]), not the limiting `kstwobign` formula.

use crate::kolmogorov::kstwo_sf;

/// Above this sample size scipy's `method='auto'` stops computing exact p-values.
pub const MAX_EXACT_N: usize = 10_000;

/// Which of scipy's paths produced a KS p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KsPath {
    /// Exact lattice-path probability (both samples at most 10,000 values).
    Exact,
    /// The finite-n Kolmogorov distribution `kstwo.sf(D, round(en))`.
    Asymptotic,
    /// The exact computation failed numerically and the asymptotic one was used, as in scipy.
    ExactFellBack,
}

/// A two-sample KS result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsOutcome {
    /// The statistic `D` (rounded to a multiple of `1/lcm(n1, n2)` on the exact path, as scipy does).
    pub statistic: f64,
    /// The two-sided p-value; NaN only if scipy's own computation would be undefined.
    pub p_value: f64,
    /// Which path computed it.
    pub path: KsPath,
}

/// The statistic `D` of two **sorted, non-empty, NaN-free** samples, as scipy evaluates it:
/// `cdf1 - cdf2` at every pooled value (counts `<=` divided by the sample size), then the larger of
/// the maximum and minus the minimum.
pub fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    crate::column::pooled_walk(a, b).ks_statistic
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// scipy's `ks_2samp(a, b)` (two-sided, `method='auto'`) on **sorted, non-empty, NaN-free**
/// samples.
pub fn ks_2samp(a: &[f64], b: &[f64]) -> KsOutcome {
    ks_2samp_with(a, b, ks_statistic(a, b))
}

/// [`ks_2samp`] with the statistic `d` already computed (by one walk that also gave the other
/// pooled quantities).
pub(crate) fn ks_2samp_with(a: &[f64], b: &[f64], d: f64) -> KsOutcome {
    let (n1, n2) = (a.len() as u64, b.len() as u64);
    if a.len().max(b.len()) <= MAX_EXACT_N {
        let g = gcd(n1, n2);
        let lcm = (n1 / g) * n2;
        let h = (d * lcm as f64).round_ties_even();
        let d_exact = h / lcm as f64;
        if h == 0.0 {
            return KsOutcome {
                statistic: d_exact,
                p_value: 1.0,
                path: KsPath::Exact,
            };
        }
        // 0 < h <= lcm <= 10^8, exactly representable.
        let hi = h as u64;
        let prob = if n1 == n2 {
            prob_outside_square(n1, hi)
        } else {
            outer_prob_inside(n1, n2, g, hi)
        };
        if (0.0..=1.0).contains(&prob) {
            return KsOutcome {
                statistic: d_exact,
                p_value: prob,
                path: KsPath::Exact,
            };
        }
        return KsOutcome {
            statistic: d_exact,
            p_value: asymptotic(d_exact, n1, n2),
            path: KsPath::ExactFellBack,
        };
    }
    KsOutcome {
        statistic: d,
        p_value: asymptotic(d, n1, n2),
        path: KsPath::Asymptotic,
    }
}

fn asymptotic(d: f64, n1: u64, n2: u64) -> f64 {
    let (m, n) = if n1 >= n2 {
        (n1 as f64, n2 as f64)
    } else {
        (n2 as f64, n1 as f64)
    };
    let en = m * n / (m + n);
    let p = kstwo_sf(d, en.round_ties_even());
    if p.is_nan() {
        p
    } else {
        p.clamp(0.0, 1.0)
    }
}

/// `P(D_{n,n} >= h/n)` (scipy's `_compute_prob_outside_square`).
fn prob_outside_square(n: u64, h: u64) -> f64 {
    let mut p = 0.0_f64;
    let mut k = (n as f64 / h as f64).floor() as i64;
    let (n, h) = (n as i64, h as i64);
    while k >= 0 {
        let mut p1 = 1.0_f64;
        for j in 0..h {
            p1 = (n - k * h - j) as f64 * p1 / (n + k * h + j + 1) as f64;
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// The proportion of lattice paths from (0,0) to (m,n) leaving the band `|x/m - y/n| < h/lcm`
/// (scipy's `_compute_outer_prob_inside_method`). NaN if the recursion leaves its bounds.
fn outer_prob_inside(m: u64, n: u64, g: u64, h: u64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (m, n, g, h) = (m as i64, n as i64, g as i64, h as i64);
    let mg = m / g;
    let ng = n / g;
    let mut minj: i64 = 0;
    let mut maxj: i64 = ((h as f64 / mg as f64).ceil() as i64).min(n + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n + 1) as usize;
    let mut a = vec![1.0_f64; len_a];
    for slot in a.iter_mut().take(maxj.max(0) as usize) {
        *slot = 0.0;
    }
    for i in 1..=m {
        let lastminj = minj;
        let lastlen = curlen;
        minj = ((((ng * i - h) as f64) / mg as f64).floor() as i64 + 1).max(0);
        minj = minj.min(n);
        maxj = ((((ng * i + h) as f64) / mg as f64).ceil() as i64).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        let fi = i as f64;
        for jj in 0..(maxj - minj) {
            let j = jj + minj;
            let src = jj + minj - lastminj;
            let (Some(&prev), true) = (
                usize::try_from(src).ok().and_then(|s| a.get(s)),
                (jj as usize) < a.len(),
            ) else {
                return f64::NAN;
            };
            val = (prev * fi + val * j as f64) / (fi + j as f64);
            a[jj as usize] = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let start = (maxj - minj) as usize;
            let end = (start + (lastlen - curlen) as usize).min(a.len());
            for slot in a.iter_mut().take(end).skip(start) {
                *slot = 1.0;
            }
        }
    }
    usize::try_from(maxj - minj - 1)
        .ok()
        .and_then(|idx| a.get(idx).copied())
        .unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut v: Vec<f64>) -> Vec<f64> {
        v.sort_by(f64::total_cmp);
        v
    }

    fn check(a: &[f64], b: &[f64], d: f64, p: f64) {
        let out = ks_2samp(&sorted(a.to_vec()), &sorted(b.to_vec()));
        assert!(
            (out.statistic - d).abs() < 1e-15,
            "D {} vs {d}",
            out.statistic
        );
        assert!(
            (out.p_value - p).abs() < 1e-12,
            "p {:e} vs {p:e}",
            out.p_value
        );
    }

    #[test]
    fn exact_small_samples_match_scipy() {
        // scipy.stats.ks_2samp(a, b).pvalue
        check(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0], 1.0, 0.1);
        check(
            &[1.0, 2.0, 3.0, 4.0],
            &[1.5, 2.5, 3.5, 4.5, 5.5, 6.5],
            0.5,
            0.552_380_952_380_952_4,
        );
        check(&[0.0, 1.0], &[0.0, 1.0], 0.0, 1.0);
    }

    #[test]
    fn statistic_is_symmetric() {
        let a = sorted(vec![0.3, 1.2, 1.2, 2.5, 3.0, 7.1]);
        let b = sorted(vec![1.2, 2.0, 2.0, 4.4]);
        let ab = ks_2samp(&a, &b);
        let ba = ks_2samp(&b, &a);
        assert_eq!(ab.statistic, ba.statistic);
        assert!((ab.p_value - ba.p_value).abs() < 1e-15);
    }

    #[test]
    fn identical_samples_have_p_one() {
        let a: Vec<f64> = (0..500).map(f64::from).collect();
        let out = ks_2samp(&a, &a);
        assert_eq!(out.statistic, 0.0);
        assert_eq!(out.p_value, 1.0);
    }

    #[test]
    fn large_samples_take_the_asymptotic_path() {
        let a: Vec<f64> = (0..10_001).map(|i| f64::from(i) / 10_001.0).collect();
        let b: Vec<f64> = (0..300).map(|i| f64::from(i) / 300.0 + 0.05).collect();
        let out = ks_2samp(&a, &b);
        assert_eq!(out.path, KsPath::Asymptotic);
        assert!(out.p_value > 0.0 && out.p_value < 1.0);
    }

    #[test]
    fn p_value_falls_as_shift_grows() {
        let a: Vec<f64> = (0..200).map(|i| f64::from(i) / 200.0).collect();
        let mut last = 1.0;
        for s in 0..10 {
            let b: Vec<f64> = a.iter().map(|x| x + f64::from(s) * 0.02).collect();
            let p = ks_2samp(&a, &b).p_value;
            assert!(p <= last + 1e-15);
            last = p;
        }
    }
}
