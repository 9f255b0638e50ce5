//! Workspace storage: a directory holding the policy (`gatehouse.toml`) and the embedded SQLite
//! database (`gatehouse.db`), opened through sqlx with embedded migrations; and the team store
//! ([`team`]), a shared PostgreSQL database behind the same ports. Implements the core's
//! [`gatehouse_core::ports`].

mod drill;
mod error;
mod execution;
mod listing;
pub mod opening;
mod pg;
mod rollout;
mod sqlite;
pub mod team;
mod workspace;

pub use drill::DRILLS_DIR;
pub use error::StoreError;
pub use listing::LISTING_FILE;
pub use opening::{actor, open, Keyring};
pub use workspace::{default_dir, local_user, Revision, Workspace, DATABASE_FILE, WORKSPACE_ENV};
