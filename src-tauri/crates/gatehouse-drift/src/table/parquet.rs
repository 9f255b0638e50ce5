//! Parquet files, decoded with the `parquet` crate's column readers (no Arrow). Flat columns
//! only: integers and floating-point numbers (decimals scaled) are numbers, strings and booleans
//! text (`True`/`False`, as pandas prints them); dates, times, binary and nested columns are kept
//! as [`Cells::Unsupported`] and refused only if compared.
//!
//! Malformed files are errors, never panics: a file the crate cannot parse, a column chunk with
//! fewer or more values than its row group declares, text that is not UTF-8. A file that claims
//! far more rows than its size can hold ([`MAX_ROWS_PER_BYTE`]) is refused before anything is
//! allocated for it, so a corrupted row count cannot exhaust memory.

use bytes::Bytes;
use parquet::basic::{ConvertedType, Encoding, LogicalType, Type as Physical};
use parquet::column::page::{Page, PageMetadata, PageReader};
use parquet::column::reader::{get_column_reader, ColumnReader, ColumnReaderImpl};
use parquet::data_type::DataType;
use parquet::errors::ParquetError;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::schema::types::ColumnDescriptor;

use super::{Cells, Table};
use crate::error::DriftError;

/// Values decoded per call: bounds the level and value buffers.
const BATCH: usize = 64 * 1024;

/// A file may hold at most this many rows per byte (and a million rows whatever its size).
/// Run-length encoding packs a null or a repeated value into a few bits, so real files stay far
/// below it; a larger claim means a corrupted row count.
pub const MAX_ROWS_PER_BYTE: usize = 64;

/// How the numbers of a column are read.
#[derive(Clone, Copy)]
enum Numeric {
    Signed,
    Unsigned,
    /// A decimal stored as an integer: divide by `10^scale`.
    Decimal(i32),
}

/// What a leaf column becomes.
enum Plan {
    Numbers(Numeric),
    Text,
    Bool,
    Skip(String),
}

impl Table {
    /// Reads a Parquet file's bytes. `name` names the input in errors.
    ///
    /// The page checks (`CheckedPages`) cover what corrupted files most often break in the common
    /// encodings; the `parquet` crate's rarer decoders (byte-stream-split, delta) still index
    /// without checking, so a panic inside the decoder is caught here and reported as a corrupted
    /// file rather than ending the program.
    pub fn from_parquet(name: &str, bytes: Vec<u8>) -> Result<Table, DriftError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode(name, bytes)))
            .unwrap_or_else(|panic| {
                let why = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("no detail");
                Err(DriftError::Parquet {
                    source_name: name.to_owned(),
                    message: format!("corrupted Parquet data ({why})"),
                })
            })
    }
}

