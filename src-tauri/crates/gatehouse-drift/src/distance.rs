//! Distances between the reference and current distributions, computed the way Evidently 0.7.23
//! computes them (`legacy/calculations/stattests/*.py`), binning included.

use crate::column::{distinct_sorted, table_from_sorted, Prepared, Table};
use crate::error::DriftError;

/// Floor of the reference standard deviation in the normed Wasserstein distance.
pub const WASSERSTEIN_STD_FLOOR: f64 = 0.001;
/// Above this many distinct reference values a numerical column is binned by histogram.
pub const VALUE_BINNING_MAX_UNIQUE: usize = 20;
/// A bin count beyond which binning is refused as degenerate.
const MAX_BINS: f64 = 1e7;

/// Neumaier-compensated sum: at least as accurate as numpy's pairwise summation.
pub(crate) fn sum(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut s = 0.0_f64;
    let mut c = 0.0_f64;
    for v in values {
        let t = s + v;
        if s.abs() >= v.abs() {
            c += (s - t) + v;
        } else {
            c += (v - t) + s;
        }
        s = t;
    }
    s + c
}

/// Population standard deviation (`numpy.std`, `ddof = 0`).
pub(crate) fn std_dev(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = sum(values.iter().copied()) / n;
    (sum(values.iter().map(|v| (v - mean) * (v - mean))) / n).sqrt()
}

/// scipy's `wasserstein_distance(u, v)` on **sorted** samples: `sum |U(x_k) - V(x_k)| (x_{k+1} - x_k)`
/// over the pooled sorted values, with `U`, `V` the empirical CDFs.
pub fn wasserstein(u: &[f64], v: &[f64]) -> f64 {
    crate::column::pooled_walk(u, v).wasserstein
}

/// Evidently's `wasserstein_distance_norm`: `W1(ref, cur) / max(std(ref), 0.001)`. Returns the
/// distance and whether the floor was used.
pub fn wasserstein_norm(reference: &[f64], current: &[f64]) -> (f64, bool) {
    normed(reference, wasserstein(reference, current))
}

/// `w1 / max(std(reference), 0.001)` and whether the floor was used.
pub(crate) fn normed(reference: &[f64], w1: f64) -> (f64, bool) {
    let sd = std_dev(reference);
    // NaN cannot occur (finite inputs), but a NaN deviation would take the floor too.
    let floored = sd.partial_cmp(&WASSERSTEIN_STD_FLOOR) != Some(std::cmp::Ordering::Greater);
    let norm = if floored { WASSERSTEIN_STD_FLOOR } else { sd };
    (w1 / norm, floored)
}

/// `numpy.histogram_bin_edges(values, bins="sturges")` for values spanning `[min, max]`, `size` of
/// them: `ceil(ptp / (ptp / (log2(size) + 1)))` equal bins, edges from `numpy.linspace`.
pub(crate) fn sturges_edges(min: f64, max: f64, size: usize) -> Result<Vec<f64>, DriftError> {
    let (first, last) = if min == max {
        (min - 0.5, max + 0.5)
    } else {
        (min, max)
    };
    let ptp = max - min;
    let width = ptp / ((size as f64).log2() + 1.0);
    let bins_f = if width != 0.0 {
        ((last - first) / width).ceil()
    } else {
        1.0
    };
    if !(1.0..=MAX_BINS).contains(&bins_f) {
        return Err(DriftError::DegenerateBins { min, max, bins: 0 });
    }
    let bins = bins_f as usize;
    let edges = linspace(first, last, bins + 1);
    if edges
        .windows(2)
        .any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
    {
        return Err(DriftError::DegenerateBins { min, max, bins });
    }
    Ok(edges)
}

/// `numpy.linspace(start, stop, num)` with `endpoint=True`, operation for operation.
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let div = (num - 1) as f64;
    let delta = stop - start;
    let step = delta / div;
    let mut y: Vec<f64> = (0..num)
        .map(|i| {
            let i = i as f64;
            if step == 0.0 {
                i / div * delta + start
            } else {
                i * step + start
            }
        })
        .collect();
    if let Some(last) = y.last_mut() {
        *last = stop;
    }
    y
}

/// `numpy.histogram(values, edges)[0]` for **sorted** values: bin `k` holds `[e_k, e_{k+1})`, the
/// last bin also its right edge; values outside are not counted.
pub(crate) fn histogram_sorted(values: &[f64], edges: &[f64]) -> Vec<u64> {
    let bins = edges.len().saturating_sub(1);
    let mut counts = vec![0u64; bins];
    let mut k = 0usize;
    for &x in values {
        if bins == 0 || x < edges[0] {
            continue;
        }
        while k + 1 < bins && x >= edges[k + 1] {
            k += 1;
        }
        if x > edges[bins] {
            break;
        }
        counts[k] += 1;
    }
    counts
}

