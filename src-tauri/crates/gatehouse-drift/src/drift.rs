//! Comparing one column's reference and current samples, and summarising many columns into
//! dataset drift.

use serde::{Deserialize, Serialize};

use crate::categorical::{chi_square, z_test, ChiSquareCase};
use crate::column::{
    clean, pooled_distinct, table_from_sorted, Column, Kind, Prepared, SampleSummary, Table,
};
use crate::distance::{
    binned_proportions, fill_zeroes, hellinger, jensen_shannon, kl, normed, psi,
};
use crate::error::DriftError;
use crate::ks::{ks_2samp_with, KsPath};
use crate::method::{default_method, Method};

/// Dataset drift is declared when at least this share of columns drift (Evidently's default).
pub const DEFAULT_DRIFT_SHARE: f64 = 0.5;

/// Per-column choices; `None` means Evidently's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Options {
    /// The method; by default [`default_method`] decides.
    pub method: Option<Method>,
    /// The threshold; by default [`Method::default_threshold`].
    pub threshold: Option<f64>,
}

/// Something worth knowing about how a result came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Note {
    /// Chi-square: a category seen in current never occurs in reference, so the statistic is
    /// infinite and the p-value 0.
    UnseenInReference,
    /// Chi-square on a single category (zero degrees of freedom): reported as statistic 0, p = 1
    /// where scipy returns NaN.
    SingleCategory,
    /// Wasserstein: the reference standard deviation is below 0.001 and the 0.001 floor was used.
    ReferenceStdFloored,
    /// KS: the exact p-value failed numerically and the asymptotic one is reported (as scipy does).
    KsExactFellBack,
    /// KS: the p-value comes from the finite-n asymptotic distribution (a sample above 10,000).
    KsAsymptotic,
}

/// The drift of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDrift {
    /// The column's kind.
    pub kind: Kind,
    /// The method used.
    pub method: Method,
    /// The statistic (KS `D`, chi-square, Z) or the distance. May be `+inf` (chi-square with a
    /// category unseen in reference; see `notes`).
    pub value: f64,
    /// The p-value, for tests.
    pub p_value: Option<f64>,
    /// The threshold applied to the p-value (tests) or to the distance.
    pub threshold: f64,
    /// Whether the column drifted.
    pub drifted: bool,
    /// Distinct values of both samples pooled, after cleaning (drives the default method).
    pub n_unique: usize,
    /// The reference sample: rows, rows used, missing-value rate.
    pub reference: SampleSummary,
    /// The current sample: rows, rows used, missing-value rate.
    pub current: SampleSummary,
    /// Peculiarities of this result.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
}

impl ColumnDrift {
    /// What is compared with the threshold: the p-value for tests, the distance otherwise
    /// (Evidently's `drift_score`).
    pub fn score(&self) -> f64 {
        self.p_value.unwrap_or(self.value)
    }
}

fn table_of(data: &Prepared) -> Table {
    match data {
        Prepared::Numerical {
            reference, current, ..
        } => table_from_sorted(reference, current),
        Prepared::Categorical(t) => t.clone(),
    }
}

/// Compare a column's current sample with its reference.
///
/// Missing values and ±inf are removed first; their share on each side is reported. The method
/// is the configured one or Evidently's default for the cleaned reference size and the number of
/// distinct values; the threshold likewise.
pub fn compare(
    reference: &Column<'_>,
    current: &Column<'_>,
    options: &Options,
) -> Result<ColumnDrift, DriftError> {
    if let Some(t) = options.threshold {
        if !(t.is_finite() && t >= 0.0) {
            return Err(DriftError::InvalidThreshold(t));
        }
    }
    let kind = reference.kind();
    let cleaned = clean(reference, current)?;
    let n_unique = pooled_distinct(&cleaned.data);
    let method = options
        .method
        .unwrap_or_else(|| default_method(kind, cleaned.reference.used, n_unique));
    if !method.applies_to(kind) {
        return Err(DriftError::MethodNotApplicable { method, kind });
    }
    let threshold = options
        .threshold
        .unwrap_or_else(|| method.default_threshold());
    let mut notes = Vec::new();
    let (value, p_value) = match (method, &cleaned.data) {
        (
            Method::Ks,
            Prepared::Numerical {
                reference,
                current,
                walk,
            },
        ) => {
            let out = ks_2samp_with(reference, current, walk.ks_statistic);
            match out.path {
                KsPath::Exact => {}
                KsPath::Asymptotic => notes.push(Note::KsAsymptotic),
                KsPath::ExactFellBack => notes.push(Note::KsExactFellBack),
            }
            (out.statistic, Some(out.p_value))
        }
        (
            Method::Wasserstein,
            Prepared::Numerical {
                reference, walk, ..
            },
        ) => {
            let (d, floored) = normed(reference, walk.wasserstein);
            if floored {
                notes.push(Note::ReferenceStdFloored);
            }
            (d, None)
        }
        (Method::Ks | Method::Wasserstein, Prepared::Categorical(_)) => {
            return Err(DriftError::MethodNotApplicable { method, kind });
        }
        (Method::ChiSquare, data) => {
            let (out, case) = chi_square(&table_of(data));
            match case {
                ChiSquareCase::Regular => {}
                ChiSquareCase::UnseenInReference => notes.push(Note::UnseenInReference),
                ChiSquareCase::SingleCategory => notes.push(Note::SingleCategory),
            }
            (out.statistic, Some(out.p_value))
        }
        (Method::Z, data) => {
            let out = z_test(&table_of(data));
            (out.statistic, Some(out.p_value))
        }
        (Method::JensenShannon, data) => {
            let (r, c) = binned_proportions(data)?;
            (jensen_shannon(&r, &c), None)
        }
        (Method::Psi | Method::Kl, data) => {
            let (mut r, mut c) = binned_proportions(data)?;
            fill_zeroes(&mut r);
            fill_zeroes(&mut c);
            let v = if method == Method::Psi {
                psi(&r, &c)
            } else {
                kl(&r, &c)
            };
            (v, None)
        }
        (Method::Hellinger, data) => (hellinger(data)?, None),
    };
    let score = p_value.unwrap_or(value);
    if score.is_nan() || value.is_nan() {
        return Err(DriftError::Undefined { method });
    }
    Ok(ColumnDrift {
        kind,
        method,
        value,
        p_value,
        threshold,
        drifted: method.is_drift(score, threshold),
        n_unique,
        reference: cleaned.reference,
        current: cleaned.current,
        notes,
    })
}