fn decode(name: &str, bytes: Vec<u8>) -> Result<Table, DriftError> {
    let size = bytes.len();
    let file_error = |message: String| DriftError::Parquet {
        source_name: name.to_owned(),
        message,
    };
    let reader = SerializedFileReader::new(Bytes::from(bytes))
        .map_err(|e| file_error(format!("not a readable Parquet file: {e}")))?;
    let metadata = reader.metadata();
    let declared = metadata.file_metadata().num_rows();
    let rows = usize::try_from(declared)
        .ok()
        .filter(|&r| r <= size.saturating_mul(MAX_ROWS_PER_BYTE).max(1 << 20))
        .ok_or_else(|| file_error(format!("claims {declared} rows in {size} bytes")))?;
    let schema = metadata.file_metadata().schema_descr();
    let leaves = schema.columns();
    let columns: Vec<String> = leaves.iter().map(|c| c.path().string()).collect();
    for (i, c) in columns.iter().enumerate() {
        if columns[..i].contains(c) {
            return Err(file_error(format!("column `{c}` appears twice")));
        }
    }
    let plans: Vec<Plan> = leaves.iter().map(|c| plan(c)).collect();
    let mut cells: Vec<Cells> = plans
        .iter()
        .map(|p| match p {
            Plan::Numbers(_) => Cells::Numbers(Vec::with_capacity(rows)),
            Plan::Text | Plan::Bool => Cells::Text(Vec::with_capacity(rows)),
            Plan::Skip(what) => Cells::Unsupported(what.clone()),
        })
        .collect();

    let mut seen = 0usize;
    for g in 0..metadata.num_row_groups() {
        let group_rows = usize::try_from(metadata.row_group(g).num_rows())
            .ok()
            .filter(|r| seen.checked_add(*r).is_some_and(|total| total <= rows))
            .ok_or_else(|| {
                file_error(format!(
                    "row group {g} has more rows than the file declares ({rows})"
                ))
            })?;
        check_chunks(metadata.row_group(g), size)
            .map_err(|m| file_error(format!("row group {g}: {m}")))?;
        let group = reader
            .get_row_group(g)
            .map_err(|e| file_error(format!("row group {g}: {e}")))?;
        for (i, plan) in plans.iter().enumerate() {
            if matches!(plan, Plan::Skip(_)) {
                continue;
            }
            let column_error = |message: String| DriftError::BadColumn {
                source_name: name.to_owned(),
                column: columns[i].clone(),
                message,
            };
            let max_def = leaves[i].max_def_level();
            let pages = group
                .get_column_page_reader(i)
                .map_err(|e| column_error(format!("row group {g}: {e}")))?;
            let reader = get_column_reader(
                leaves[i].clone(),
                Box::new(CheckedPages {
                    inner: pages,
                    dictionary: false,
                    physical: leaves[i].physical_type(),
                    width: leaves[i].type_length(),
                    max_def,
                }),
            );
            let mut sink = Sink {
                cells: &mut cells[i],
                plan,
                first_row: seen,
                not_utf8: None,
            };
            let read = match reader {
                ColumnReader::Int32ColumnReader(r) => {
                    read_column(r, max_def, group_rows, &mut sink, |v, s| {
                        s.int(i64::from(*v), u64::from(*v as u32))
                    })
                }
                ColumnReader::Int64ColumnReader(r) => {
                    read_column(r, max_def, group_rows, &mut sink, |v, s| {
                        s.int(*v, *v as u64)
                    })
                }
                ColumnReader::FloatColumnReader(r) => {
                    read_column(r, max_def, group_rows, &mut sink, |v, s| {
                        s.float(f64::from(*v))
                    })
                }
                ColumnReader::DoubleColumnReader(r) => {
                    read_column(r, max_def, group_rows, &mut sink, |v, s| s.float(*v))
                }
                ColumnReader::BoolColumnReader(r) => {
                    read_column(r, max_def, group_rows, &mut sink, |v, s| s.bool(*v))
                }
                ColumnReader::ByteArrayColumnReader(r) => {
                    read_column(r, max_def, group_rows, &mut sink, |v, s| s.text(v.data()))
                }
                ColumnReader::FixedLenByteArrayColumnReader(r) => {
                    read_column(r, max_def, group_rows, &mut sink, |v, s| {
                        s.decimal(v.data())
                    })
                }
                ColumnReader::Int96ColumnReader(_) => {
                    return Err(column_error("unexpected physical type".into()))
                }
            };
            read.and_then(|()| sink.check(group_rows))
                .map_err(|message| column_error(format!("row group {g}: {message}")))
                .and_then(|()| sink.utf8_error().map_or(Ok(()), |e| Err(column_error(e))))?;
        }
        seen += group_rows;
    }
    if seen != rows {
        return Err(file_error(format!(
            "row groups hold {seen} rows, the file declares {rows}"
        )));
    }
    // pandas reads an integer column without nulls as integers (with nulls, as floats).
    let integer = plans
        .iter()
        .zip(&cells)
        .map(|(plan, cells)| {
            matches!(plan, Plan::Numbers(Numeric::Signed | Numeric::Unsigned))
                && matches!(cells, Cells::Numbers(v) if v.iter().all(|x| !x.is_nan()))
        })
        .zip(leaves)
        .map(|(int, leaf)| int && matches!(leaf.physical_type(), Physical::INT32 | Physical::INT64))
        .collect();
    Ok(Table {
        name: name.to_owned(),
        columns,
        cells,
        rows,
        integer,
    })
}

/// Every column chunk of a row group must lie inside the file: the `parquet` crate asserts on
/// negative offsets and sizes instead of returning an error.
fn check_chunks(
    group: &parquet::file::metadata::RowGroupMetaData,
    size: usize,
) -> Result<(), String> {
    for chunk in group.columns() {
        let start = chunk
            .dictionary_page_offset()
            .unwrap_or_else(|| chunk.data_page_offset());
        let len = chunk.compressed_size();
        let inside = u64::try_from(start)
            .ok()
            .zip(u64::try_from(len).ok())
            .and_then(|(s, l)| s.checked_add(l))
            .is_some_and(|end| end <= size as u64);
        if !inside {
            return Err(format!(
                "column chunk `{}` at {start}+{len} lies outside the file",
                chunk.column_path()
            ));
        }
    }
    Ok(())
}

