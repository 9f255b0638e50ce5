//! The Loop view: the loop's status with its layout, once or live.

use std::time::Duration;

use gatehouse_connectors::live;
use gatehouse_core::policy::BackendKind;
use gatehouse_core::registry::Model;
use gatehouse_core::time::{Clock, SystemClock};
use gatehouse_core::view::{LoopUpdate, LoopView};
use gatehouse_core::{Error, ErrorReport};
use gatehouse_store::Workspace;
use tauri::ipc::Channel;
use tauri::State;

use crate::error::IpcError;
use crate::state::AppState;

/// How often the workspace is checked for changes made by other processes.
const POLL: Duration = Duration::from_millis(500);

/// The loop as it stands now.
#[tauri::command]
pub async fn loop_view(state: State<'_, AppState>) -> Result<LoopView, IpcError> {
    let ws = state.workspace()?;
    let (listed, _) = list_registry(ws).await;
    match loop_update(ws, &listed).await {
        LoopUpdate::Ready { view } => Ok(*view),
        LoopUpdate::Failed { error } => Err(error.into()),
    }
}

/// Pushes the loop on `on_update` now, whenever the workspace or its policy changes, whenever a
/// remote registry holds something else, and whenever the rollout's measurements can or cannot be
/// taken, until the webview drops the channel. Every view that follows the workspace reads again
/// on each push.
///
/// A remote registry's changes do not touch the workspace, so a task of its own lists it every
/// `refresh_secs` of the policy; the loop is described and its rollout judged from its last
/// listing. A registry that is slow to answer thus never holds back the workspace's own updates.
/// Another task takes the rollout's PromQL measurements as they fall due: each one taken is a
/// write, which the revision shows.
#[tauri::command]
pub async fn watch_loop(
    state: State<'_, AppState>,
    on_update: Channel<LoopUpdate>,
) -> Result<(), IpcError> {
    let ws = state.workspace()?.clone();
    // A team store's change notices cut the poll short.
    let mut nudges = state.nudges();
    // The first push already describes the registry the policy names, never the embedded one
    // in its place.
    let (first, every) = list_registry(&ws).await;
    let (listed, mut registry) = tokio::sync::watch::channel(first);
    let (unmeasured, mut measuring) = tokio::sync::watch::channel(None);
    tauri::async_runtime::spawn(poll_registry(ws.clone(), listed, every));
    tauri::async_runtime::spawn(poll_measurements(ws.clone(), unmeasured));
    tauri::async_runtime::spawn(async move {
        // An unreadable revision or registry counts as a state of its own, so a failure is
        // pushed once, not on every poll.
        let mut last = None;
        loop {
            let revision = ws.revision().await.map_err(|e| e.to_string());
            let models = registry.borrow_and_update().clone();
            let why = measuring.borrow_and_update().clone();
            let seen = (revision, models, why);
            if last.as_ref() != Some(&seen) {
                let update = loop_update(&ws, &seen.1).await;
                last = Some(seen);
                if on_update.send(update).is_err() {
                    break;
                }
            }
            nudges.wait(POLL).await;
        }
    });
    Ok(())
}

/// What a remote registry holds: its models, or why they could not be read.
type Listing = Option<Result<Vec<Model>, ErrorReport>>;

/// The registry the policy names, listed when it is remote (`None` for the embedded one, whose
/// changes move the workspace revision), and when to list it again. A good listing is kept in
/// the workspace as the Registry view's is, so a panel opened later while the registry is down
/// has it; a listing that fails is the loop's error, even with one kept.
async fn list_registry(ws: &Workspace) -> (Listing, Duration) {
    match ws.policy() {
        Ok(policy) if policy.backends.registry.kind == BackendKind::Mlflow => {
            let models = match live::registry_view(&policy, ws, SystemClock.now()).await {
                Ok(view) => match view.unreadable {
                    None => Ok(view.models),
                    Some(why) => Err(why),
                },
                Err(e) => Err(e.report()),
            };
            let every = u64::from(policy.backends.registry.refresh_secs);
            (Some(models), Duration::from_secs(every))
        }
        // The embedded registry, or a policy the loop reports broken: look again soon, so that
        // a policy that starts naming a remote registry is followed at once.
        Ok(_) | Err(_) => (None, POLL),
    }
}

/// Lists the registry again after each interval until nobody watches.
async fn poll_registry(
    ws: Workspace,
    listed: tokio::sync::watch::Sender<Listing>,
    mut every: Duration,
) {
    loop {
        tokio::time::sleep(every).await;
        if listed.is_closed() {
            break;
        }
        let (models, next) = list_registry(&ws).await;
        every = next;
        listed.send_if_modified(|old| {
            let changed = *old != models;
            *old = models;
            changed
        });
    }
}

/// Takes the rollout's due measurements every `refresh_secs` of the policy's metrics back end
/// until nobody watches, and tells the watcher why they could not be taken when that changes.
async fn poll_measurements(ws: Workspace, unmeasured: tokio::sync::watch::Sender<Option<String>>) {
    loop {
        let (why, every) = match ws.policy() {
            Ok(policy) => (
                live::measure_due(&policy, &ws, SystemClock.now()).await,
                Duration::from_secs(u64::from(policy.backends.metrics.refresh_secs)),
            ),
            // The loop reports a broken policy.
            Err(_) => (None, POLL),
        };
        unmeasured.send_if_modified(|old| {
            let changed = *old != why;
            *old = why;
            changed
        });
        tokio::time::sleep(every).await;
        if unmeasured.is_closed() {
            break;
        }
    }
}

/// The workspace's loop as `gatehouse status` computes it, from the remote registry's last
/// listing when there is one. A listing that failed fails the loop, which the panel then shows
/// stale.
async fn loop_update(ws: &Workspace, listed: &Listing) -> LoopUpdate {
    let policy = match ws.policy() {
        Ok(policy) => policy,
        Err(e) => return failed(e.into()),
    };
    let listing = match listed {
        None => None,
        Some(Ok(models)) => Some(models.as_slice()),
        Some(Err(error)) => {
            return LoopUpdate::Failed {
                error: error.clone(),
            }
        }
    };
    match live::loop_status(&policy, ws, listing, SystemClock.now()).await {
        Ok(status) => LoopUpdate::Ready {
            view: Box::new(ws.view_of(&policy, status)),
        },
        Err(e) => failed(e),
    }
}

fn failed(error: Error) -> LoopUpdate {
    LoopUpdate::Failed {
        error: error.report(),
    }
}
