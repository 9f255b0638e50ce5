//! Tables of named columns read from files (CSV in [`csv`](Table::from_csv), Parquet in
//! [`parquet`](Table::from_parquet)), and drift over their columns. Reading is pure — bytes in,
//! table out — and every malformed input is an error naming the input and the line, row or
//! column, never a panic; opening the file is the caller's business.
//!
//! A column's kind follows what pandas would read and Evidently 0.7 would infer from it, so that
//! defaults match Evidently's: a CSV column whose every present cell parses as a number, and a
//! Parquet integer or floating-point column, are numerical — except an integer column (no missing
//! cell) with at most [`INTEGER_CARDINALITY_LIMIT`] distinct values in the current table, which is
//! categorical; text (and booleans) are categorical. Evidently calls a text column with more
//! distinct values than half its rows "text" and runs a text-drift model on it; Gatehouse compares
//! it as categories. `--numerical`/`--categorical` ([`Request`]) override all of this.

mod csv;
mod parquet;

use crate::column::Column;
use std::borrow::Cow;

use crate::drift::{compare_many, dataset, DatasetDrift, FeatureDrift, Options};
use crate::error::DriftError;

/// A table: column names and each column's cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The input's name, for messages.
    pub name: String,
    /// Column names, in file order.
    pub columns: Vec<String>,
    /// Cells per column, in the order of `columns`.
    pub cells: Vec<Cells>,
    /// Data rows (every column has this many cells).
    pub rows: usize,
    /// Per column: whether pandas would read it as an integer column (every cell an integer, none
    /// missing), which Evidently treats as categorical when it has few distinct values.
    pub integer: Vec<bool>,
}

/// An integer column with at most this many distinct current values is categorical (Evidently
/// 0.7's `INTEGER_CARDINALITY_LIMIT`, applied to the current data as its report does).
pub const INTEGER_CARDINALITY_LIMIT: usize = 10;

/// One column's cells.
#[derive(Debug, Clone, PartialEq)]
pub enum Cells {
    /// Numbers; NaN is a missing cell (±inf stays, and is removed later as Evidently does).
    Numbers(Vec<f64>),
    /// Text; `None` is a missing cell.
    Text(Vec<Option<String>>),
    /// A column of a type drift is not computed for (dates, binary, nested lists), named for
    /// messages. It is refused only if it is compared.
    Unsupported(String),
}

impl Table {
    fn cells(&self, name: &str) -> Result<&Cells, DriftError> {
        self.columns
            .iter()
            .position(|c| c == name)
            .map(|i| &self.cells[i])
            .ok_or_else(|| DriftError::MissingColumn {
                source_name: self.name.clone(),
                column: name.to_owned(),
            })
    }

    /// `column` as numbers: text cells must parse as numbers.
    fn numbers<'a>(&self, column: &str, cells: &'a Cells) -> Result<Cow<'a, [f64]>, DriftError> {
        match cells {
            Cells::Numbers(v) => Ok(Cow::Borrowed(v)),
            Cells::Text(v) => v
                .iter()
                .enumerate()
                .map(|(row, cell)| match cell {
                    None => Ok(f64::NAN),
                    Some(text) => text.parse::<f64>().map_err(|_| DriftError::NotANumber {
                        source_name: self.name.clone(),
                        column: column.to_owned(),
                        row: row + 1,
                        value: text.clone(),
                    }),
                })
                .collect::<Result<Vec<f64>, DriftError>>()
                .map(Cow::Owned),
            Cells::Unsupported(what) => Err(self.unsupported(column, what)),
        }
    }

    /// `column` as labels: numbers are written in their shortest exact form (`3`, `0.25`).
    fn labels<'a>(
        &self,
        column: &str,
        cells: &'a Cells,
    ) -> Result<Cow<'a, [Option<String>]>, DriftError> {
        match cells {
            Cells::Text(v) => Ok(Cow::Borrowed(v)),
            Cells::Numbers(v) => Ok(Cow::Owned(
                v.iter()
                    .map(|x| (!x.is_nan()).then(|| x.to_string()))
                    .collect(),
            )),
            Cells::Unsupported(what) => Err(self.unsupported(column, what)),
        }
    }

    /// Whether `column` is an integer column with few distinct values (see the module docs).
    fn few_integers(&self, column: &str, values: &[f64]) -> bool {
        let integer = self
            .columns
            .iter()
            .position(|c| c == column)
            .is_some_and(|i| self.integer[i]);
        if !integer {
            return false;
        }
        let mut distinct: Vec<f64> = Vec::new();
        for v in values {
            if !distinct.contains(v) {
                if distinct.len() == INTEGER_CARDINALITY_LIMIT {
                    return false;
                }
                distinct.push(*v);
            }
        }
        true
    }

    fn unsupported(&self, column: &str, what: &str) -> DriftError {
        DriftError::BadColumn {
            source_name: self.name.clone(),
            column: column.to_owned(),
            message: format!("{what} columns are not compared; leave the column out"),
        }
    }
}

