//! The app commands, one file per domain. Each command converts its arguments, calls the core and
//! converts the error; nothing more.

pub mod alerts;
pub mod drift;
pub mod drill;
pub mod learn;
pub mod loop_export;
pub mod loop_view;
pub mod monitor;
pub mod promotions;
pub mod rollout;
pub mod team;
