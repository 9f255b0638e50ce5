//! Clients for the real back ends behind the core's ports: MLflow (registry), Prometheus
//! (metrics), Alertmanager (alerts) and deploy webhooks. Every call has a timeout; responses are
//! validated before they become domain types.

pub mod alertmanager;
pub mod alerts;
pub mod error;
pub mod hooks;
mod http;
pub mod live;
pub mod mlflow;
pub mod monitor;
pub mod prometheus;
pub mod prometheus_drift;
pub mod registry;
pub mod secret;

pub use error::ConnectorError;
pub use http::ClientOptions;