/// What to compare and how.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    /// Only these columns, in this order; by default every column, in the reference's order (a
    /// column present on one side only is then an error).
    pub columns: Option<Vec<String>>,
    /// Columns to treat as numerical whatever they look like.
    pub numerical: Vec<String>,
    /// Columns to treat as categorical whatever they look like.
    pub categorical: Vec<String>,
    /// Method and threshold for every column (each `None` = Evidently's default).
    pub options: Options,
    /// Per-column overrides, which win over `options`.
    pub per_column: Vec<(String, Options)>,
    /// Dataset drift when at least this share of columns drift.
    pub drift_share: f64,
}

/// Compares every requested column of `current` with `reference`. A column is numerical when
/// declared so, or when it holds numbers on both sides; categorical when declared so or when it
/// holds text on both sides. Numbers on one side and text on the other is an error naming the
/// first cell that is not a number.
pub fn compare_tables(
    reference: &Table,
    current: &Table,
    request: &Request,
) -> Result<DatasetDrift, DriftError> {
    if let Some(c) = request
        .numerical
        .iter()
        .find(|c| request.categorical.contains(c))
    {
        return Err(DriftError::ConflictingKind(c.clone()));
    }
    for table in [reference, current] {
        if table.rows == 0 {
            return Err(DriftError::EmptyTable {
                source_name: table.name.clone(),
            });
        }
    }
    let names: Vec<String> = match &request.columns {
        Some(names) => names.clone(),
        None => {
            if let Some(only) = current
                .columns
                .iter()
                .find(|c| !reference.columns.contains(c))
            {
                return Err(DriftError::MissingColumn {
                    source_name: reference.name.clone(),
                    column: only.clone(),
                });
            }
            reference.columns.clone()
        }
    };
    // Each column's values as the engine takes them, then every comparison at once.
    enum Values<'t> {
        Numbers(Cow<'t, [f64]>, Cow<'t, [f64]>),
        Labels(Cow<'t, [Option<String>]>, Cow<'t, [Option<String>]>),
    }
    let mut inputs = Vec::with_capacity(names.len());
    for name in &names {
        let (r, c) = (reference.cells(name)?, current.cells(name)?);
        let declared_numerical = request.numerical.contains(name);
        let declared_categorical = request.categorical.contains(name);
        let numerical = match (r, c) {
            _ if declared_numerical => true,
            _ if declared_categorical => false,
            (Cells::Numbers(_), Cells::Numbers(v)) => !current.few_integers(name, v),
            (Cells::Unsupported(_), _) => true,
            (Cells::Text(_), Cells::Text(_)) => false,
            // Numbers on one side: the other side's text is the error.
            (Cells::Numbers(_), _) | (_, Cells::Numbers(_)) => true,
            (Cells::Text(_), Cells::Unsupported(_)) => false,
        };
        let options = request
            .per_column
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, o)| Options {
                method: o.method.or(request.options.method),
                threshold: o.threshold.or(request.options.threshold),
            })
            .unwrap_or(request.options);
        let values = if numerical {
            Values::Numbers(reference.numbers(name, r)?, current.numbers(name, c)?)
        } else {
            Values::Labels(reference.labels(name, r)?, current.labels(name, c)?)
        };
        inputs.push((values, options));
    }
    let jobs: Vec<(Column<'_>, Column<'_>, Options)> = inputs
        .iter()
        .map(|(values, options)| match values {
            Values::Numbers(r, c) => (Column::Numerical(r), Column::Numerical(c), *options),
            Values::Labels(r, c) => (
                Column::categorical_owned(r),
                Column::categorical_owned(c),
                *options,
            ),
        })
        .collect();
    let mut features = Vec::with_capacity(names.len());
    for (name, drift) in names.into_iter().zip(compare_many(&jobs)) {
        let drift = drift.map_err(|error| match error {
            DriftError::InvalidThreshold(_) | DriftError::MethodNotApplicable { .. } => error,
            other => DriftError::InColumn {
                column: name.clone(),
                error: Box::new(other),
            },
        })?;
        features.push(FeatureDrift { name, drift });
    }
    dataset(features, request.drift_share)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Kind, Method, DEFAULT_DRIFT_SHARE};

    fn table(name: &str, text: &str) -> Table {
        Table::from_csv(name, text.as_bytes()).unwrap()
    }

    fn request() -> Request {
        Request {
            drift_share: DEFAULT_DRIFT_SHARE,
            ..Request::default()
        }
    }

    #[test]
    fn kinds_are_inferred_and_missing_cells_removed() {
        let reference = table("ref.csv", "age,plan\n30,basic\n41,pro\nNA,basic\n35,\n");
        let current = table("cur.csv", "age,plan\n60.5,pro\n61,pro\n62,pro\n63,pro\n");
        let d = compare_tables(&reference, &current, &request()).unwrap();
        let kinds: Vec<(&str, Kind)> = d
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.drift.kind))
            .collect();
        assert_eq!(
            kinds,
            [("age", Kind::Numerical), ("plan", Kind::Categorical)]
        );
        assert_eq!(d.columns[0].drift.reference.used, 3);
        assert_eq!(d.columns[1].drift.reference.used, 3);
    }

    #[test]
    fn integer_columns_with_few_current_values_are_categorical() {
        let reference = table("r.csv", "n\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n");
        let few = table("c.csv", "n\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n10\n");
        let many = table("c.csv", "n\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n");
        let floats = table("c.csv", "n\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n10.0\n");
        for (current, kind) in [
            (&few, Kind::Categorical),
            (&many, Kind::Numerical),
            (&floats, Kind::Numerical),
        ] {
            let d = compare_tables(&reference, current, &request()).unwrap();
            assert_eq!(d.columns[0].drift.kind, kind);
        }
    }

    #[test]
    fn declared_kinds_and_overrides_win() {
        let reference = table("r", "zip,score\n1000,0.1\n2000,0.2\n3000,0.3\n");
        let current = table("c", "zip,score\n1000,0.1\n2000,0.25\n4000,0.3\n");
        let request = Request {
            categorical: vec!["zip".into()],
            per_column: vec![(
                "score".into(),
                Options {
                    method: Some(Method::Psi),
                    threshold: Some(0.2),
                },
            )],
            drift_share: 0.5,
            ..Request::default()
        };
        let d = compare_tables(&reference, &current, &request).unwrap();
        assert_eq!(d.columns[0].drift.kind, Kind::Categorical);
        assert_eq!(d.columns[1].drift.method, Method::Psi);
        assert_eq!(d.columns[1].drift.threshold, 0.2);
    }

    #[test]
    fn numbers_declared_categorical_become_their_shortest_labels() {
        let t = table("r", "zip\n1000\n2.50\nNA\n");
        assert_eq!(
            t.labels("zip", &t.cells[0]).unwrap().into_owned(),
            [Some("1000".to_owned()), Some("2.5".to_owned()), None]
        );
    }

    #[test]
    fn bad_input_names_the_file_and_the_cell() {
        let reference = table("r.csv", "x\n1\n2\n");
        let current = table("c.csv", "x\n1\nabc\n");
        let err = compare_tables(&reference, &current, &request()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.csv: column `x`, row 2: `abc` is not a number"
        );
        let declared = Request {
            numerical: vec!["x".into()],
            ..request()
        };
        let err = compare_tables(&current, &reference, &declared).unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.csv: column `x`, row 2: `abc` is not a number"
        );
        let only_y = Request {
            columns: Some(vec!["y".into()]),
            ..request()
        };
        let err = compare_tables(&reference, &current, &only_y).unwrap_err();
        assert_eq!(err.to_string(), "r.csv has no column `y`");
    }

    #[test]
    fn a_column_on_one_side_only_is_an_error() {
        let reference = table("r.csv", "x,y\n1,2\n");
        let current = table("c.csv", "x\n1\n");
        let err = compare_tables(&reference, &current, &request()).unwrap_err();
        assert_eq!(err.to_string(), "c.csv has no column `y`");
        let err = compare_tables(&current, &reference, &request()).unwrap_err();
        assert_eq!(err.to_string(), "c.csv has no column `y`");
        let only_x = Request {
            columns: Some(vec!["x".into()]),
            ..request()
        };
        assert!(compare_tables(&reference, &current, &only_x).is_ok());
    }

    #[test]
    fn empty_tables_and_columns_are_named() {
        let header_only = table("r.csv", "x\n");
        let current = table("c.csv", "x\n1\n");
        let err = compare_tables(&header_only, &current, &request()).unwrap_err();
        assert_eq!(err.to_string(), "r.csv: no data rows");
        let all_missing = table("r.csv", "x\nNA\n\n");
        let err = compare_tables(&all_missing, &current, &request()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "column `x`: reference sample is empty after removing missing values (1 rows, all missing)"
        );
    }
}
