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
    /// The team store's server does not answer.
    #[error("{0}")]
    Unreachable(String),
    /// The team store's schema is missing, older or newer than this build expects.
    #[error("{0}")]
    Schema(String),
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
            StoreError::Database(e) => database_code(e),
            StoreError::Migrate(_) | StoreError::Schema(_) | StoreError::Corrupt { .. } => {
                ErrorCode::Storage
            }
            StoreError::Unreachable(_) => ErrorCode::Unreachable,
            StoreError::Demo(_) => ErrorCode::Internal,
            StoreError::Identity(_) => ErrorCode::Invalid,
        };
        match e {
            StoreError::Policy(p) => Error::Policy(p),
            // A refusal by the database is shown as the database words it, without the prefix.
            StoreError::Database(sqlx::Error::Database(db)) if code != ErrorCode::Storage => {
                Error::Port {
                    code,
                    message: db.message().to_owned(),
                }
            }
            other => Error::Port {
                code,
                message: other.to_string(),
            },
        }
    }
}

/// What a database failure means for the caller. The team store refuses forbidden actions with
/// `insufficient_privilege` (42501) and stale pointer moves with its own `GH001`; a login the
/// server does not accept (28P01, 28000) is a refusal too; a broken connection is unreachable.
fn database_code(e: &sqlx::Error) -> ErrorCode {
    match e {
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("42501" | "28P01" | "28000") => ErrorCode::PermissionDenied,
            Some("GH001") => ErrorCode::Blocked,
            Some("23505") => ErrorCode::Invalid,
            _ => ErrorCode::Storage,
        },
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
            ErrorCode::Unreachable
        }
        _ => ErrorCode::Storage,
    }
}
