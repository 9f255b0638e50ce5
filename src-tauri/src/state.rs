//! What the panel holds while it runs: the open workspace (or why it could not be opened), the
//! acting user and the team store's change notices; and the one place where commands get a
//! [`Desk`] to act through.

use std::path::PathBuf;

use gatehouse_connectors::hooks::Webhooks;
use gatehouse_connectors::registry::AnyRegistry;
use gatehouse_connectors::secret;
use gatehouse_core::demo;
use gatehouse_core::policy::{Policy, UserName};
use gatehouse_core::presence::Looking;
use gatehouse_core::promotion::{Desk, Quiet, RequestId};
use gatehouse_core::response::Responder;
use gatehouse_core::rollout::Rollout;
use gatehouse_core::rollout_view::{rollout_view, RolloutView};
use gatehouse_core::time::{Clock, SystemClock};
use gatehouse_core::{Error, ErrorReport};
use gatehouse_store::Workspace;

use crate::error::IpcError;
use crate::team::{self, Nudges, TeamFeed};

/// The panel's state, shared by every command.
pub struct AppState {
    /// The workspace, or the error that kept it closed (shown by the panel instead of a blank
    /// window).
    pub workspace: Result<Workspace, ErrorReport>,
    /// Who acts through this panel.
    pub user: Result<UserName, ErrorReport>,
    /// The last monitor view read: the Monitor view's charts of one refresh draw it.
    pub monitor: tokio::sync::Mutex<Option<gatehouse_core::signals::MonitorView>>,
    /// The drill copy the panel shows while a drill runs: every view then reads and acts on it
    /// instead of `workspace`, which keeps the trainee's progress. A copy lives until the panel
    /// closes (its handle is a few bytes; its database is closed when the drill ends), so views
    /// may hold it across awaits like the workspace.
    pub drill: std::sync::Mutex<Option<&'static Workspace>>,
    /// The team store's change notices, which wake the workspace's watchers at once.
    pub team: TeamFeed,
}

impl AppState {
    /// Opens the workspace in `dir` as `user`, as the CLI does (`gatehouse_store::open`): with
    /// the team store its policy names, where the acting user is the database login and a `user`
    /// naming anyone else is refused. A missing or empty directory gets the demo workspace, so
    /// that a first run shows a real loop without connecting anything. Executions a crash left
    /// unfinished are settled before anything else runs.
    pub async fn open(dir: PathBuf, user: Option<String>) -> AppState {
        let fresh = match std::fs::read_dir(&dir) {
            Ok(mut entries) => entries.next().is_none(),
            Err(e) => e.kind() == std::io::ErrorKind::NotFound,
        };
        let opened = if fresh {
            let generated = demo::generate(demo::DEFAULT_SEED, SystemClock.now());
            Workspace::create_demo(&dir, &generated)
                .await
                .map_err(Error::from)
        } else {
            gatehouse_store::open(&dir, secret::login).await
        };
        let user = gatehouse_store::actor(&dir, user, secret::login).map_err(|e| e.report());
        let workspace = match (opened, &user) {
            // On a team store a panel that cannot say who acts shows the reason, not the data.
            (Ok(ws), Err(e)) if ws.team().is_some() => {
                ws.close().await;
                Err(until_restart(e.clone()))
            }
            (opened, _) => opened.map_err(|e| until_restart(e.report())),
        };
        let state = AppState {
            team: TeamFeed::start(workspace.as_ref().ok()),
            workspace,
            user,
            monitor: tokio::sync::Mutex::new(None),
            drill: std::sync::Mutex::new(None),
        };
        // A broken policy is shown by the Loop view; reconciliation runs once it parses.
        let _ = state.act(async |desk| desk.reconcile().await).await;
        state
    }

