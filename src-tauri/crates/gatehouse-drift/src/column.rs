//! Column data as the engine receives it, and its cleaning: missing values (`None`, NaN) and ±inf
//! are removed before any test, and how many were removed is reported beside the result.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::DriftError;

/// The kind of a column: it decides which methods apply and how values are binned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Real numbers (integers included).
    Numerical,
    /// Labels compared only for equality.
    Categorical,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Numerical => "numerical",
            Kind::Categorical => "categorical",
        })
    }
}

/// Categorical values, borrowed either as `&str` or from owned `String`s (as a CSV reader holds
/// them); `None` is a missing value.
#[derive(Debug, Clone, Copy)]
pub enum Categories<'a> {
    /// Borrowed string slices.
    Borrowed(&'a [Option<&'a str>]),
    /// Owned strings, borrowed.
    Owned(&'a [Option<String>]),
}

impl Categories<'_> {
    fn len(&self) -> usize {
        match self {
            Categories::Borrowed(v) => v.len(),
            Categories::Owned(v) => v.len(),
        }
    }

    fn for_each_present<'s>(&'s self, mut f: impl FnMut(&'s str)) {
        match self {
            Categories::Borrowed(v) => v.iter().flatten().for_each(|s| f(s)),
            Categories::Owned(v) => v.iter().flatten().for_each(|s| f(s.as_str())),
        }
    }
}

/// One sample of one column (reference or current).
#[derive(Debug, Clone, Copy)]
pub enum Column<'a> {
    /// Numbers; NaN and ±inf count as missing.
    Numerical(&'a [f64]),
    /// Labels; `None` counts as missing.
    Categorical(Categories<'a>),
}

impl<'a> Column<'a> {
    /// A categorical column from borrowed strings.
    pub fn categorical(values: &'a [Option<&'a str>]) -> Self {
        Column::Categorical(Categories::Borrowed(values))
    }

    /// A categorical column from owned strings.
    pub fn categorical_owned(values: &'a [Option<String>]) -> Self {
        Column::Categorical(Categories::Owned(values))
    }

    /// The column's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Column::Numerical(_) => Kind::Numerical,
            Column::Categorical(_) => Kind::Categorical,
        }
    }

    /// Rows, missing ones included.
    pub fn len(&self) -> usize {
        match self {
            Column::Numerical(v) => v.len(),
            Column::Categorical(c) => c.len(),
        }
    }

    /// Whether the column has no rows at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How much of a sample was usable.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampleSummary {
    /// Rows before cleaning.
    pub rows: usize,
    /// Rows left after removing missing values and ±inf: the sample the test saw.
    pub used: usize,
    /// `(rows - used) / rows`: the missing-value rate, a data-quality signal of its own.
    pub missing_share: f64,
}

impl SampleSummary {
    fn new(rows: usize, used: usize) -> Self {
        let missing_share = if rows == 0 {
            0.0
        } else {
            (rows - used) as f64 / rows as f64
        };
        SampleSummary {
            rows,
            used,
            missing_share,
        }
    }
}

/// Counts per distinct value, in ascending value order, for reference and current.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    pub reference: Vec<u64>,
    pub current: Vec<u64>,
    pub reference_len: u64,
    pub current_len: u64,
}

impl Table {
    pub fn rows(&self) -> usize {
        self.reference.len()
    }
}

/// A cleaned pair of samples, ready for any method.
#[derive(Debug, Clone)]
pub(crate) enum Prepared {
    /// Both samples sorted ascending (total order; no NaN or inf left), and their walk.
    Numerical {
        reference: Vec<f64>,
        current: Vec<f64>,
        walk: PooledWalk,
    },
    /// Counts per category.
    Categorical(Table),
}

/// Reference and current, cleaned, with their summaries.
#[derive(Debug, Clone)]
pub(crate) struct Cleaned {
    pub data: Prepared,
    pub reference: SampleSummary,
    pub current: SampleSummary,
}

