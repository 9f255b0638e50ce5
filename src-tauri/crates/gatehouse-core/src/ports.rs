//! Ports: what the use-cases need from the outside world. Adapters live in `gatehouse-store`
//! (the embedded workspace database) and `gatehouse-connectors` (MLflow, Prometheus, …).

use std::future::Future;

use crate::error::Error;
use crate::gate::{GateOverride, LatestReadings};
use crate::reading::ModelName;
use crate::registry::Model;

/// Read access to a workspace's state.
pub trait WorkspaceRead {
    /// The latest reading of every signal of `model`.
    fn latest_readings(
        &self,
        model: &ModelName,
    ) -> impl Future<Output = Result<LatestReadings, Error>> + Send;

    /// Every gate override ever recorded, expired or not.
    fn overrides(&self) -> impl Future<Output = Result<Vec<GateOverride>, Error>> + Send;

    /// The registry: models with versions and pointers.
    fn models(&self) -> impl Future<Output = Result<Vec<Model>, Error>> + Send;
}
