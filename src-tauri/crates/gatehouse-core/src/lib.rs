//! The domain of Gatehouse: the lifecycle loop, its gates, the policy that configures them, the
//! registry's read model, and the use-cases that evaluate them over ports.
//!
//! This crate performs no IO and knows no framework: storage, HTTP and the UI live in other crates
//! and reach the domain through the traits in [`ports`]. Time comes in as a [`time::Timestamp`]
//! parameter, never read inside logic.

pub mod access;
pub mod alert;
pub mod audit;
pub mod demo;
pub mod drift_source;
pub mod drill;
pub mod error;
pub mod gate;
pub mod hook;
pub mod layout;
pub mod learn;
pub mod monitor;
pub mod policy;
pub mod ports;
pub mod presence;
pub mod promotion;
pub mod reading;
pub mod registry;
pub mod response;
pub mod rollout;
pub mod rollout_view;
pub mod run_metrics;
pub mod signals;
pub mod stage;
pub mod status;
pub mod time;
pub mod view;

pub use error::{Error, ErrorCode, ErrorReport};