/// The finite values of `values`, sorted ascending in `f64::total_cmp` order (so `-0.0` before
/// `0.0`), as `sort_unstable_by(f64::total_cmp)` sorts them. Large samples go through a
/// least-significant-digit radix sort on the order-preserving bit pattern: six 11-bit passes,
/// skipping the digits every value shares (the sign and exponent, mostly), with the filtering
/// folded into building the keys. Sorting is most of the engine's time on large samples, and
/// this is faster than the comparison sort there.
fn clean_numbers(values: &[f64]) -> Vec<f64> {
    const BITS: usize = 11;
    const BUCKETS: usize = 1 << BITS;
    const PASSES: usize = 64usize.div_ceil(BITS);
    let finite = values.iter().copied().filter(|v| v.is_finite());
    if values.len() < RADIX_MIN {
        let mut out: Vec<f64> = finite.collect();
        out.sort_unstable_by(f64::total_cmp);
        return out;
    }
    // Negative numbers: flip every bit (larger magnitude sorts first); others: flip the sign.
    let key = |x: f64| {
        let b = x.to_bits();
        if b >> 63 == 1 {
            !b
        } else {
            b | (1 << 63)
        }
    };
    let unkey = |k: u64| {
        if k >> 63 == 1 {
            f64::from_bits(k & !(1 << 63))
        } else {
            f64::from_bits(!k)
        }
    };
    let digit = |k: u64, pass: usize| ((k >> (pass * BITS)) as usize) & (BUCKETS - 1);
    let mut keys: Vec<u64> = finite.map(key).collect();
    let mut counts = vec![[0usize; BUCKETS]; PASSES];
    for &k in &keys {
        for (pass, c) in counts.iter_mut().enumerate() {
            c[digit(k, pass)] += 1;
        }
    }
    let mut spare = vec![0u64; keys.len()];
    let n = keys.len();
    let mut offsets = [0usize; BUCKETS];
    for (pass, c) in counts.iter().enumerate() {
        if c.contains(&n) {
            continue; // Every key has the same digit here: this pass would not move anything.
        }
        let mut total = 0;
        for (o, &count) in offsets.iter_mut().zip(c.iter()) {
            *o = total;
            total += count;
        }
        for &k in &keys {
            let d = digit(k, pass);
            spare[offsets[d]] = k;
            offsets[d] += 1;
        }
        std::mem::swap(&mut keys, &mut spare);
    }
    drop(spare);
    keys.into_iter().map(unkey).collect()
}

/// Below this many values a comparison sort beats the radix sort's fixed cost.
const RADIX_MIN: usize = 2048;

/// Clean both samples; errors when kinds differ or a side is empty after cleaning.
pub(crate) fn clean(reference: &Column<'_>, current: &Column<'_>) -> Result<Cleaned, DriftError> {
    let (data, ref_used, cur_used) = match (reference, current) {
        (Column::Numerical(r), Column::Numerical(c)) => {
            let r = clean_numbers(r);
            let c = clean_numbers(c);
            let (ru, cu) = (r.len(), c.len());
            let walk = pooled_walk(&r, &c);
            (
                Prepared::Numerical {
                    reference: r,
                    current: c,
                    walk,
                },
                ru,
                cu,
            )
        }
        (Column::Categorical(r), Column::Categorical(c)) => {
            let mut counts: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
            let (mut ru, mut cu) = (0usize, 0usize);
            r.for_each_present(|s| {
                counts.entry(s).or_default().0 += 1;
                ru += 1;
            });
            c.for_each_present(|s| {
                counts.entry(s).or_default().1 += 1;
                cu += 1;
            });
            let table = Table {
                reference: counts.values().map(|v| v.0).collect(),
                current: counts.values().map(|v| v.1).collect(),
                reference_len: ru as u64,
                current_len: cu as u64,
            };
            (Prepared::Categorical(table), ru, cu)
        }
        (Column::Numerical(_), Column::Categorical(_))
        | (Column::Categorical(_), Column::Numerical(_)) => {
            return Err(DriftError::KindMismatch {
                reference: reference.kind(),
                current: current.kind(),
            });
        }
    };
    if ref_used == 0 {
        return Err(DriftError::EmptyReference {
            rows: reference.len(),
        });
    }
    if cur_used == 0 {
        return Err(DriftError::EmptyCurrent {
            rows: current.len(),
        });
    }
    Ok(Cleaned {
        data,
        reference: SampleSummary::new(reference.len(), ref_used),
        current: SampleSummary::new(current.len(), cur_used),
    })
}