    /// On a demo workspace, moves its serving stream on by one window every `every`, so the
    /// Drift view and the retrain trigger change while you watch, and measures its canary twice
    /// as often, so its rollout analysis fails (and a rollback is proposed) within a minute at
    /// the default pace. Stops on any other workspace.
    pub fn start_demo_stream(&self, every: std::time::Duration) {
        let Ok(ws) = self.workspace() else {
            return;
        };
        let ws = ws.clone();
        tauri::async_runtime::spawn(async move {
            for tick in 1u64.. {
                tokio::time::sleep(every / 2).await;
                let now = SystemClock.now();
                let canary = ws.measure_demo_canary(demo::DEFAULT_SEED, now).await;
                let stream = if tick % 2 == 0 {
                    ws.advance_demo_stream(demo::DEFAULT_SEED, now).await
                } else {
                    Ok(true)
                };
                // A broken policy pauses the stream (errors); it resumes once the file is fixed.
                if let (Ok(false), Ok(false)) = (canary, stream) {
                    break;
                }
            }
        });
    }

    /// Every `every`, reads the workspace's alerts and shows a desktop notification for each that
    /// starts firing and is owned by an owner the acting user belongs to. Alerts already firing
    /// when the panel opens are not news; an alert source that cannot be read is skipped until
    /// it can (the Alerts view says why).
    pub fn start_alert_watch(&self, app: tauri::AppHandle, every: std::time::Duration) {
        use tauri_plugin_notification::NotificationExt as _;
        let (Ok(ws), Ok(user)) = (self.workspace(), self.user()) else {
            return;
        };
        let (ws, user) = (ws.clone(), user.clone());
        tauri::async_runtime::spawn(async move {
            let mut seen: Option<std::collections::BTreeSet<gatehouse_core::alert::AlertId>> = None;
            loop {
                if let Ok(alerts) = current_alerts(&ws).await {
                    if let Some(seen) = &seen {
                        for alert in gatehouse_core::alert::newly_firing_for(&alerts, seen, &user) {
                            let owner = alert.owner.as_ref().map_or("", |o| o.name.as_str());
                            let body = match &alert.summary {
                                Some(summary) => format!("{summary} · {owner}"),
                                None => owner.to_owned(),
                            };
                            // No notification service (a headless session) is no reason to stop.
                            let _ = app
                                .notification()
                                .builder()
                                .title(format!("{} ({})", alert.name, alert.severity.id()))
                                .body(body)
                                .show();
                        }
                    }
                    seen = Some(
                        alerts
                            .iter()
                            .filter(|a| a.state == gatehouse_core::alert::AlertState::Firing)
                            .map(|a| a.id.clone())
                            .collect(),
                    );
                }
                tokio::time::sleep(every).await;
            }
        });
    }

    /// The open workspace.
    pub fn workspace(&self) -> Result<&Workspace, IpcError> {
        match self.drill_copy() {
            Some(copy) => Ok(copy),
            None => self.home(),
        }
    }

    /// The workspace the panel was opened on, also while a drill copy is shown.
    pub fn home(&self) -> Result<&Workspace, IpcError> {
        self.workspace
            .as_ref()
            .map_err(|e| IpcError::from(e.clone()))
    }

    /// The drill copy shown, if a drill runs.
    pub fn drill_copy(&self) -> Option<&'static Workspace> {
        *self
            .drill
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Shows `copy` in place of the workspace until [`AppState::close_drill`].
    pub fn open_drill(&self, copy: Workspace) {
        let copy: &'static Workspace = Box::leak(Box::new(copy));
        *self
            .drill
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(copy);
    }

    /// Shows the workspace again, closing the drill copy's database.
    pub async fn close_drill(&self) {
        let copy = self
            .drill
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(copy) = copy {
            copy.clone().close().await;
        }
    }

    /// The workspace's policy as it is on disk now.
    pub fn policy(&self) -> Result<Policy, IpcError> {
        Ok(self.workspace()?.policy().map_err(Error::from)?)
    }

    /// The acting user.
    pub fn user(&self) -> Result<&UserName, IpcError> {
        self.user.as_ref().map_err(|e| IpcError::from(e.clone()))
    }

    /// What a watcher of the workspace waits on between two looks: its poll, cut short by the
    /// team store's change notices.
    pub fn nudges(&self) -> Nudges {
        self.team.nudges()
    }

    /// Says that the acting user looks at `requests` now; who else looks at which of them.
    pub async fn look_at(&self, requests: &[RequestId]) -> Result<Vec<Looking>, IpcError> {
        Ok(team::look_at(self.workspace()?, requests).await?)
    }

