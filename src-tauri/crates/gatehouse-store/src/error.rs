//! The errors of the store.

use gatehouse_core::{Error, ErrorCode};

/// What can go wrong when opening or using a workspace.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory holds no workspace.
    #[error("no workspace at {0}: run `gatehouse demo` to create one")]
    NotAWorkspace(String),
    /// A workspace that is not a demo would be overwritten by `demo`.
    #[error("refusing to reset {0}: it holds a workspace that is not a demo")]
    NotADemo(String),
    /// Reading or writing a file failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The policy file is invalid.
    #[error(transparent)]
    Policy(#[from] gatehouse_core::policy::PolicyError),
    /// The database failed.
    #[error("workspace database: {0}")]
    Database(#[from] sqlx::Error),
    /// The database schema could not be brought up to date.
    #[error("workspace database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The acting user cannot be named.
    #[error("{0}")]
    Identity(String),
    /// The demo's history could not be replayed (a bug in the demo data).
    #[error("cannot create the demo workspace: {0}")]
    Demo(String),
    /// A stored value could not be read back.
    #[error("workspace database holds an unreadable {what}: {detail}")]
    Corrupt {
        /// Which value.
        what: &'static str,
        /// Why it could not be read.
        detail: String,
    },
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        let code = match &e {
            StoreError::NotAWorkspace(_) | StoreError::NotADemo(_) | StoreError::Io { .. } => {
                ErrorCode::Workspace
            }
            StoreError::Policy(_) => ErrorCode::Policy,
            StoreError::Database(_) | StoreError::Migrate(_) | StoreError::Corrupt { .. } => {
                ErrorCode::Storage
            }
            StoreError::Demo(_) => ErrorCode::Internal,
            StoreError::Identity(_) => ErrorCode::Invalid,
        };
        match e {
            StoreError::Policy(p) => Error::Policy(p),
            other => Error::Port {
                code,
                message: other.to_string(),
            },
        }
    }
}