/// Decides how a leaf column is read from its physical and logical types.
fn plan(c: &ColumnDescriptor) -> Plan {
    if c.max_rep_level() > 0 {
        return Plan::Skip("nested (list)".into());
    }
    let logical = c.logical_type_ref();
    let converted = c.converted_type();
    match (c.physical_type(), logical) {
        (_, Some(LogicalType::Date | LogicalType::Time { .. } | LogicalType::Timestamp { .. })) => {
            Plan::Skip("date and time".into())
        }
        (Physical::INT32 | Physical::INT64, Some(LogicalType::Decimal(d))) => {
            Plan::Numbers(Numeric::Decimal(d.scale))
        }
        (Physical::INT32 | Physical::INT64, Some(LogicalType::Integer(t))) => {
            Plan::Numbers(if t.is_signed {
                Numeric::Signed
            } else {
                Numeric::Unsigned
            })
        }
        (Physical::INT32 | Physical::INT64, _) => match converted {
            ConvertedType::DATE
            | ConvertedType::TIME_MILLIS
            | ConvertedType::TIME_MICROS
            | ConvertedType::TIMESTAMP_MILLIS
            | ConvertedType::TIMESTAMP_MICROS
            | ConvertedType::INTERVAL => Plan::Skip("date and time".into()),
            ConvertedType::DECIMAL => Plan::Numbers(Numeric::Decimal(c.type_scale())),
            ConvertedType::UINT_8
            | ConvertedType::UINT_16
            | ConvertedType::UINT_32
            | ConvertedType::UINT_64 => Plan::Numbers(Numeric::Unsigned),
            _ => Plan::Numbers(Numeric::Signed),
        },
        (Physical::FLOAT | Physical::DOUBLE, _) => Plan::Numbers(Numeric::Signed),
        (Physical::BOOLEAN, _) => Plan::Bool,
        (Physical::BYTE_ARRAY, None | Some(LogicalType::String | LogicalType::Enum)) => {
            match converted {
                ConvertedType::NONE | ConvertedType::UTF8 | ConvertedType::ENUM => Plan::Text,
                _ => Plan::Skip(format!("{converted}")),
            }
        }
        (Physical::FIXED_LEN_BYTE_ARRAY, Some(LogicalType::Decimal(d)))
            if (1..=16).contains(&c.type_length()) =>
        {
            Plan::Numbers(Numeric::Decimal(d.scale))
        }
        (Physical::BYTE_ARRAY, Some(_)) => Plan::Skip("binary".into()),
        (Physical::INT96, _) => Plan::Skip("date and time".into()),
        (Physical::FIXED_LEN_BYTE_ARRAY, _) => Plan::Skip("fixed-length binary".into()),
    }
}

/// Where one column chunk's values go.
struct Sink<'a> {
    cells: &'a mut Cells,
    plan: &'a Plan,
    /// The file row of this chunk's first value, for messages.
    first_row: usize,
    /// The file row (0-based) of the first text value that is not UTF-8, if any.
    not_utf8: Option<usize>,
}