/// Evidently's `get_binned_data`: proportions per bin for reference and current, before the zero
/// filling. Numerical columns with more than 20 distinct reference values: Sturges histogram over
/// the pooled sample. Otherwise (and for categorical columns): one bin per distinct value.
pub(crate) fn binned_proportions(data: &Prepared) -> Result<(Vec<f64>, Vec<f64>), DriftError> {
    match data {
        Prepared::Numerical {
            reference, current, ..
        } if distinct_sorted(reference) > VALUE_BINNING_MAX_UNIQUE => {
            let min = reference[0].min(current[0]);
            let max = reference[reference.len() - 1].max(current[current.len() - 1]);
            let edges = sturges_edges(min, max, reference.len() + current.len())?;
            let r = histogram_sorted(reference, &edges);
            let c = histogram_sorted(current, &edges);
            let (nr, nc) = (reference.len() as f64, current.len() as f64);
            Ok((
                r.iter().map(|&k| k as f64 / nr).collect(),
                c.iter().map(|&k| k as f64 / nc).collect(),
            ))
        }
        Prepared::Numerical {
            reference, current, ..
        } => Ok(table_proportions(&table_from_sorted(reference, current))),
        Prepared::Categorical(table) => Ok(table_proportions(table)),
    }
}

fn table_proportions(t: &Table) -> (Vec<f64>, Vec<f64>) {
    let (nr, nc) = (t.reference_len as f64, t.current_len as f64);
    (
        t.reference.iter().map(|&k| k as f64 / nr).collect(),
        t.current.iter().map(|&k| k as f64 / nc).collect(),
    )
}

/// Evidently's zero filling (`feel_zeroes`): empty bins get `min_nonzero / 10^6` when the smallest
/// non-zero proportion is at most `1e-4`, else `1e-4`.
pub(crate) fn fill_zeroes(p: &mut [f64]) {
    let min_nonzero = p
        .iter()
        .copied()
        .filter(|v| *v != 0.0)
        .fold(f64::INFINITY, f64::min);
    if !min_nonzero.is_finite() {
        return;
    }
    let eps = if min_nonzero <= 0.0001 {
        min_nonzero / 1e6
    } else {
        0.0001
    };
    for v in p.iter_mut() {
        if *v == 0.0 {
            *v = eps;
        }
    }
}

