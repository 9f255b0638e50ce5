//! Helpers the test targets share: real back-end servers started on loopback (`servers` for
//! Prometheus and Alertmanager, `mlflow_server` for MLflow, `postgres` for the team store).

// Test helpers fail loudly on purpose: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod mlflow_server;
pub mod postgres;
pub mod servers;
