//! Clients for the real back ends behind the core's ports: MLflow (registry), Prometheus
//! (metrics), Alertmanager (alerts) and deploy webhooks. Every call has a timeout; responses are
//! validated before they become domain types.