    /// Writes an exported chart as `<workspace>/exports/<name>` and returns its path.
    pub fn write_export(&self, name: &str, bytes: &[u8]) -> Result<std::path::PathBuf, IpcError> {
        let dir = self.workspace()?.dir().join("exports");
        let path = dir.join(name);
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&path, bytes))
            .map_err(|e| Error::Port {
                code: gatehouse_core::ErrorCode::Workspace,
                message: format!("cannot write {}: {e}", path.display()),
            })?;
        Ok(path)
    }

    /// The Rollout view of the followed model as the acting user sees it now.
    pub async fn rollout_view(&self) -> Result<RolloutView, IpcError> {
        let ws = self.workspace()?;
        let policy = self.policy()?;
        let registry = AnyRegistry::for_policy(&policy, ws)?;
        let metrics = gatehouse_connectors::prometheus::LiveMetrics::for_policy(&policy);
        let (user, now) = (self.user()?, SystemClock.now());
        Ok(rollout_view(&policy, ws, &registry, metrics.backend(), user, now).await?)
    }

    /// Runs a rollout use-case (override, abort) as the acting user, now, against the workspace.
    pub async fn rollout<T>(
        &self,
        f: impl AsyncFnOnce(&Rollout<'_, Workspace, AnyRegistry<'_, Workspace>>) -> Result<T, Error>,
    ) -> Result<T, IpcError> {
        let ws = self.workspace()?;
        let policy = self.policy()?;
        let registry = AnyRegistry::for_policy(&policy, ws)?;
        let rollout = Rollout {
            policy: &policy,
            actor: self.user()?.clone(),
            now: SystemClock.now(),
            store: ws,
            registry: &registry,
            observer: &Quiet,
            hooks: &Webhooks::default(),
        };
        Ok(f(&rollout).await?)
    }

    /// Runs an incident response (quarantine, retraining request) as the acting user, now,
    /// against the workspace.
    pub async fn respond<T>(
        &self,
        f: impl AsyncFnOnce(&Responder<'_, Workspace>) -> Result<T, Error>,
    ) -> Result<T, IpcError> {
        let policy = self.policy()?;
        let responder = Responder {
            policy: &policy,
            actor: self.user()?.clone(),
            now: SystemClock.now(),
            store: self.workspace()?,
        };
        Ok(f(&responder).await?)
    }

    /// Runs a use-case as the acting user, now, against the workspace.
    pub async fn act<T>(
        &self,
        f: impl AsyncFnOnce(&Desk<'_, Workspace, AnyRegistry<'_, Workspace>>) -> Result<T, Error>,
    ) -> Result<T, IpcError> {
        let ws = self.workspace()?;
        let policy = self.policy()?;
        // Pointers move in the registry the policy names, never in another.
        let registry = AnyRegistry::for_policy(&policy, ws)?;
        let desk = Desk {
            policy: &policy,
            actor: self.user()?.clone(),
            now: SystemClock.now(),
            store: ws,
            registry: &registry,
            observer: &Quiet,
            hooks: &Webhooks::default(),
        };
        Ok(f(&desk).await?)
    }
}

/// An error that kept the workspace closed, saying what it takes: the panel opens its workspace
/// (and the team store it names) once, at start.
fn until_restart(mut report: ErrorReport) -> ErrorReport {
    report
        .message
        .push_str(" (the workspace is opened at start: restart Gatehouse once this is fixed)");
    report
}

/// The workspace's alerts as the Alerts view shows them, now.
async fn current_alerts(ws: &Workspace) -> Result<Vec<gatehouse_core::alert::Alert>, Error> {
    use gatehouse_core::alert::AlertSource as _;
    let policy = ws.policy()?;
    let now = SystemClock.now();
    let source =
        gatehouse_connectors::alerts::AlertBackend::for_workspace(&policy, ws, now).await?;
    let snapshot = source.list().await?;
    Ok(gatehouse_core::alert::resolve_alerts(
        &policy, &snapshot, now,
    ))
}