impl Sink<'_> {
    fn len(&self) -> usize {
        match &*self.cells {
            Cells::Numbers(v) => v.len(),
            Cells::Text(v) => v.len(),
            Cells::Unsupported(_) => 0,
        }
    }

    fn missing(&mut self) {
        match self.cells {
            Cells::Numbers(v) => v.push(f64::NAN),
            Cells::Text(v) => v.push(None),
            Cells::Unsupported(_) => {}
        }
    }

    fn float(&mut self, x: f64) {
        if let Cells::Numbers(v) = self.cells {
            v.push(x);
        }
    }

    fn int(&mut self, signed: i64, unsigned: u64) {
        let x = match self.plan {
            Plan::Numbers(Numeric::Unsigned) => unsigned as f64,
            Plan::Numbers(Numeric::Decimal(scale)) => signed as f64 / 10f64.powi(*scale),
            _ => signed as f64,
        };
        self.float(x);
    }

    /// A decimal stored as big-endian two's complement bytes (at most 16, checked by `plan`).
    fn decimal(&mut self, bytes: &[u8]) {
        let Plan::Numbers(Numeric::Decimal(scale)) = self.plan else {
            return;
        };
        let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
        let mut be = [if negative { 0xff } else { 0 }; 16];
        let n = bytes.len().min(16);
        be[16 - n..].copy_from_slice(&bytes[bytes.len() - n..]);
        self.float(i128::from_be_bytes(be) as f64 / 10f64.powi(*scale));
    }

    fn bool(&mut self, b: bool) {
        if let Cells::Text(v) = self.cells {
            v.push(Some(if b { "True" } else { "False" }.to_owned()));
        }
    }

    fn text(&mut self, bytes: &[u8]) {
        if let Cells::Text(v) = self.cells {
            match std::str::from_utf8(bytes) {
                Ok(text) => v.push(Some(text.to_owned())),
                Err(_) => {
                    // Reported by `utf8_error` once the chunk is read, with its row.
                    self.not_utf8 = self.not_utf8.or(Some(v.len()));
                    v.push(None);
                }
            }
        }
    }

    /// The chunk must hold exactly the rows its row group declares.
    fn check(&self, group_rows: usize) -> Result<(), String> {
        let got = self.len() - self.first_row;
        if got == group_rows {
            Ok(())
        } else {
            Err(format!(
                "{got} values where the row group declares {group_rows}"
            ))
        }
    }

    fn utf8_error(&self) -> Option<String> {
        self.not_utf8
            .map(|row| format!("row {}: text is not UTF-8", row + 1))
    }
}