/// scipy's `rel_entr(x, y)`.
fn rel_entr(x: f64, y: f64) -> f64 {
    if x > 0.0 && y > 0.0 {
        x * (x / y).ln()
    } else if x == 0.0 && y >= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

fn normalized(p: &[f64]) -> Vec<f64> {
    let s = sum(p.iter().copied());
    p.iter().map(|v| v / s).collect()
}

/// PSI: `sum (r_i - c_i) ln(r_i / c_i)` over zero-filled proportions.
pub fn psi(reference: &[f64], current: &[f64]) -> f64 {
    sum(reference
        .iter()
        .zip(current)
        .map(|(r, c)| (r - c) * (r / c).ln()))
}

/// KL divergence `sum p_i ln(p_i / q_i)` of the normalized, zero-filled reference proportions `p`
/// from the current ones `q` (scipy's `entropy(p, q)`).
pub fn kl(reference: &[f64], current: &[f64]) -> f64 {
    let p = normalized(reference);
    let q = normalized(current);
    sum(p.iter().zip(&q).map(|(a, b)| rel_entr(*a, *b)))
}

/// Jensen–Shannon distance (scipy's `distance.jensenshannon`, natural log):
/// `sqrt((KL(p || m) + KL(q || m)) / 2)` with `m = (p + q) / 2`, proportions not zero-filled.
pub fn jensen_shannon(reference: &[f64], current: &[f64]) -> f64 {
    let p = normalized(reference);
    let q = normalized(current);
    let m: Vec<f64> = p.iter().zip(&q).map(|(a, b)| (a + b) / 2.0).collect();
    let left = sum(p.iter().zip(&m).map(|(a, b)| rel_entr(*a, *b)));
    let right = sum(q.iter().zip(&m).map(|(a, b)| rel_entr(*a, *b)));
    ((left + right) / 2.0).sqrt()
}

/// Hellinger distance as Evidently computes it: `sqrt(1 - clip(BC, 0, 1))` with the Bhattacharyya
/// coefficient `BC = sum sqrt(p_i q_i)` over category proportions, or, for numerical columns,
/// `BC = sum sqrt(f_i g_i) * w` over Sturges-histogram densities on the **distinct** pooled values'
/// range (`w` the mean bin width).
pub(crate) fn hellinger(data: &Prepared) -> Result<f64, DriftError> {
    let bc = match data {
        Prepared::Numerical {
            reference, current, ..
        } => {
            let keys = table_from_sorted(reference, current).rows();
            let min = reference[0].min(current[0]);
            let max = reference[reference.len() - 1].max(current[current.len() - 1]);
            let edges = sturges_edges(min, max, keys)?;
            let density = |values: &[f64]| -> Vec<f64> {
                let counts = histogram_sorted(values, &edges);
                let total = counts.iter().sum::<u64>() as f64;
                counts
                    .iter()
                    .zip(edges.windows(2))
                    .map(|(&k, w)| k as f64 / (w[1] - w[0]) / total)
                    .collect()
            };
            let h1 = density(reference);
            let h2 = density(current);
            let first = edges[0];
            let last = edges[edges.len() - 1];
            let bin_width = (last - first) / (edges.len() - 1) as f64;
            let mut s = 0.0;
            for (p1, p2) in h1.iter().zip(&h2) {
                s += (p1 * p2).sqrt() * bin_width;
            }
            s
        }
        Prepared::Categorical(table) => {
            let (p, q) = table_proportions(table);
            let mut s = 0.0;
            for (p1, p2) in p.iter().zip(&q) {
                s += (p1 * p2).sqrt();
            }
            s
        }
    };
    Ok((1.0 - bc.clamp(0.0, 1.0)).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sturges_matches_numpy() {
        // numpy.histogram_bin_edges(np.arange(10.0), bins="sturges")
        let e = sturges_edges(0.0, 9.0, 10).unwrap();
        assert_eq!(e.len(), 6);
        assert_eq!(e, vec![0.0, 1.8, 3.6, 5.4, 7.2, 9.0]);
        // A constant sample: one bin of width 1 around the value.
        assert_eq!(sturges_edges(2.0, 2.0, 5).unwrap(), vec![1.5, 2.5]);
        assert!(sturges_edges(1.0, 1.0 + f64::EPSILON, 1_000_000).is_err());
    }

    #[test]
    fn histogram_edges_are_half_open_but_the_last() {
        let counts = histogram_sorted(&[0.0, 1.0, 1.0, 1.5, 2.0], &[0.0, 1.0, 2.0]);
        assert_eq!(counts, vec![1, 4]);
    }

    #[test]
    fn zero_filling_follows_evidently() {
        let mut p = vec![0.5, 0.0, 0.5];
        fill_zeroes(&mut p);
        assert_eq!(p, vec![0.5, 0.0001, 0.5]);
        let mut p = vec![0.00005, 0.0, 0.99995];
        fill_zeroes(&mut p);
        assert_eq!(p[1], 0.00005 / 1e6);
    }

    #[test]
    fn distances_are_zero_on_identical_and_symmetric_where_defined() {
        let p = [0.2, 0.3, 0.5];
        let q = [0.5, 0.25, 0.25];
        assert_eq!(psi(&p, &p), 0.0);
        assert!(kl(&p, &p).abs() < 1e-16);
        assert!(jensen_shannon(&p, &p).abs() < 1e-8);
        assert!((psi(&p, &q) - psi(&q, &p)).abs() < 1e-15);
        assert!((jensen_shannon(&p, &q) - jensen_shannon(&q, &p)).abs() < 1e-15);
        // Jensen–Shannon distance is bounded by sqrt(ln 2).
        assert!(jensen_shannon(&[1.0, 0.0], &[0.0, 1.0]) <= 2f64.ln().sqrt() + 1e-15);
    }

    #[test]
    fn wasserstein_of_a_shift_is_the_shift() {
        let u: Vec<f64> = (0..100).map(f64::from).collect();
        let v: Vec<f64> = u.iter().map(|x| x + 2.5).collect();
        assert!((wasserstein(&u, &v) - 2.5).abs() < 1e-12);
        assert!((wasserstein(&v, &u) - 2.5).abs() < 1e-12);
        assert_eq!(wasserstein(&u, &u), 0.0);
    }

    #[test]
    fn wasserstein_norm_floors_a_constant_reference() {
        let (d, floored) = wasserstein_norm(&[1.0, 1.0], &[1.0, 2.0]);
        assert!(floored);
        assert!((d - 500.0).abs() < 1e-9);
    }
}
