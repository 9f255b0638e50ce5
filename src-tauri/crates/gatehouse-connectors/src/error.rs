//! The one error type of the connectors, and how it maps onto the core's [`gatehouse_core::Error`]
//! (and so onto the CLI's exit codes: 4 for permission, 5 for unreachable).

use gatehouse_core::{Error, ErrorCode};

/// What went wrong talking to a back end or the keyring. Messages are lowercase and never hold a
/// secret: response bodies are quoted only when they are short plain text or MLflow's own message.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The back end refused the credentials or the action (401 or 403).
    #[error("{backend} refused: {detail} ({status})")]
    Denied {
        /// Which back end.
        backend: &'static str,
        /// What was refused, for a person.
        detail: String,
        /// The HTTP status.
        status: u16,
    },
    /// The back end could not be reached or did not answer in time.
    #[error("{backend} is unreachable at {url}: {reason}")]
    Unreachable {
        /// Which back end.
        backend: &'static str,
        /// The base URL.
        url: String,
        /// Why (refused connection, timeout, …).
        reason: String,
    },
    /// The back end answered with a body that is not what its API documents.
    #[error("unexpected response from {backend} to {endpoint}: {detail}")]
    UnexpectedResponse {
        /// Which back end.
        backend: &'static str,
        /// The endpoint called.
        endpoint: String,
        /// What was wrong with it.
        detail: String,
    },
    /// A named thing does not exist in the back end.
    #[error("{0}")]
    NotFound(String),
    /// The back end refused a well-formed request for another reason (4xx other than auth).
    #[error("{backend} rejected {endpoint} ({status}): {message}")]
    Rejected {
        /// Which back end.
        backend: &'static str,
        /// The endpoint called.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The back end's own message.
        message: String,
    },
    /// The back end failed (5xx).
    #[error("{backend} failed on {endpoint} ({status}): {message}")]
    Server {
        /// Which back end.
        backend: &'static str,
        /// The endpoint called.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The back end's own message, if any.
        message: String,
    },
    /// The registry kept changing while it was listed, so no exact listing could be taken.
    #[error("{backend} kept changing while it was listed ({attempts} attempts); try again")]
    Unsettled {
        /// Which back end.
        backend: &'static str,
        /// How many listings were tried.
        attempts: u32,
    },
    /// The configuration is unusable (a bad URL, an empty entry name).
    #[error("{0}")]
    Invalid(String),
    /// The OS keyring failed or holds no credential under the entry.
    #[error("keyring: {0}")]
    Keyring(String),
}

impl From<ConnectorError> for Error {
    fn from(e: ConnectorError) -> Error {
        match e {
            ConnectorError::Denied { .. } => Error::Denied(e.to_string()),
            ConnectorError::NotFound(m) => Error::NotFound(m),
            ConnectorError::Invalid(m) => Error::Invalid(m),
            ConnectorError::Unreachable { .. }
            | ConnectorError::UnexpectedResponse { .. }
            | ConnectorError::Server { .. }
            | ConnectorError::Unsettled { .. } => Error::Port {
                code: ErrorCode::Unreachable,
                message: e.to_string(),
            },
            ConnectorError::Rejected { .. } | ConnectorError::Keyring(_) => Error::Port {
                code: ErrorCode::Internal,
                message: e.to_string(),
            },
        }
    }
}
