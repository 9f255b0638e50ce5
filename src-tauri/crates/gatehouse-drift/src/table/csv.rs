//! CSV with a header row. A column is kept as numbers while every cell parses as one; the first
//! cell that does not turns the column into text, and the file is read again with that column
//! as text from the start, so labels keep their exact spelling (`1.50` stays `1.50`). Real files
//! settle their text columns within the first rows, so the re-reads cost little.

use std::collections::BTreeSet;

use super::{Cells, Table};
use crate::error::DriftError;

/// Cell texts that mean "missing", as pandas reads them by default.
const MISSING: [&str; 9] = [
    "", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "#N/A",
];

/// Why one pass over the file stopped.
enum Stop {
    /// The file is malformed.
    Error(DriftError),
    /// This column holds text: read again with it as text.
    Text(usize),
}

impl Table {
    /// Reads CSV with a header row. `name` names the input in errors.
    pub fn from_csv(name: &str, bytes: &[u8]) -> Result<Table, DriftError> {
        let columns = header(name, bytes)?;
        let mut text = vec![false; columns.len()];
        loop {
            match read(name, bytes, &text) {
                Ok(Pass {
                    cells,
                    rows,
                    integer,
                }) => {
                    return Ok(Table {
                        name: name.to_owned(),
                        columns,
                        cells,
                        rows,
                        integer,
                    })
                }
                Err(Stop::Text(column)) => text[column] = true,
                Err(Stop::Error(e)) => return Err(e),
            }
        }
    }
}

fn error(name: &str, line: u64, message: String) -> DriftError {
    DriftError::Csv {
        source_name: name.to_owned(),
        line,
        message,
    }
}

fn reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes)
}

fn header(name: &str, bytes: &[u8]) -> Result<Vec<String>, DriftError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(error(name, 1, "the file is empty".into()));
    }
    let headers = reader(bytes)
        .headers()
        .map_err(|e| error(name, 1, e.to_string()))?
        .clone();
    let columns: Vec<String> = headers.iter().map(|h| h.trim().to_owned()).collect();
    if columns.iter().all(String::is_empty) {
        return Err(error(name, 1, "no header row".into()));
    }
    let mut seen = BTreeSet::new();
    for (i, c) in columns.iter().enumerate() {
        if c.is_empty() {
            return Err(error(name, 1, format!("column {} has no name", i + 1)));
        }
        if !seen.insert(c.as_str()) {
            return Err(error(name, 1, format!("column `{c}` appears twice")));
        }
    }
    Ok(columns)
}

/// One pass: numbers for the columns not (yet) known to be text.
/// What one complete pass read.
struct Pass {
    cells: Vec<Cells>,
    rows: usize,
    /// Per column: whether pandas would read it as integers (every cell an integer literal).
    integer: Vec<bool>,
}

fn read(name: &str, bytes: &[u8], text: &[bool]) -> Result<Pass, Stop> {
    let mut integer = vec![true; text.len()];
    let mut cells: Vec<Cells> = text
        .iter()
        .map(|&t| {
            if t {
                Cells::Text(Vec::new())
            } else {
                Cells::Numbers(Vec::new())
            }
        })
        .collect();
    let mut reader = reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut rows = 0;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(Stop::Error(error(name, line, e.to_string())));
            }
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        for (i, field) in record.iter().enumerate() {
            let field = std::str::from_utf8(field)
                .map_err(|_| {
                    Stop::Error(error(
                        name,
                        line,
                        format!("column `{}`: the text is not UTF-8", header_at(bytes, i)),
                    ))
                })?
                .trim();
            let missing = MISSING.contains(&field);
            match &mut cells[i] {
                Cells::Text(v) => v.push((!missing).then(|| field.to_owned())),
                Cells::Numbers(v) if missing => {
                    integer[i] = false;
                    v.push(f64::NAN)
                }
                Cells::Numbers(v) => match field.parse::<f64>() {
                    Ok(x) if x.is_infinite() && !field.to_ascii_lowercase().contains("inf") => {
                        return Err(Stop::Error(error(
                            name,
                            line,
                            format!(
                                "column `{}`: `{field}` is too large for a 64-bit number",
                                header_at(bytes, i)
                            ),
                        )))
                    }
                    Ok(x) => {
                        integer[i] &= field.parse::<i64>().is_ok();
                        v.push(x)
                    }
                    Err(_) => return Err(Stop::Text(i)),
                },
                Cells::Unsupported(_) => {}
            }
        }
        rows += 1;
    }
    for (i, t) in text.iter().enumerate() {
        integer[i] &= !t;
    }
    Ok(Pass {
        cells,
        rows,
        integer,
    })
}

/// The name of column `i`, for a message (the header was read once already).
fn header_at(bytes: &[u8], i: usize) -> String {
    reader(bytes)
        .headers()
        .ok()
        .and_then(|h| h.get(i).map(|s| s.trim().to_owned()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_numbers_until_a_cell_is_not() {
        let t = Table::from_csv("t.csv", b"a,b,c\n1,x,NA\n2.5,1.50,\n-inf,2,7\n").unwrap();
        assert_eq!(t.rows, 3);
        assert!(
            matches!(&t.cells[0], Cells::Numbers(v) if v[1] == 2.5 && v[2] == f64::NEG_INFINITY)
        );
        assert_eq!(
            t.cells[1],
            Cells::Text(vec![
                Some("x".into()),
                Some("1.50".into()),
                Some("2".into())
            ])
        );
        assert!(
            matches!(&t.cells[2], Cells::Numbers(v) if v[0].is_nan() && v[1].is_nan() && v[2] == 7.0)
        );
    }

    #[test]
    fn bad_csv_names_the_line() {
        let cases: [(&[u8], &str); 6] = [
            (b"", "t.csv: line 1: the file is empty"),
            (b" \n\n", "t.csv: line 1: the file is empty"),
            (b"a,a\n1,2\n", "t.csv: line 1: column `a` appears twice"),
            (b"a,,c\n1,2,3\n", "t.csv: line 1: column 2 has no name"),
            (b"a,b\n1,2\n3\n", "t.csv: line 3: "),
            (
                b"a,b\n1,2\n1e999,3\n",
                "t.csv: line 3: column `a`: `1e999` is too large for a 64-bit number",
            ),
        ];
        for (bytes, needle) in cases {
            let err = Table::from_csv("t.csv", bytes).unwrap_err().to_string();
            assert!(err.starts_with(needle), "{err}");
        }
        let err = Table::from_csv("t.csv", b"a\n\xff\xfe\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv: line 2: column `a`: the text is not UTF-8"
        );
    }
}
