//! Tables of named columns read from CSV text, and drift over all their shared columns. Parsing
//! is pure (bytes in, table out) and returns errors with line numbers, never panics; reading the
//! file is the caller's business.

use std::collections::BTreeSet;

use crate::column::Column;
use crate::drift::{compare, dataset, DatasetDrift, FeatureDrift, Options};
use crate::error::DriftError;

/// Cell texts that mean "missing", as pandas reads them by default.
const MISSING: [&str; 9] = [
    "", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "#N/A",
];

/// A table: column names and each column's cells as text (`None` = missing).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The input's name, for messages.
    pub name: String,
    /// Column names, in file order.
    pub columns: Vec<String>,
    /// Cells per column.
    pub cells: Vec<Vec<Option<String>>>,
}

impl Table {
    /// Reads CSV with a header row. `name` names the input in errors.
    pub fn from_csv(name: &str, bytes: &[u8]) -> Result<Table, DriftError> {
        let csv_error = |line: u64, message: String| DriftError::Csv {
            source_name: name.to_owned(),
            line,
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(bytes);
        let headers = reader
            .headers()
            .map_err(|e| csv_error(1, e.to_string()))?
            .clone();
        let columns: Vec<String> = headers.iter().map(|h| h.trim().to_owned()).collect();
        if columns.is_empty() || columns.iter().all(String::is_empty) {
            return Err(csv_error(1, "no header row".into()));
        }
        let mut seen = BTreeSet::new();
        for c in &columns {
            if !seen.insert(c.as_str()) {
                return Err(csv_error(1, format!("column `{c}` appears twice")));
            }
        }
        let mut cells: Vec<Vec<Option<String>>> = vec![Vec::new(); columns.len()];
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                csv_error(line, e.to_string())
            })?;
            for (i, field) in record.iter().enumerate() {
                let field = field.trim();
                cells[i].push((!MISSING.contains(&field)).then(|| field.to_owned()));
            }
        }
        Ok(Table {
            name: name.to_owned(),
            columns,
            cells,
        })
    }

    fn column(&self, name: &str) -> Result<&[Option<String>], DriftError> {
        self.columns
            .iter()
            .position(|c| c == name)
            .map(|i| self.cells[i].as_slice())
            .ok_or_else(|| DriftError::MissingColumn {
                source_name: self.name.clone(),
                column: name.to_owned(),
            })
    }

    /// Whether every present cell of `column` reads as a number (inf and nan included).
    fn looks_numerical(cells: &[Option<String>]) -> bool {
        cells.iter().flatten().all(|c| c.parse::<f64>().is_ok())
    }

    fn numbers(&self, column: &str) -> Result<Vec<f64>, DriftError> {
        self.column(column)?
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
            .collect()
    }
}

/// What to compare and how.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    /// Only these columns, in this order; by default every column both tables share, in the
    /// reference's order.
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
/// declared so, or when every present reference and current cell reads as a number; otherwise it
/// is categorical.
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
    let names: Vec<String> = match &request.columns {
        Some(names) => names.clone(),
        None => reference
            .columns
            .iter()
            .filter(|c| current.columns.contains(c))
            .cloned()
            .collect(),
    };
    let mut features = Vec::with_capacity(names.len());
    for name in names {
        let (r, c) = (reference.column(&name)?, current.column(&name)?);
        let numerical = request.numerical.contains(&name)
            || (!request.categorical.contains(&name)
                && Table::looks_numerical(r)
                && Table::looks_numerical(c));
        let options = request
            .per_column
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, o)| Options {
                method: o.method.or(request.options.method),
                threshold: o.threshold.or(request.options.threshold),
            })
            .unwrap_or(request.options);
        let drift = if numerical {
            let (r, c) = (reference.numbers(&name)?, current.numbers(&name)?);
            compare(&Column::Numerical(&r), &Column::Numerical(&c), &options)?
        } else {
            compare(
                &Column::categorical_owned(r),
                &Column::categorical_owned(c),
                &options,
            )?
        };
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

    #[test]
    fn kinds_are_inferred_and_missing_cells_removed() {
        let reference = table("ref.csv", "age,plan\n30,basic\n41,pro\nNA,basic\n35,\n");
        let current = table("cur.csv", "age,plan\n60,pro\n61,pro\n62,pro\n63,pro\n");
        let request = Request {
            drift_share: DEFAULT_DRIFT_SHARE,
            ..Request::default()
        };
        let d = compare_tables(&reference, &current, &request).unwrap();
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
    fn bad_input_names_the_line_or_cell() {
        let err = Table::from_csv("r.csv", b"a,b\n1,2\n3\n").unwrap_err();
        assert!(matches!(err, DriftError::Csv { line: 3, .. }), "{err}");
        let err = Table::from_csv("r.csv", b"a,a\n1,2\n").unwrap_err();
        assert_eq!(err.to_string(), "r.csv: line 1: column `a` appears twice");
        let reference = table("r.csv", "x\n1\n2\n");
        let current = table("c.csv", "x\n1\nabc\n");
        let request = Request {
            numerical: vec!["x".into()],
            drift_share: 0.5,
            ..Request::default()
        };
        let err = compare_tables(&reference, &current, &request).unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.csv: column `x`, row 2: `abc` is not a number"
        );
        let request = Request {
            columns: Some(vec!["y".into()]),
            drift_share: 0.5,
            ..Request::default()
        };
        let err = compare_tables(&reference, &current, &request).unwrap_err();
        assert_eq!(err.to_string(), "r.csv has no column `y`");
    }

    #[test]
    fn garbage_never_panics() {
        for bytes in [
            &b""[..],
            b"\xff\xfe",
            b"\n\n\n",
            b"a\n\"unclosed",
            b",,,\n,,,\n",
        ] {
            let _ = Table::from_csv("x", bytes);
        }
    }
}
