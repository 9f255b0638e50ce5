//! The embedded store's mark of an execution in flight: every process executing a request holds
//! a shared lock on `gatehouse.executing` in the workspace until it is done, and a process that
//! can take the file's lock exclusively knows that none is. The operating system drops the lock
//! of a process that dies, so what a crash leaves behind is found as such.
//!
//! One file serves every request: a start while any execution is in flight leaves every
//! executing request to a later start, which costs nothing but a moment's delay.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use crate::StoreError;

/// The lock file's name inside a workspace.
pub const EXECUTING_FILE: &str = "gatehouse.executing";

fn open(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join(EXECUTING_FILE);
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| StoreError::Io {
            action: "open",
            path: path.display().to_string(),
            source,
        })
}

/// Holds the shared lock until the returned file is dropped.
pub(crate) fn hold(dir: &Path) -> Result<File, StoreError> {
    let file = open(dir)?;
    file.lock_shared().map_err(|source| StoreError::Io {
        action: "lock",
        path: dir.join(EXECUTING_FILE).display().to_string(),
        source,
    })?;
    Ok(file)
}

/// Whether some process holds the lock now.
pub(crate) fn held(dir: &Path) -> Result<bool, StoreError> {
    match open(dir)?.try_lock() {
        // Taken and, as the file drops, given back at once.
        Ok(()) => Ok(false),
        Err(TryLockError::WouldBlock) => Ok(true),
        Err(TryLockError::Error(source)) => Err(StoreError::Io {
            action: "lock",
            path: dir.join(EXECUTING_FILE).display().to_string(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_execution_is_seen_until_its_lock_drops() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!held(dir.path()).unwrap());
        let first = hold(dir.path()).unwrap();
        let second = hold(dir.path()).unwrap();
        assert!(held(dir.path()).unwrap());
        drop(first);
        assert!(
            held(dir.path()).unwrap(),
            "another execution is still in flight"
        );
        drop(second);
        assert!(!held(dir.path()).unwrap());
    }
}
