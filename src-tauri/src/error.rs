//! The one error every command returns: a code the UI can branch on and a message for a person.

use gatehouse_core::{ErrorCode, ErrorReport};
use serde::Serialize;

/// An error as it crosses IPC: `{code, message}`; never SQL, paths of secrets or tokens.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct IpcError(ErrorReport);

impl From<gatehouse_core::Error> for IpcError {
    fn from(e: gatehouse_core::Error) -> Self {
        IpcError(e.report())
    }
}

impl From<ErrorReport> for IpcError {
    fn from(r: ErrorReport) -> Self {
        IpcError(r)
    }
}

impl From<tauri::Error> for IpcError {
    fn from(e: tauri::Error) -> Self {
        IpcError(ErrorReport {
            code: ErrorCode::Internal,
            message: e.to_string(),
        })
    }
}
