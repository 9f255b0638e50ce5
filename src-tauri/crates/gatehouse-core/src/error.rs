//! The error type of the core and the report that crosses process and IPC boundaries.

use serde::{Deserialize, Serialize};

/// What went wrong, in a form callers can branch on. The CLI maps it to exit codes, the shell to
/// IPC errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The policy file is missing, malformed or inconsistent.
    Policy,
    /// The workspace does not exist or cannot be opened.
    Workspace,
    /// A named thing (model, version, gate) does not exist.
    NotFound,
    /// The request was malformed (bad argument, bad path).
    Invalid,
    /// Input data (a CSV file, a back end's answer) could not be read.
    BadInput,
    /// A gate or the policy blocks the action.
    Blocked,
    /// The acting user's role does not allow the action.
    PermissionDenied,
    /// A back end could not be reached or answered nonsense.
    Unreachable,
    /// The workspace database failed.
    Storage,
    /// Anything else: a bug.
    Internal,
}

/// An error as shown to a person or another program: a code and a lowercase message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct ErrorReport {
    /// What kind of failure this is.
    pub code: ErrorCode,
    /// What happened, for a person; never holds secrets, SQL or stack traces.
    pub message: String,
}

/// Errors of the domain.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The policy file could not be read as a valid policy.
    #[error(transparent)]
    Policy(#[from] crate::policy::PolicyError),
    /// A named thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A caller passed something malformed.
    #[error("{0}")]
    Invalid(String),
    /// Input data could not be read: a file's content, not the caller's arguments.
    #[error("{0}")]
    BadInput(String),
    /// The acting user may not do this (a missing role, or the four-eyes rule).
    #[error("{0}")]
    Denied(String),
    /// A gate or the policy blocks the action.
    #[error("{0}")]
    Blocked(String),
    /// A port (store, back end) failed.
    #[error("{message}")]
    Port {
        /// The code the port chose for its failure.
        code: ErrorCode,
        /// What happened, for a person.
        message: String,
    },
}

impl Error {
    /// The code callers branch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Policy(_) => ErrorCode::Policy,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::Invalid(_) => ErrorCode::Invalid,
            Error::BadInput(_) => ErrorCode::BadInput,
            Error::Denied(_) => ErrorCode::PermissionDenied,
            Error::Blocked(_) => ErrorCode::Blocked,
            Error::Port { code, .. } => *code,
        }
    }

    /// The error as a report for a person or another program.
    pub fn report(&self) -> ErrorReport {
        ErrorReport {
            code: self.code(),
            message: self.to_string(),
        }
    }
}

impl std::fmt::Display for ErrorReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