/// Distinct values of one sorted sample (`-0.0 == 0.0`).
pub(crate) fn distinct_sorted(v: &[f64]) -> usize {
    if v.is_empty() {
        return 0;
    }
    1 + v.windows(2).filter(|w| w[0] != w[1]).count()
}

/// Counts per distinct value of two sorted samples, in ascending order.
pub(crate) fn table_from_sorted(a: &[f64], b: &[f64]) -> Table {
    let mut reference = Vec::new();
    let mut current = Vec::new();
    let (mut i, mut j) = (0usize, 0usize);
    while i < a.len() || j < b.len() {
        let x = match (a.get(i), b.get(j)) {
            (Some(&u), Some(&v)) => u.min(v),
            (Some(&u), None) => u,
            (None, Some(&v)) => v,
            (None, None) => break,
        };
        let (i0, j0) = (i, j);
        while i < a.len() && a[i] == x {
            i += 1;
        }
        while j < b.len() && b[j] == x {
            j += 1;
        }
        reference.push((i - i0) as u64);
        current.push((j - j0) as u64);
    }
    Table {
        reference,
        current,
        reference_len: a.len() as u64,
        current_len: b.len() as u64,
    }
}

/// Distinct values of the pooled samples (pandas' `concat([ref, cur]).nunique()`).
pub(crate) fn pooled_distinct(data: &Prepared) -> usize {
    match data {
        Prepared::Numerical { walk, .. } => walk.distinct,
        Prepared::Categorical(t) => t.rows(),
    }
}

/// What one walk over two sorted samples as one gives: every quantity that needs the pooled
/// order, so that none walks it again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PooledWalk {
    /// Distinct values of both samples together (`-0.0 == 0.0`).
    pub distinct: usize,
    /// The KS statistic as scipy evaluates it: `cdf1 - cdf2` at every pooled value (counts `<=`
    /// divided by the sample size), then the larger of the maximum and minus the minimum.
    pub ks_statistic: f64,
    /// scipy's `wasserstein_distance`: `sum |U(x_k) - V(x_k)| (x_{k+1} - x_k)` over the pooled
    /// sorted values, with `U`, `V` the empirical CDFs (summed with Neumaier's compensation;
    /// the zero terms between equal values are left out, which changes nothing).
    pub wasserstein: f64,
}