/// Reads one column chunk into `sink`, with missing values where the definition level says so.
/// Stops with an error as soon as the chunk holds more rows than `group_rows`.
fn read_column<T: DataType>(
    mut reader: ColumnReaderImpl<T>,
    max_def: i16,
    group_rows: usize,
    sink: &mut Sink<'_>,
    push: impl Fn(&T::T, &mut Sink<'_>),
) -> Result<(), String> {
    let mut defs: Vec<i16> = Vec::new();
    let mut values: Vec<T::T> = Vec::new();
    let mut read = 0usize;
    loop {
        defs.clear();
        values.clear();
        let (records, _, levels) = reader
            .read_records(BATCH, (max_def > 0).then_some(&mut defs), None, &mut values)
            .map_err(|e| e.to_string())?;
        if records == 0 {
            return Ok(());
        }
        read += records;
        if read > group_rows {
            return Err(format!(
                "more values than the {group_rows} rows the row group declares"
            ));
        }
        if max_def == 0 {
            values.iter().for_each(|v| push(v, sink));
            continue;
        }
        let mut next = values.iter();
        for &level in &defs[..levels] {
            if level == max_def {
                let v = next.next().ok_or("fewer values than definition levels")?;
                push(v, sink);
            } else {
                sink.missing();
            }
        }
    }
}

/// Pages of one column chunk, refusing what the `parquet` crate's decoders assert on (a
/// corrupted file) instead of returning an error: a dictionary-encoded data page before any
/// dictionary page, a dictionary page holding fewer values than it declares, and data pages
/// whose definition levels reach past the page.
struct CheckedPages {
    inner: Box<dyn PageReader>,
    dictionary: bool,
    physical: Physical,
    /// Bytes per value of a fixed-length byte array.
    width: i32,
    /// The column's highest definition level (0: no nulls, no levels stored).
    max_def: i16,
}

impl CheckedPages {
    /// Bytes of definition levels at the start of a v1 page (checked by `levels_fit_v1` first).
    fn v1_levels_len(&self, buf: &[u8]) -> usize {
        if self.max_def == 0 {
            return 0;
        }
        buf.get(..4)
            .map_or(buf.len(), |b| {
                4 + u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize
            })
            .min(buf.len())
    }

    /// Whether `buf` holds `n` plain-encoded values (dictionaries are always plain).
    fn plain_fits(&self, buf: &[u8], n: usize) -> bool {
        let fixed = |w: usize| n.checked_mul(w).is_some_and(|need| need <= buf.len());
        match self.physical {
            Physical::BOOLEAN => n.div_ceil(8) <= buf.len(),
            Physical::INT32 | Physical::FLOAT => fixed(4),
            Physical::INT64 | Physical::DOUBLE => fixed(8),
            Physical::INT96 => fixed(12),
            Physical::FIXED_LEN_BYTE_ARRAY => usize::try_from(self.width).is_ok_and(fixed),
            Physical::BYTE_ARRAY => {
                let mut at = 0usize;
                for _ in 0..n {
                    let Some(len) = buf.get(at..at + 4) else {
                        return false;
                    };
                    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
                    at = match at.checked_add(4 + len) {
                        Some(next) if next <= buf.len() => next,
                        _ => return false,
                    };
                }
                true
            }
        }
    }
}

/// Whether plain-encoded text values (each a 4-byte length and its bytes) end exactly at the end
/// of `buf`: the decoder slices by those lengths without checking them.
fn strings_chain(buf: &[u8]) -> bool {
    let mut at = 0usize;
    while at < buf.len() {
        let Some(len) = buf.get(at..at + 4) else {
            return false;
        };
        let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
        at = match at.checked_add(4 + len) {
            Some(next) if next <= buf.len() => next,
            _ => return false,
        };
    }
    true
}

/// Whether a v1 data page holds the definition levels it declares (a 4-byte length and that
/// many bytes for RLE, one bit per value for the legacy bit-packed encoding with one level).
#[allow(deprecated)] // BIT_PACKED: old writers still produce it.
fn levels_fit_v1(encoding: Encoding, buf: &[u8], num_values: u32) -> bool {
    match encoding {
        Encoding::RLE => buf
            .get(..4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .is_some_and(|len| len.checked_add(4).is_some_and(|end| end <= buf.len())),
        // Bit width 1 (flat optional columns, the only ones read): a bit per value.
        Encoding::BIT_PACKED => (num_values as usize).div_ceil(8) <= buf.len(),
        _ => true,
    }
}

impl Iterator for CheckedPages {
    type Item = parquet::errors::Result<Page>;

    fn next(&mut self) -> Option<Self::Item> {
        self.get_next_page().transpose()
    }
}

impl PageReader for CheckedPages {
    fn get_next_page(&mut self) -> parquet::errors::Result<Option<Page>> {
        let page = self.inner.get_next_page()?;
        match &page {
            Some(Page::DictionaryPage {
                buf, num_values, ..
            }) => {
                if !self.plain_fits(buf, *num_values as usize) {
                    return Err(ParquetError::General(format!(
                        "a dictionary page declares {num_values} values and holds fewer"
                    )));
                }
                self.dictionary = true;
            }
            Some(Page::DataPage {
                buf,
                num_values,
                def_level_encoding,
                ..
            }) if self.max_def > 0 && !levels_fit_v1(*def_level_encoding, buf, *num_values) => {
                return Err(ParquetError::General(
                    "a data page's definition levels reach past the page".into(),
                ))
            }
            Some(Page::DataPageV2 {
                buf,
                def_levels_byte_len,
                rep_levels_byte_len,
                ..
            }) if u64::from(*def_levels_byte_len) + u64::from(*rep_levels_byte_len)
                > buf.len() as u64 =>
            {
                return Err(ParquetError::General(
                    "a data page's levels reach past the page".into(),
                ))
            }
            Some(Page::DataPage {
                buf,
                encoding: Encoding::PLAIN,
                ..
            }) if self.physical == Physical::BYTE_ARRAY
                && !strings_chain(&buf[self.v1_levels_len(buf)..]) =>
            {
                return Err(ParquetError::General(
                    "a text value's length reaches past its page".into(),
                ))
            }
            Some(Page::DataPageV2 {
                buf,
                encoding: Encoding::PLAIN,
                def_levels_byte_len,
                rep_levels_byte_len,
                ..
            }) if self.physical == Physical::BYTE_ARRAY
                && !strings_chain(
                    &buf[(*def_levels_byte_len as usize + *rep_levels_byte_len as usize)..],
                ) =>
            {
                return Err(ParquetError::General(
                    "a text value's length reaches past its page".into(),
                ))
            }
            Some(p)
                if !self.dictionary
                    && matches!(
                        p.encoding(),
                        Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY
                    ) =>
            {
                return Err(ParquetError::General(
                    "a dictionary-encoded page comes before any dictionary".into(),
                ))
            }
            _ => {}
        }
        Ok(page)
    }

    fn peek_next_page(&mut self) -> parquet::errors::Result<Option<PageMetadata>> {
        self.inner.peek_next_page()
    }

    fn skip_next_page(&mut self) -> parquet::errors::Result<()> {
        self.inner.skip_next_page()
    }
}
