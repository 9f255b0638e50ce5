//! Workspace storage: a directory holding the policy (`gatehouse.toml`) and the embedded SQLite
//! database (`gatehouse.db`), opened through sqlx with embedded migrations. Implements the core's
//! [`gatehouse_core::ports::WorkspaceRead`] port.

mod error;
mod rollout;
mod sqlite;
mod workspace;

pub use error::StoreError;
pub use workspace::{default_dir, local_user, Revision, Workspace, DATABASE_FILE, WORKSPACE_ENV};
