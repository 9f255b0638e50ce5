//! The tests on counts: chi-square goodness of fit against reference proportions and the
//! two-proportion Z-test, as Evidently 0.7.23 runs them (`chisquare_stattest.py`, `z_stattest.py`).

use crate::column::Table;
use crate::special::{chi2_sf, normal_sf};

/// A test statistic with its p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TestOutcome {
    pub statistic: f64,
    pub p_value: f64,
}

/// What is peculiar about a chi-square input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChiSquareCase {
    /// The ordinary case.
    Regular,
    /// A category present in current never occurs in reference: the expected count is 0, the
    /// statistic infinite and the p-value 0.
    UnseenInReference,
    /// A single category in both samples: zero degrees of freedom. scipy returns NaN; the
    /// distributions are identical, so the statistic is 0 and the p-value 1.
    SingleCategory,
}

/// `chisquare(f_obs = current counts, f_exp = reference counts * n_cur / n_ref)`, with
/// `k - 1` degrees of freedom for `k` categories seen in either sample.
pub(crate) fn chi_square(t: &Table) -> (TestOutcome, ChiSquareCase) {
    if t.rows() <= 1 {
        return (
            TestOutcome {
                statistic: 0.0,
                p_value: 1.0,
            },
            ChiSquareCase::SingleCategory,
        );
    }
    let k_norm = t.current_len as f64 / t.reference_len as f64;
    let mut stat = 0.0;
    let mut unseen = false;
    for (&r, &c) in t.reference.iter().zip(&t.current) {
        let expected = r as f64 * k_norm;
        let observed = c as f64;
        if expected == 0.0 {
            unseen = true;
            continue;
        }
        stat += (observed - expected) * (observed - expected) / expected;
    }
    if unseen {
        return (
            TestOutcome {
                statistic: f64::INFINITY,
                p_value: 0.0,
            },
            ChiSquareCase::UnseenInReference,
        );
    }
    let df = (t.rows() - 1) as f64;
    (
        TestOutcome {
            statistic: stat,
            p_value: chi2_sf(stat, df),
        },
        ChiSquareCase::Regular,
    )
}

/// Evidently's Z-test: values equal to the smallest category are 0, all others 1;
/// `z = (p1 - p2) / sqrt(P (1 - P) (1/n1 + 1/n2))` with pooled `P`; `p = 2 (1 - Phi(|z|))`.
/// One shared category on both sides gives `p = 1` (Evidently's special case).
pub(crate) fn z_test(t: &Table) -> TestOutcome {
    if t.rows() <= 1 {
        return TestOutcome {
            statistic: 0.0,
            p_value: 1.0,
        };
    }
    let n1 = t.reference_len as f64;
    let n2 = t.current_len as f64;
    let p1 = (t.reference_len - t.reference[0]) as f64 / n1;
    let p2 = (t.current_len - t.current[0]) as f64 / n2;
    let pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    let z = (p1 - p2) / (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    TestOutcome {
        statistic: z,
        p_value: 2.0 * normal_sf(z.abs()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(r: &[u64], c: &[u64]) -> Table {
        Table {
            reference: r.to_vec(),
            current: c.to_vec(),
            reference_len: r.iter().sum(),
            current_len: c.iter().sum(),
        }
    }

    #[test]
    fn chi_square_matches_scipy() {
        // scipy.stats.chisquare([30, 20, 50], [40, 20, 40])
        let (out, case) = chi_square(&table(&[40, 20, 40], &[30, 20, 50]));
        assert_eq!(case, ChiSquareCase::Regular);
        assert!((out.statistic - 5.0).abs() < 1e-12);
        assert!((out.p_value - 0.082_084_998_623_898_8).abs() < 1e-12);
    }

    #[test]
    fn chi_square_degenerate_cases() {
        let (out, case) = chi_square(&table(&[10, 0], &[5, 1]));
        assert_eq!(case, ChiSquareCase::UnseenInReference);
        assert_eq!(out.p_value, 0.0);
        let (out, case) = chi_square(&table(&[10], &[7]));
        assert_eq!(case, ChiSquareCase::SingleCategory);
        assert_eq!(out.p_value, 1.0);
    }

    #[test]
    fn z_test_is_symmetric_in_the_samples() {
        let a = z_test(&table(&[70, 30], &[55, 45]));
        let b = z_test(&table(&[55, 45], &[70, 30]));
        assert!((a.statistic + b.statistic).abs() < 1e-12);
        assert!((a.p_value - b.p_value).abs() < 1e-15);
        assert_eq!(z_test(&table(&[9], &[4])).p_value, 1.0);
        // One category per side, different: p is 0 to double precision.
        assert!(z_test(&table(&[100, 0], &[0, 80])).p_value < 1e-30);
    }
}