/// [`compare`] for many columns at once, on as many threads as the machine has cores (each
/// column is independent and the work is all CPU), results in the order given. The threads end
/// before this returns: to the caller it is one synchronous call.
pub fn compare_many(
    jobs: &[(Column<'_>, Column<'_>, Options)],
) -> Vec<Result<ColumnDrift, DriftError>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(jobs.len());
    if threads <= 1 {
        return jobs.iter().map(|(r, c, o)| compare(r, c, o)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, Result<ColumnDrift, DriftError>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((r, c, o)) = jobs.get(i) else {
                            return out;
                        };
                        out.push((i, compare(r, c, o)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// One named column's drift, as listed in the dataset summary and the `gatehouse drift` JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    /// The column name.
    pub name: String,
    /// Its drift.
    #[serde(flatten)]
    pub drift: ColumnDrift,
}

/// Drift over many columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetDrift {
    /// Per column, in the order given.
    pub columns: Vec<FeatureDrift>,
    /// How many columns drifted.
    pub drifted_columns: usize,
    /// `drifted_columns / columns`.
    pub share_drifted: f64,
    /// The share at or above which the dataset counts as drifted.
    pub drift_share: f64,
    /// `share_drifted >= drift_share`.
    pub dataset_drift: bool,
}

/// Summarise per-column results: dataset drift when at least `drift_share` of the columns drift
/// (Evidently's `get_dataset_drift`; pass [`DEFAULT_DRIFT_SHARE`] for its default).
pub fn dataset(columns: Vec<FeatureDrift>, drift_share: f64) -> Result<DatasetDrift, DriftError> {
    if !(0.0..=1.0).contains(&drift_share) {
        return Err(DriftError::InvalidDriftShare(drift_share));
    }
    if columns.is_empty() {
        return Err(DriftError::NoColumns);
    }
    let drifted_columns = columns.iter().filter(|c| c.drift.drifted).count();
    let share_drifted = drifted_columns as f64 / columns.len() as f64;
    Ok(DatasetDrift {
        columns,
        drifted_columns,
        share_drifted,
        drift_share,
        dataset_drift: share_drifted >= drift_share,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(n: usize, f: impl Fn(usize) -> f64) -> Vec<f64> {
        (0..n).map(f).collect()
    }

    #[test]
    fn defaults_pick_the_method_and_threshold() {
        let r = numbers(200, |i| i as f64);
        let c = numbers(150, |i| i as f64 * 1.1);
        let d = compare(
            &Column::Numerical(&r),
            &Column::Numerical(&c),
            &Options::default(),
        )
        .unwrap();
        assert_eq!(d.method, Method::Ks);
        assert_eq!(d.threshold, 0.05);
        assert!(d.p_value.is_some());
        let r = numbers(1001, |i| i as f64);
        let d = compare(
            &Column::Numerical(&r),
            &Column::Numerical(&c),
            &Options::default(),
        )
        .unwrap();
        assert_eq!(d.method, Method::Wasserstein);
        assert_eq!(d.p_value, None);
    }

    #[test]
    fn constant_columns_give_results_not_nan() {
        let r = vec![3.0; 50];
        let c = vec![3.0; 40];
        for method in crate::method::ALL_METHODS {
            let d = compare(
                &Column::Numerical(&r),
                &Column::Numerical(&c),
                &Options {
                    method: Some(method),
                    threshold: None,
                },
            )
            .unwrap();
            assert!(!d.value.is_nan() && !d.score().is_nan(), "{method}");
            assert!(!d.drifted, "{method}");
        }
    }

    #[test]
    fn single_category_gives_results_not_nan() {
        let r = vec![Some("a"); 10];
        let c = vec![Some("a"); 7];
        for method in [
            Method::ChiSquare,
            Method::Z,
            Method::JensenShannon,
            Method::Psi,
            Method::Kl,
            Method::Hellinger,
        ] {
            let d = compare(
                &Column::categorical(&r),
                &Column::categorical(&c),
                &Options {
                    method: Some(method),
                    threshold: None,
                },
            )
            .unwrap();
            assert!(!d.drifted, "{method}");
            assert!(!d.score().is_nan());
        }
    }

    #[test]
    fn hostile_numbers_never_panic() {
        let r = [
            f64::MAX,
            -f64::MAX,
            0.0,
            f64::MIN_POSITIVE,
            5e-324,
            f64::NAN,
            1.0,
        ];
        let c = [f64::MAX, 1e300, -1e-300, f64::INFINITY];
        for method in crate::method::ALL_METHODS {
            let result = compare(
                &Column::Numerical(&r),
                &Column::Numerical(&c),
                &Options {
                    method: Some(method),
                    threshold: None,
                },
            );
            if let Ok(d) = result {
                assert!(!d.score().is_nan(), "{method}");
            }
        }
        let tiny = [1.0, 1.0 + f64::EPSILON, 1.0 + 2.0 * f64::EPSILON];
        let many: Vec<f64> = (0..30).map(|i| 1.0 + f64::from(i) * f64::EPSILON).collect();
        for method in crate::method::ALL_METHODS {
            let _ = compare(
                &Column::Numerical(&many),
                &Column::Numerical(&tiny),
                &Options {
                    method: Some(method),
                    threshold: None,
                },
            );
        }
    }

    #[test]
    fn categorical_refuses_ordered_methods() {
        let r = [Some("a"), Some("b")];
        for method in [Method::Ks, Method::Wasserstein] {
            assert_eq!(
                compare(
                    &Column::categorical(&r),
                    &Column::categorical(&r),
                    &Options {
                        method: Some(method),
                        threshold: None
                    }
                ),
                Err(DriftError::MethodNotApplicable {
                    method,
                    kind: Kind::Categorical
                })
            );
        }
    }

    #[test]
    fn bad_thresholds_are_refused() {
        let r = [1.0, 2.0];
        for t in [f64::NAN, -0.1, f64::INFINITY] {
            assert!(matches!(
                compare(
                    &Column::Numerical(&r),
                    &Column::Numerical(&r),
                    &Options {
                        method: None,
                        threshold: Some(t)
                    }
                ),
                Err(DriftError::InvalidThreshold(_))
            ));
        }
    }

    #[test]
    fn missing_rate_is_reported_even_without_drift() {
        let mut r: Vec<f64> = numbers(100, |i| (i % 10) as f64 + 0.5 * (i / 10) as f64);
        let mut c = r.clone();
        for v in r.iter_mut().take(10) {
            *v = f64::NAN;
        }
        for v in c.iter_mut().take(25) {
            *v = f64::NAN;
        }
        let d = compare(
            &Column::Numerical(&r),
            &Column::Numerical(&c),
            &Options::default(),
        )
        .unwrap();
        assert!((d.reference.missing_share - 0.10).abs() < 1e-15);
        assert!((d.current.missing_share - 0.25).abs() < 1e-15);
    }

    #[test]
    fn dataset_share_and_flag() {
        let r = numbers(100, |i| i as f64);
        let shifted = numbers(100, |i| i as f64 + 60.0);
        let same = compare(
            &Column::Numerical(&r),
            &Column::Numerical(&r),
            &Options::default(),
        )
        .unwrap();
        let moved = compare(
            &Column::Numerical(&r),
            &Column::Numerical(&shifted),
            &Options::default(),
        )
        .unwrap();
        assert!(moved.drifted && !same.drifted);
        let cols = vec![
            FeatureDrift {
                name: "a".into(),
                drift: same.clone(),
            },
            FeatureDrift {
                name: "b".into(),
                drift: moved,
            },
        ];
        let ds = dataset(cols, DEFAULT_DRIFT_SHARE).unwrap();
        assert_eq!(ds.drifted_columns, 1);
        assert_eq!(ds.share_drifted, 0.5);
        assert!(ds.dataset_drift);
        let json = serde_json::to_value(&ds).unwrap();
        let col = &json["columns"][1];
        for key in [
            "name",
            "kind",
            "method",
            "value",
            "p_value",
            "threshold",
            "drifted",
        ] {
            assert!(col.get(key).is_some(), "{key}");
        }
        assert_eq!(json["share_drifted"], 0.5);
        assert_eq!(json["dataset_drift"], true);
        assert_eq!(dataset(vec![], 0.5), Err(DriftError::NoColumns));
        assert!(matches!(
            dataset(
                vec![FeatureDrift {
                    name: "a".into(),
                    drift: same
                }],
                1.5
            ),
            Err(DriftError::InvalidDriftShare(_))
        ));
    }
}
