//! The last good listing of a remote registry, kept in the workspace directory as JSON with the
//! time it was read. A panel opened while MLflow is down shows it, marked stale, instead of only
//! an error. A file rather than a table: it is a cache of someone else's data, rewritten whole on
//! every good read, and the workspace revision does not follow it.

use gatehouse_core::registry::{ListingCache, RegistryView};
use gatehouse_core::Error;

use crate::{StoreError, Workspace};

/// The file's name inside a workspace.
pub const LISTING_FILE: &str = "registry-listing.json";

impl ListingCache for Workspace {
    fn keep(&self, view: &RegistryView) -> Result<(), Error> {
        let path = self.dir().join(LISTING_FILE);
        let partial = self.dir().join(format!("{LISTING_FILE}.partial"));
        let kept = RegistryView {
            unreadable: None,
            ..view.clone()
        };
        let bytes = serde_json::to_vec(&kept).map_err(|e| StoreError::Corrupt {
            what: "registry listing",
            detail: e.to_string(),
        })?;
        // Written aside and renamed over the old one, so a crash never leaves half a listing.
        std::fs::write(&partial, bytes)
            .and_then(|()| std::fs::rename(&partial, &path))
            .map_err(|source| StoreError::Io {
                action: "write",
                path: path.display().to_string(),
                source,
            })?;
        Ok(())
    }

    fn last(&self) -> Result<Option<RegistryView>, Error> {
        let path = self.dir().join(LISTING_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StoreError::Io {
                    action: "read",
                    path: path.display().to_string(),
                    source,
                }
                .into())
            }
        };
        let view = serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
            what: "registry listing",
            detail: format!("{}: {e}", path.display()),
        })?;
        Ok(Some(view))
    }
}
