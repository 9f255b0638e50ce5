//! The Loop view: the loop's status with its layout, once or live.

use std::time::Duration;

use gatehouse_connectors::registry::AnyRegistry;
use gatehouse_core::policy::BackendKind;
use gatehouse_core::registry::Model;
use gatehouse_core::time::{Clock, SystemClock};
use gatehouse_core::view::{LoopUpdate, LoopView};
use gatehouse_core::Error;
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
/// a remote registry holds something else (read every `refresh_secs` of the policy: its changes
/// do not touch the workspace), until the webview drops the channel. Every view that follows the
/// workspace reads again on each push.
#[tauri::command]
pub async fn watch_loop(
    state: State<'_, AppState>,
    on_update: Channel<LoopUpdate>,
) -> Result<(), IpcError> {
    let ws = state.workspace()?.clone();
    tauri::async_runtime::spawn(async move {
        // An unreadable revision or registry counts as a state of its own, so a failure is
        // pushed once, not on every poll.
        let mut last = None;
        let mut registry = None;
        let mut next_read = tokio::time::Instant::now();
        loop {
            let revision = ws.revision().await.map_err(|e| e.to_string());
            let changed = last.as_ref().is_none_or(|(r, _)| *r != revision);
            if changed || tokio::time::Instant::now() >= next_read {
                let (seen, every) = remote_registry(&ws).await;
                registry = seen;
                next_read = tokio::time::Instant::now() + every;
            }
            let seen = (revision, registry.clone());
            if last.as_ref() != Some(&seen) {
                last = Some(seen);
                if on_update.send(loop_update(&ws).await).is_err() {
                    break;
                }
            }
            tokio::time::sleep(POLL).await;
        }
    });
    Ok(())
}

/// The workspace's loop with its rollout analysed and its stages described from the registry the
/// policy names.
async fn loop_update(ws: &Workspace) -> LoopUpdate {
    let registry = ws
        .policy()
        .map_err(Error::from)
        .and_then(|policy| AnyRegistry::for_policy(&policy, ws));
    let update = match &registry {
        Ok(registry) => ws.loop_update_with(registry, SystemClock.now()).await,
        // The policy cannot be read or names a registry that cannot be reached: the update says
        // why.
        Err(_) => ws.loop_update(SystemClock.now()).await,
    };
    let LoopUpdate::Ready { mut view } = update else {
        return update;
    };
    let described = async {
        let policy = ws.policy().map_err(Error::from)?;
        registry?.describe(&mut view.status).await?;
        // As `gatehouse status`: an Alertmanager that is down leaves the loop as it is.
        let _ = gatehouse_connectors::alerts::AlertBackend::reflect_on(
            &policy,
            ws,
            &mut view.status,
            SystemClock.now(),
        )
        .await;
        Ok::<(), Error>(())
    };
    match described.await {
        Ok(()) => LoopUpdate::Ready { view },
        Err(e) => LoopUpdate::Failed { error: e.report() },
    }
}

/// What a remote registry holds now, and when to read it again; nothing for the embedded one,
/// whose changes move the workspace revision.
async fn remote_registry(ws: &Workspace) -> (Option<Result<Vec<Model>, String>>, Duration) {
    let Ok(policy) = ws.policy() else {
        return (None, POLL);
    };
    let backend = &policy.backends.registry;
    if backend.kind != BackendKind::Mlflow {
        return (None, Duration::from_secs(u64::from(backend.refresh_secs)));
    }
    let models = match AnyRegistry::for_policy(&policy, ws) {
        Ok(registry) => registry.models().await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    (
        Some(models),
        Duration::from_secs(u64::from(backend.refresh_secs)),
    )
}