/// Walks two **sorted, non-empty, NaN-free** samples as one, step by step. The CDFs are read
/// only where the pooled value changes (after the last of a run of ties), which is what counting
/// `<=` at every pooled value gives. The comparisons are arranged so that the compiler selects
/// rather than branches: on shuffled samples a branch per value is mispredicted half the time.
pub(crate) fn pooled_walk(a: &[f64], b: &[f64]) -> PooledWalk {
    let (na, nb) = (a.len(), b.len());
    let (n1, n2) = (na as f64, nb as f64);
    let mut distinct = 0usize;
    let (mut max_s, mut min_s) = (f64::NEG_INFINITY, f64::INFINITY);
    let (mut w, mut compensation) = (0.0f64, 0.0f64);
    // The end of a run of equal values at `x`, the next pooled value being `next`: `i`, `j`
    // values of each sample are `<= x`.
    let mut run_end = |i: usize, j: usize, x: f64, next: f64| {
        distinct += 1;
        let diff = i as f64 / n1 - j as f64 / n2;
        max_s = max_s.max(diff);
        min_s = min_s.min(diff);
        // Neumaier's compensated sum, as `distance::sum`.
        let term = diff.abs() * (next - x);
        let t = w + term;
        compensation += if w.abs() >= term.abs() {
            (w - t) + term
        } else {
            (term - t) + w
        };
        w = t;
    };
    let (mut i, mut j) = (0usize, 0usize);
    let mut previous = None;
    while i < na && j < nb {
        let (u, v) = (a[i], b[j]);
        let take_a = u <= v;
        let x = if take_a { u } else { v };
        if let Some(p) = previous.filter(|&p| p != x) {
            run_end(i, j, p, x);
        }
        previous = Some(x);
        i += usize::from(take_a);
        j += usize::from(!take_a);
    }
    // One sample is used up: the rest of the other follows in order.
    for (k, &x) in a.iter().enumerate().skip(i) {
        if let Some(p) = previous.filter(|&p| p != x) {
            run_end(k, nb, p, x);
        }
        previous = Some(x);
    }
    for (k, &x) in b.iter().enumerate().skip(j) {
        if let Some(p) = previous.filter(|&p| p != x) {
            run_end(na, k, p, x);
        }
        previous = Some(x);
    }
    // The last run: both CDFs are 1 there and nothing follows.
    let last_run = usize::from(previous.is_some());
    max_s = max_s.max(0.0);
    min_s = min_s.min(0.0);
    let min_s = (-min_s).clamp(0.0, 1.0);
    PooledWalk {
        distinct: distinct + last_run,
        ks_statistic: if min_s > max_s { min_s } else { max_s },
        wasserstein: w + compensation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_radix_sort_orders_as_total_cmp_does() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        for len in [RADIX_MIN, 5000, 70_001] {
            let mut values: Vec<f64> = (0..len)
                .map(|i| match i % 7 {
                    0 => -0.0,
                    1 => 0.0,
                    2 => (next() % 100) as f64 - 50.0,
                    3 => f64::MIN_POSITIVE / 4.0,
                    _ => f64::from_bits(next() >> 2) * if next() % 2 == 0 { 1.0 } else { -1.0 },
                })
                .filter(|v| v.is_finite())
                .collect();
            let mut expected = values.clone();
            expected.sort_unstable_by(f64::total_cmp);
            values.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
            let values = clean_numbers(&values);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&values), bits(&expected), "{len}");
        }
    }

    #[test]
    fn cleaning_drops_nan_and_inf_and_reports_shares() {
        let r = [1.0, f64::NAN, 2.0, f64::INFINITY];
        let c = [f64::NEG_INFINITY, 3.0];
        let cleaned = clean(&Column::Numerical(&r), &Column::Numerical(&c)).unwrap();
        assert_eq!(
            cleaned.reference,
            SampleSummary {
                rows: 4,
                used: 2,
                missing_share: 0.5
            }
        );
        assert_eq!(
            cleaned.current,
            SampleSummary {
                rows: 2,
                used: 1,
                missing_share: 0.5
            }
        );
    }

    #[test]
    fn all_missing_is_a_typed_error() {
        let r = [f64::NAN, f64::INFINITY];
        let c = [1.0];
        assert_eq!(
            clean(&Column::Numerical(&r), &Column::Numerical(&c)).unwrap_err(),
            DriftError::EmptyReference { rows: 2 }
        );
        let r = [Some("a")];
        let c: [Option<&str>; 2] = [None, None];
        assert_eq!(
            clean(&Column::categorical(&r), &Column::categorical(&c)).unwrap_err(),
            DriftError::EmptyCurrent { rows: 2 }
        );
        assert_eq!(
            clean(&Column::Numerical(&[]), &Column::Numerical(&[1.0])).unwrap_err(),
            DriftError::EmptyReference { rows: 0 }
        );
    }

    #[test]
    fn mixed_kinds_are_refused() {
        let r = [1.0];
        let c = [Some("a")];
        assert!(matches!(
            clean(&Column::Numerical(&r), &Column::categorical(&c)),
            Err(DriftError::KindMismatch { .. })
        ));
    }

    #[test]
    fn tables_count_distinct_values() {
        let t = table_from_sorted(&[0.0, 0.0, 1.0, 3.0], &[-0.0, 2.0, 3.0, 3.0]);
        assert_eq!(t.reference, vec![2, 1, 0, 1]);
        assert_eq!(t.current, vec![1, 0, 1, 2]);
        assert_eq!(distinct_sorted(&[1.0, 1.0, 2.0]), 2);
        let owned = vec![Some("b".to_string()), None, Some("a".to_string())];
        let cleaned = clean(
            &Column::categorical_owned(&owned),
            &Column::categorical(&[Some("c")]),
        )
        .unwrap();
        assert_eq!(pooled_distinct(&cleaned.data), 3);
    }
}
