//! The Loop view: the loop's status with its layout, once or live.

use std::time::Duration;

use gatehouse_connectors::registry::AnyRegistry;
use gatehouse_core::policy::BackendKind;
use gatehouse_core::registry::Model;
use gatehouse_core::status::with_models;
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
    match loop_update(state.workspace()?).await {
        LoopUpdate::Ready { view } => Ok(*view),
        LoopUpdate::Failed { error } => Err(error.into()),
    }
}

/// Pushes the loop on `on_update` now, whenever the workspace or its policy changes, and whenever
/// a remote registry holds something else, until the webview drops the channel. Every view that
/// follows the workspace reads again on each push.
///
/// A remote registry's changes do not touch the workspace, so a task of its own lists it every
/// `refresh_secs` of the policy; the loop is described from its last listing. A registry that is
/// slow to answer thus never holds back the workspace's own updates.
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
    tauri::async_runtime::spawn(poll_registry(ws.clone(), listed, every));
    tauri::async_runtime::spawn(async move {
        // An unreadable revision or registry counts as a state of its own, so a failure is
        // pushed once, not on every poll.
        let mut last = None;
        loop {
            let revision = ws.revision().await.map_err(|e| e.to_string());
            let models = registry.borrow_and_update().clone();
            let seen = (revision, models);
            if last.as_ref() != Some(&seen) {
                let update = described(ws.loop_update(SystemClock.now()).await, &seen.1);
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
type Listed = Option<Result<Vec<Model>, ErrorReport>>;

/// The registry the policy names, listed when it is remote (`None` for the embedded one, whose
/// changes move the workspace revision), and when to list it again.
async fn list_registry(ws: &Workspace) -> (Listed, Duration) {
    match ws.policy() {
        Ok(policy) if policy.backends.registry.kind == BackendKind::Mlflow => {
            let models = match AnyRegistry::for_policy(&policy, ws) {
                Ok(registry) => registry.models().await,
                Err(e) => Err(e),
            };
            let every = u64::from(policy.backends.registry.refresh_secs);
            (
                Some(models.map_err(|e| e.report())),
                Duration::from_secs(every),
            )
        }
        // The embedded registry, or a policy the loop reports broken: look again soon, so that
        // a policy that starts naming a remote registry is followed at once.
        Ok(_) | Err(_) => (None, POLL),
    }
}

/// Lists the registry again after each interval until nobody watches.
async fn poll_registry(
    ws: Workspace,
    listed: tokio::sync::watch::Sender<Listed>,
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

/// The workspace's loop with its stages described from a remote registry's last listing; a
/// listing that failed fails the loop, which the panel then shows stale.
fn described(update: LoopUpdate, listed: &Listed) -> LoopUpdate {
    match (update, listed) {
        (LoopUpdate::Ready { mut view }, Some(Ok(models))) => {
            with_models(&mut view.status, models);
            LoopUpdate::Ready { view }
        }
        (LoopUpdate::Ready { .. }, Some(Err(error))) => LoopUpdate::Failed {
            error: error.clone(),
        },
        (update, _) => update,
    }
}

/// The workspace's loop with its stages described from the registry the policy names.
async fn loop_update(ws: &Workspace) -> LoopUpdate {
    let update = ws.loop_update(SystemClock.now()).await;
    let LoopUpdate::Ready { mut view } = update else {
        return update;
    };
    let described = async {
        let policy = ws.policy().map_err(Error::from)?;
        AnyRegistry::for_policy(&policy, ws)?
            .describe(&mut view.status)
            .await
    };
    match described.await {
        Ok(()) => LoopUpdate::Ready { view },
        Err(e) => LoopUpdate::Failed { error: e.report() },
    }
}
