//! Integration tests of the workspace, in one binary of modules: the architecture's invariants,
//! the generated IPC bindings, the connectors against real MLflow, Prometheus and
//! Alertmanager servers, and the team store against a real PostgreSQL.

// Test helpers fail loudly on purpose: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod architecture;
mod bindings;
mod drills;
mod mlflow;
mod monitor_decoders;
mod monitoring;
mod prometheus_drift;
mod rollout;
mod teamstore;
