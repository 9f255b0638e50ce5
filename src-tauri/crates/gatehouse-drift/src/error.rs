//! The one error type of the drift engine: every way a comparison can be refused or be undefined.

use crate::column::Kind;
use crate::method::Method;

/// Why a drift comparison produced no result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DriftError {
    /// A table could not be read as CSV.
    #[error("{source_name}: line {line}: {message}")]
    Csv {
        /// Which input (the file name as given).
        source_name: String,
        /// The 1-based line of the problem.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read as Parquet, or its structure is inconsistent.
    #[error("{source_name}: {message}")]
    Parquet {
        /// Which input.
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// One column of an input cannot be read or compared.
    #[error("{source_name}: column `{column}`: {message}")]
    BadColumn {
        /// Which input.
        source_name: String,
        /// The column.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// An input has a header but no data rows.
    #[error("{source_name}: no data rows")]
    EmptyTable {
        /// Which input.
        source_name: String,
    },
    /// Comparing one column of two tables failed.
    #[error("column `{column}`: {error}")]
    InColumn {
        /// The column.
        column: String,
        /// Why.
        error: Box<DriftError>,
    },
    /// A named column is missing from an input.
    #[error("{source_name} has no column `{column}`")]
    MissingColumn {
        /// Which input.
        source_name: String,
        /// The column asked for.
        column: String,
    },
    /// A column declared numerical holds a value that is not a number.
    #[error("{source_name}: column `{column}`, row {row}: `{value}` is not a number")]
    NotANumber {
        /// Which input.
        source_name: String,
        /// The column.
        column: String,
        /// The 1-based data row.
        row: usize,
        /// The value found.
        value: String,
    },
    /// A column was declared both numerical and categorical.
    #[error("column `{0}` is declared both numerical and categorical")]
    ConflictingKind(String),
    /// No usable value is left in the reference sample after removing missing values and ±inf.
    #[error("reference sample is empty after removing missing values ({rows} rows, all missing)")]
    EmptyReference {
        /// Rows in the reference sample before cleaning.
        rows: usize,
    },
    /// No usable value is left in the current sample after removing missing values and ±inf.
    #[error("current sample is empty after removing missing values ({rows} rows, all missing)")]
    EmptyCurrent {
        /// Rows in the current sample before cleaning.
        rows: usize,
    },
    /// Reference and current columns are of different kinds.
    #[error("reference column is {reference}, current column is {current}")]
    KindMismatch {
        /// Kind of the reference column.
        reference: Kind,
        /// Kind of the current column.
        current: Kind,
    },
    /// The method needs ordered values and the column is categorical.
    #[error("method {method} does not apply to {kind} columns")]
    MethodNotApplicable {
        /// The requested method.
        method: Method,
        /// The column's kind.
        kind: Kind,
    },
    /// A threshold that is negative, NaN or infinite.
    #[error("threshold must be a finite number >= 0, got {0}")]
    InvalidThreshold(f64),
    /// A dataset drift share outside `[0, 1]`.
    #[error("drift share must be between 0 and 1, got {0}")]
    InvalidDriftShare(f64),
    /// A dataset-level summary of zero columns.
    #[error("no columns to summarise")]
    NoColumns,
    /// The values span too small (or too large) a range to be cut into histogram bins, the case in
    /// which numpy's `histogram_bin_edges` raises.
    #[error("cannot cut values between {min} and {max} into {bins} histogram bins")]
    DegenerateBins {
        /// Smallest value.
        min: f64,
        /// Largest value.
        max: f64,
        /// Number of bins asked for (0 when it is not a finite number).
        bins: usize,
    },
    /// A histogram that is not one: bounds not ascending, no `+Inf` bin, counts negative or not
    /// numbers, or reference and current over different bins.
    #[error("histogram: {0}")]
    BadBins(String),
    /// The method needs the raw values, which binned data no longer has.
    #[error("method {method} needs raw samples; binned data (a histogram) supports wasserstein, jensenshannon, psi, kl and hellinger")]
    NeedsRawSamples {
        /// The requested method.
        method: Method,
    },
    /// The statistic is undefined for this input (the reference tools would return NaN).
    #[error("method {method} is undefined for this input")]
    Undefined {
        /// The method that produced no number.
        method: Method,
    },
}
