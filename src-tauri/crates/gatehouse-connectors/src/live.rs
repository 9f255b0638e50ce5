//! The loop as `gatehouse status` prints it and the panel's Loop draws it, put together from every
//! back end the policy names: the model-validation readings of the registry's runs, the rollout
//! gate judged by the live analysis on the registry's pointer (its due PromQL measurements taken
//! from Prometheus first), the Register and Deploy stages described from that registry, and the
//! model's alerts. One function for both, so the two cannot tell different stories.

use gatehouse_core::monitor::Samples;
use gatehouse_core::policy::Policy;
use gatehouse_core::ports::{PromotionStore, Registry, WorkspaceRead};
use gatehouse_core::registry::{Listed, ListingCache, Model, RegistryView};
use gatehouse_core::rollout::ReadingHistory;
use gatehouse_core::rollout_view;
use gatehouse_core::run_metrics;
use gatehouse_core::status::{measured_loop_status, with_models, LoopStatus};
use gatehouse_core::time::Timestamp;
use gatehouse_core::{Error, ErrorCode};

use crate::alerts::AlertBackend;
use crate::prometheus::LiveMetrics;
use crate::registry::{AnyRegistry, RegistryListing};

/// The loop of the policy's model at `now`. `listing` is a remote registry as a watcher last
/// listed it (with its runs' metrics): the loop is then judged and described from it without
/// asking the registry again; without it a remote registry is listed now. An Alertmanager that
/// is down leaves the loop as it is (`gatehouse alerts` says why); a registry that cannot be
/// read fails it.
pub async fn loop_status<W>(
    policy: &Policy,
    ws: &W,
    listing: Option<&[Model]>,
    now: Timestamp,
) -> Result<LoopStatus, Error>
where
    W: WorkspaceRead + PromotionStore + ReadingHistory + Registry + Samples + Sync,
{
    let registry = AnyRegistry::for_policy(policy, ws)?;
    let listed;
    let listing = match (listing, &registry) {
        (Some(models), _) => Some(models),
        // Runs are read only when the policy maps their metrics: on a registry of thousands of
        // versions they cost most of the listing.
        (None, AnyRegistry::Mlflow(client)) if policy.run_metrics.is_empty() => {
            listed = client.list().await?.models;
            Some(listed.as_slice())
        }
        (None, AnyRegistry::Mlflow(_)) => {
            listed = registry.models().await?;
            Some(listed.as_slice())
        }
        (None, AnyRegistry::Embedded(_)) => None,
    };
    let metrics = LiveMetrics::for_policy(policy);
    let mut status = match listing {
        Some(models) => {
            record_run_metrics(policy, ws, models, now).await?;
            let mut status =
                measured_loop_status(policy, ws, &Listed(models), metrics.backend(), now).await?;
            with_models(&mut status, models);
            status
        }
        None => measured_loop_status(policy, ws, &registry, metrics.backend(), now).await?,
    };
    let _ = AlertBackend::reflect_on(policy, ws, &mut status, now).await;
    Ok(status)
}

/// Takes the rollout's PromQL measurements that fell due by `now`, from the policy's Prometheus
/// and on the registry it names, as a watcher does between looks at the loop; says why they could
/// not be taken, if they could not.
pub async fn measure_due<W>(policy: &Policy, ws: &W, now: Timestamp) -> Option<String>
where
    W: WorkspaceRead + PromotionStore + ReadingHistory + Registry + Sync,
{
    let metrics = LiveMetrics::for_policy(policy);
    match AnyRegistry::for_policy(policy, ws) {
        Ok(registry) => {
            rollout_view::measure_due(policy, ws, &registry, metrics.backend(), now).await
        }
        Err(e) => Some(e.to_string()),
    }
}

/// Records what the registry's runs say of the candidate and the champion
/// (`[backends.registry.metrics]`) as readings, where it is news.
async fn record_run_metrics<W>(
    policy: &Policy,
    ws: &W,
    models: &[Model],
    now: Timestamp,
) -> Result<(), Error>
where
    W: WorkspaceRead + PromotionStore + Sync,
{
    let readings = run_metrics::readings(policy, models, now);
    if readings.is_empty() {
        return Ok(());
    }
    let latest = ws.latest_readings(&policy.model).await?;
    for reading in run_metrics::news(readings, &latest) {
        ws.record_reading(&reading).await?;
    }
    Ok(())
}

/// The registry the policy names as the Registry view shows it, with the legacy stage of each
/// version that has one. A remote registry's good listing is kept in `ws`; while it cannot be
/// read, the last one kept is shown with the reason (a refusal is not: what the server now
/// refuses is not shown from a cache). Without one kept, the error is the answer.
pub async fn registry_view<W>(
    policy: &Policy,
    ws: &W,
    now: Timestamp,
) -> Result<RegistryView, Error>
where
    W: WorkspaceRead + ListingCache + Sync,
{
    let registry = AnyRegistry::for_policy(policy, ws)?;
    let read = registry.listing().await.map(|l| view_of(l, now));
    match (&registry, read) {
        (AnyRegistry::Embedded(_), read) => read,
        (AnyRegistry::Mlflow(_), Ok(view)) => {
            // A cache that cannot be written costs the next outage its fallback, not this view.
            let _ = ws.keep(&view);
            Ok(view)
        }
        (AnyRegistry::Mlflow(_), Err(e)) if e.code() == ErrorCode::PermissionDenied => Err(e),
        (AnyRegistry::Mlflow(_), Err(e)) => match ws.last()? {
            Some(last) => Ok(RegistryView {
                unreadable: Some(e.report()),
                ..last
            }),
            None => Err(e),
        },
    }
}

fn view_of(listing: RegistryListing, now: Timestamp) -> RegistryView {
    let mut stages: std::collections::BTreeMap<_, std::collections::BTreeMap<_, _>> =
        std::collections::BTreeMap::new();
    for ((model, version), details) in listing.details {
        // MLflow reports `None` for a version in no stage.
        if let Some(stage) = details.stage.filter(|s| s != "None") {
            stages.entry(model).or_default().insert(version, stage);
        }
    }
    RegistryView {
        models: listing.models,
        stages,
        read_at: now,
        unreadable: None,
    }
}
