//! `gatehouse drift --from prometheus`: the latest window of the policy's feature histograms
//! (`[drift.prometheus]`) against their reference, read from the policy's Prometheus and
//! reported as two files are.

use std::path::Path;

use gatehouse_core::time::{Clock, SystemClock};
use gatehouse_core::Error;

/// Prints the report; `options` (a method or threshold from the command line) apply to every
/// feature, else each feature gets the policy's choice.
pub async fn from_prometheus(
    dir: &Path,
    json: bool,
    options: Option<gatehouse_drift::Options>,
) -> Result<(), Error> {
    let ws = crate::store::open(dir).await?;
    let policy = ws.policy()?;
    let prometheus = gatehouse_connectors::prometheus::for_policy(&policy)?.ok_or_else(|| {
        Error::Invalid(
            "[backends.metrics] is not a prometheus: run `gatehouse connect prometheus URL`".into(),
        )
    })?;
    let report = gatehouse_connectors::prometheus_drift::latest(
        &policy,
        &prometheus,
        SystemClock.now(),
        options,
    )
    .await?;
    crate::output::drift(json, &report)
}
