//! A workspace directory: its policy file and its database.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use gatehouse_core::audit::{AuditDraft, AuditEvent};
use gatehouse_core::demo::{DemoAction, DemoWorkspace};
use gatehouse_core::gate::{GateOverride, LatestReadings};
use gatehouse_core::hook::NoHooks;
use gatehouse_core::layout::layout_for;
use gatehouse_core::learn::{
    complete_step, team_progress, tour_view, LearnItem, LearnProgress, MemberProgress,
    ProgressStore, StepId, Tour, TourSource, TourView, DEFAULT_TOUR, TOUR_FILE,
};
use gatehouse_core::monitor::{SampleValues, SampleWindow, Samples};
use gatehouse_core::policy::UserName;
use gatehouse_core::policy::{Policy, POLICY_FILE};
use gatehouse_core::ports::{ExecutionHold, PromotionStore, Registry, WorkspaceRead};
use gatehouse_core::promotion::{
    Approval, Decision, Desk, NewRequest, PromotionRequest, Quiet, RequestId, Transition,
};
use gatehouse_core::reading::{ModelName, Reading};
use gatehouse_core::registry::{Model, PointerName, VersionId};
use gatehouse_core::status::{live_loop_status, LoopStatus};
use gatehouse_core::time::Timestamp;
use gatehouse_core::view::{LoopUpdate, LoopView};
use gatehouse_core::Error;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use crate::sqlite;
use crate::team::TeamStore;
use crate::StoreError;

/// The database file's name inside a workspace.
pub const DATABASE_FILE: &str = "gatehouse.db";

/// The environment variable that names the default workspace directory.
pub const WORKSPACE_ENV: &str = "GATEHOUSE_WORKSPACE";

/// The workspace used when none is named: `$GATEHOUSE_WORKSPACE`, else `gatehouse/workspace` in
/// the OS data directory (`~/.local/share` on Linux), else `./gatehouse-workspace`.
pub fn default_dir() -> PathBuf {
    match std::env::var_os(WORKSPACE_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => dirs::data_dir()
            .map(|d| d.join("gatehouse").join("workspace"))
            .unwrap_or_else(|| PathBuf::from("gatehouse-workspace")),
    }
}

/// Who acts in a local workspace: the name given (`--user`, `$GATEHOUSE_USER`), else the OS
/// account. A single-user workspace trusts its OS account; the audit log records the name.
pub fn local_user(given: Option<String>) -> Result<UserName, StoreError> {
    let name = given.unwrap_or_else(whoami::username);
    let name = name.trim();
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if valid {
        Ok(UserName::from(name))
    } else {
        Err(StoreError::Identity(format!(
            "`{name}` is not a user name (letters, digits, `-`, `_`, `.`, `@`)"
        )))
    }
}

/// What has changed since a panel last looked: the database's write counter and the policy text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revision {
    /// Bumped by every write to the database, from any process.
    pub data: i64,
    /// A hash of the policy file's and the tour file's bytes.
    pub policy: u64,
}

/// An open workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    dir: PathBuf,
    pub(crate) pool: SqlitePool,
    /// The team store behind the promotion ports, when the policy names one.
    pub(crate) team: Option<TeamStore>,
}

impl Workspace {
    /// Opens the workspace in `dir`, creating or migrating its database as needed. The policy is
    /// not parsed here, so that a broken policy can still be shown and fixed.
    pub async fn open(dir: &Path) -> Result<Workspace, StoreError> {
        if !dir.join(POLICY_FILE).is_file() {
            return Err(StoreError::NotAWorkspace(dir.display().to_string()));
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(dir.join(DATABASE_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlite::MIGRATOR.run(&pool).await?;
        Ok(Workspace {
            dir: dir.to_owned(),
            pool,
            team: None,
        })
    }

    /// Creates the demo workspace in `dir`, or resets the demo that is there. Refuses to touch a
    /// directory holding any other workspace.
    pub async fn create_demo(dir: &Path, demo: &DemoWorkspace) -> Result<Workspace, StoreError> {
        let policy_path = dir.join(POLICY_FILE);
        if policy_path.exists() {
            let text = std::fs::read_to_string(&policy_path).map_err(|source| StoreError::Io {
                action: "read",
                path: policy_path.display().to_string(),
                source,
            })?;
            let is_demo = Policy::parse(&text, POLICY_FILE).is_ok_and(|p| p.demo);
            if !is_demo {
                return Err(StoreError::NotADemo(dir.display().to_string()));
            }
        }
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            action: "create",
            path: dir.display().to_string(),
            source,
        })?;
        for name in [DATABASE_FILE, "gatehouse.db-wal", "gatehouse.db-shm"] {
            let path = dir.join(name);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(StoreError::Io {
                        action: "remove",
                        path: path.display().to_string(),
                        source,
                    })
                }
            }
        }
        std::fs::write(&policy_path, &demo.policy).map_err(|source| StoreError::Io {
            action: "write",
            path: policy_path.display().to_string(),
            source,
        })?;
        write_default_tour(dir)?;
        let workspace = Workspace::open(dir).await?;
        let mut tx = workspace.pool.begin().await?;
        for model in &demo.models {
            sqlite::insert_model(&mut tx, model).await?;
        }
        for reading in &demo.readings {
            sqlite::insert_reading(&mut tx, reading).await?;
        }
        let policy = Policy::parse(&demo.policy, POLICY_FILE)?;
        for (feature, values) in &demo.reference {
            sqlite::insert_sample(&mut tx, &policy.model, feature, None, values).await?;
        }
        for window in &demo.windows {
            for (feature, values) in &window.features {
                let span = Some((window.start, window.end));
                sqlite::insert_sample(&mut tx, &policy.model, feature, span, values).await?;
            }
        }
        tx.commit().await?;
        workspace.replay(demo).await?;
        Ok(workspace)
    }

    /// Replays the demo's history through the real use-cases, each step at its own time.
    async fn replay(&self, demo: &DemoWorkspace) -> Result<(), StoreError> {
        let policy = Policy::parse(&demo.policy, POLICY_FILE)?;
        for step in &demo.history {
            let desk = Desk {
                policy: &policy,
                actor: step.actor.clone(),
                now: step.at,
                store: self,
                registry: self,
                observer: &Quiet,
                // The demo's history happened long ago: no CD system hears of it.
                hooks: &NoHooks,
            };
            let done = match &step.action {
                DemoAction::Request {
                    model,
                    version,
                    pointer,
                    reason,
                } => desk.request(model, version, pointer, reason).await,
                DemoAction::Approve { request, reason } => {
                    desk.approve(*request, reason.as_deref()).await
                }
            };
            done.map_err(|e| StoreError::Demo(e.to_string()))?;
        }
        Ok(())
    }

    /// Puts a team store behind this workspace's ports: the registry, readings, overrides,
    /// requests, approvals and the audit log are then the team's, and the revision is the team
    /// store's. Drift samples and Learn progress stay in the workspace's own file.
    pub fn with_team(mut self, team: TeamStore) -> Workspace {
        self.team = Some(team);
        self
    }

    /// The team store behind the ports, if any.
    pub fn team(&self) -> Option<&TeamStore> {
        self.team.as_ref()
    }

    /// The workspace directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The policy file's path.
    pub fn policy_path(&self) -> PathBuf {
        self.dir.join(POLICY_FILE)
    }

    /// Reads and validates the policy as it is on disk now.
    pub fn policy(&self) -> Result<Policy, StoreError> {
        let path = self.policy_path();
        let text = std::fs::read_to_string(&path).map_err(|source| StoreError::Io {
            action: "read",
            path: path.display().to_string(),
            source,
        })?;
        Ok(Policy::parse(&text, POLICY_FILE)?)
    }

    /// What has changed, cheaply: one row read and one file hashed.
    pub async fn revision(&self) -> Result<Revision, StoreError> {
        let data = match &self.team {
            Some(team) => team.revision().await?,
            None => sqlite::revision(&self.pool).await?,
        };
        // The policy and the team's tour are the workspace's editable files; a missing file
        // hashes as empty.
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for path in [self.policy_path(), self.dir.join(TOUR_FILE)] {
            std::fs::read(path).unwrap_or_default().hash(&mut h);
        }
        Ok(Revision {
            data,
            policy: h.finish(),
        })
    }

    /// The loop of the policy's model with its layout, its rollout analysed against the embedded
    /// registry from the measurements stored. The panel and `gatehouse status` add the back ends
    /// the policy names (`gatehouse_connectors::live`).
    pub async fn loop_view(&self, now: Timestamp) -> Result<LoopView, Error> {
        let policy = self.policy()?;
        let status = live_loop_status(&policy, self, self, now).await?;
        Ok(self.view_of(&policy, status))
    }

    /// `status` with the layout to draw it on.
    pub fn view_of(&self, policy: &Policy, status: LoopStatus) -> LoopView {
        LoopView {
            workspace_dir: self.dir.display().to_string(),
            status,
            layout: layout_for(policy),
        }
    }

    /// The loop as an update for a live panel: the view, or the error that keeps it from being
    /// computed.
    pub async fn loop_update(&self, now: Timestamp) -> LoopUpdate {
        match self.loop_view(now).await {
            Ok(view) => LoopUpdate::Ready {
                view: Box::new(view),
            },
            Err(e) => LoopUpdate::Failed { error: e.report() },
        }
    }

    /// Moves a demo workspace's serving stream on by one window ending `now`, dropping the oldest
    /// so 24 remain, and records what the drift engine finds in it — as a live monitor would.
    /// Does nothing (returns false) on a workspace that is not a demo or has no stream.
    pub async fn advance_demo_stream(&self, seed: u64, now: Timestamp) -> Result<bool, Error> {
        let policy = self.policy()?;
        if !policy.demo {
            return Ok(false);
        }
        let model = policy.model.clone();
        let windows = sqlite::windows(&self.pool, &model).await?;
        let Some(last) = windows.last() else {
            return Ok(false);
        };
        let n = sqlite::count_readings(&self.pool, &model, "monitor.share_drifted").await?;
        let end = Timestamp(now.0.max(last.end.0 + 1));
        let window = gatehouse_core::demo::live_window(seed, n.max(0) as u64, last.end, end);
        let mut tx = sqlite::write_tx(&self.pool).await?;
        for (feature, values) in &window.features {
            sqlite::insert_sample(
                &mut tx,
                &model,
                feature,
                Some((window.start, window.end)),
                values,
            )
            .await?;
        }
        if let Some(oldest) = windows.first().filter(|_| windows.len() >= 24) {
            sqlite::delete_window(&mut tx, &model, oldest.start).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        let board = gatehouse_core::monitor::board(&policy, self).await?;
        if let Some(latest) = board.windows.last() {
            let drifting: Vec<&str> = board
                .features
                .iter()
                .filter(|f| f.points.last().is_some_and(|p| p.drifted))
                .map(|f| f.name.as_str())
                .collect();
            self.record_reading(&Reading {
                model,
                signal: gatehouse_core::reading::SignalName::from("monitor.share_drifted"),
                value: latest.share_drifted,
                read_at: latest.end,
                source: "drift:churn-serving".into(),
                note: Some(format!(
                    "{} of {} features drifting{}{}",
                    drifting.len(),
                    board.features.len(),
                    if drifting.is_empty() { "" } else { ": " },
                    drifting.join(", ")
                )),
            })
            .await?;
        }
        Ok(true)
    }

    /// Takes the next live measurement of a demo workspace's canary at `now`: the version the
    /// rollout's pointer holds, measured as [`gatehouse_core::demo::canary_measurement`] says (the
    /// demo's canary degrades; the stable version does not). Does nothing (returns false) on a
    /// workspace that is not a demo or analyses no rollout.
    pub async fn measure_demo_canary(&self, seed: u64, now: Timestamp) -> Result<bool, Error> {
        let policy = self.policy()?;
        let (true, Some(rules)) = (policy.demo, &policy.rollout) else {
            return Ok(false);
        };
        let model = &policy.model;
        let Some(version) = Registry::pointer(self, model, &rules.pointer).await? else {
            return Ok(false);
        };
        let taken = sqlite::count_readings(&self.pool, model, "rollout.error_rate_ratio").await?;
        let k = u64::try_from(taken)
            .unwrap_or(0)
            .saturating_sub(gatehouse_core::demo::CANARY_HISTORY);
        for reading in gatehouse_core::demo::canary_measurement(seed, k, model, &version, now) {
            self.record_reading(&reading).await?;
        }
        Ok(true)
    }

    /// Records a measured value.
    pub async fn record_reading(&self, reading: &Reading) -> Result<(), StoreError> {
        if let Some(team) = &self.team {
            return team.record(reading).await;
        }
        let mut conn = self.pool.acquire().await?;
        sqlite::insert_reading(&mut conn, reading).await
    }

    /// Closes the database cleanly (checkpointing the write-ahead log).
    pub async fn close(self) {
        self.pool.close().await;
    }
}

impl WorkspaceRead for Workspace {
    async fn latest_readings(&self, model: &ModelName) -> Result<LatestReadings, Error> {
        if let Some(team) = &self.team {
            return WorkspaceRead::latest_readings(team, model).await;
        }
        Ok(sqlite::latest_readings(&self.pool, model).await?)
    }

    async fn overrides(&self) -> Result<Vec<GateOverride>, Error> {
        if let Some(team) = &self.team {
            return WorkspaceRead::overrides(team).await;
        }
        Ok(sqlite::overrides(&self.pool).await?)
    }

    async fn models(&self) -> Result<Vec<Model>, Error> {
        if let Some(team) = &self.team {
            return WorkspaceRead::models(team).await;
        }
        Ok(sqlite::models(&self.pool).await?)
    }
}

impl Samples for Workspace {
    async fn reference(&self, model: &ModelName) -> Result<BTreeMap<String, SampleValues>, Error> {
        Ok(sqlite::reference(&self.pool, model).await?)
    }

    async fn windows(&self, model: &ModelName) -> Result<Vec<SampleWindow>, Error> {
        Ok(sqlite::windows(&self.pool, model).await?)
    }
}

impl Registry for Workspace {
    async fn pointer(
        &self,
        model: &ModelName,
        pointer: &PointerName,
    ) -> Result<Option<VersionId>, Error> {
        if let Some(team) = &self.team {
            return Registry::pointer(team, model, pointer).await;
        }
        Ok(sqlite::pointer(&self.pool, model, pointer).await?)
    }

    async fn version_exists(&self, model: &ModelName, version: &VersionId) -> Result<bool, Error> {
        if let Some(team) = &self.team {
            return Registry::version_exists(team, model, version).await;
        }
        Ok(sqlite::version_exists(&self.pool, model, version).await?)
    }

    async fn move_pointer(
        &self,
        model: &ModelName,
        pointer: &PointerName,
        version: &VersionId,
        actor: &UserName,
        request: RequestId,
    ) -> Result<String, Error> {
        if let Some(team) = &self.team {
            return Registry::move_pointer(team, model, pointer, version, actor, request).await;
        }
        let mut tx = sqlite::write_tx(&self.pool).await?;
        let before = sqlite::pointer_in(&mut tx, model, pointer).await?;
        sqlite::set_pointer(&mut tx, model, pointer, version).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(format!(
            "embedded registry: {model}@{pointer} {} → {version} for {actor}, request {request}",
            before.map(|v| v.0).unwrap_or_else(|| "unset".into())
        ))
    }
}

impl PromotionStore for Workspace {
    async fn create_request(
        &self,
        new: &NewRequest,
        mut audit: AuditDraft,
    ) -> Result<PromotionRequest, Error> {
        if let Some(team) = &self.team {
            return PromotionStore::create_request(team, new, audit).await;
        }
        let mut tx = sqlite::write_tx(&self.pool).await?;
        let id = sqlite::insert_request(&mut tx, new).await?;
        audit.request = Some(id);
        sqlite::append_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(StoreError::from)?;
        sqlite::request(&self.pool, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no request {id}")))
    }

    async fn request(&self, id: RequestId) -> Result<Option<PromotionRequest>, Error> {
        if let Some(team) = &self.team {
            return PromotionStore::request(team, id).await;
        }
        Ok(sqlite::request(&self.pool, id).await?)
    }

    async fn requests(&self) -> Result<Vec<PromotionRequest>, Error> {
        if let Some(team) = &self.team {
            return PromotionStore::requests(team).await;
        }
        Ok(sqlite::requests(&self.pool).await?)
    }

    async fn add_approval(
        &self,
        id: RequestId,
        approval: &Approval,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        if let Some(team) = &self.team {
            return PromotionStore::add_approval(team, id, approval, audit).await;
        }
        let mut tx = sqlite::write_tx(&self.pool).await?;
        sqlite::insert_approval(&mut tx, id, approval).await?;
        sqlite::append_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    async fn set_override(
        &self,
        id: RequestId,
        decision: &Decision,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        if let Some(team) = &self.team {
            return PromotionStore::set_override(team, id, decision, audit).await;
        }
        let mut tx = sqlite::write_tx(&self.pool).await?;
        sqlite::set_override(&mut tx, id, decision).await?;
        sqlite::append_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    async fn transition(
        &self,
        id: RequestId,
        change: &Transition,
        audit: Option<AuditDraft>,
    ) -> Result<bool, Error> {
        if let Some(team) = &self.team {
            return PromotionStore::transition(team, id, change, audit).await;
        }
        let mut tx = sqlite::write_tx(&self.pool).await?;
        if !sqlite::transition(&mut tx, id, change).await? {
            return Ok(false);
        }
        if let Some(audit) = audit {
            sqlite::append_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(true)
    }

    async fn append_audit(&self, draft: AuditDraft) -> Result<AuditEvent, Error> {
        if let Some(team) = &self.team {
            return PromotionStore::append_audit(team, draft).await;
        }
        let mut tx = sqlite::write_tx(&self.pool).await?;
        let event = sqlite::append_audit(&mut tx, draft).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(event)
    }

    async fn audit_log(&self) -> Result<Vec<AuditEvent>, Error> {
        if let Some(team) = &self.team {
            return PromotionStore::audit_log(team).await;
        }
        Ok(sqlite::audit_log(&self.pool).await?)
    }

    async fn record_reading(&self, reading: &Reading) -> Result<(), Error> {
        Ok(Workspace::record_reading(self, reading).await?)
    }

    async fn hold_execution(&self, id: RequestId) -> Result<ExecutionHold, Error> {
        if let Some(team) = &self.team {
            return PromotionStore::hold_execution(team, id).await;
        }
        Ok(ExecutionHold::new(crate::execution::hold(&self.dir)?))
    }

    async fn execution_held(&self, id: RequestId) -> Result<bool, Error> {
        if let Some(team) = &self.team {
            return PromotionStore::execution_held(team, id).await;
        }
        Ok(crate::execution::held(&self.dir)?)
    }
}

/// Writes the default Learn tour into the workspace, where the team can edit and version it.
fn write_default_tour(dir: &Path) -> Result<(), StoreError> {
    let path = dir.join(TOUR_FILE);
    let io = |action: &'static str| {
        let path = path.display().to_string();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io("create"))?;
    }
    std::fs::write(&path, DEFAULT_TOUR).map_err(io("write"))
}

/// Learn mode: the tour as the workspace defines it, and the progress of its users.
impl Workspace {
    /// The tour as it is on disk now (`learn/tour.toml`), or the default when the workspace has
    /// none. A broken file is an error naming its line, never a silent fallback.
    pub fn tour(&self) -> Result<(Tour, TourSource), StoreError> {
        let path = self.dir.join(TOUR_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok((Tour::parse(&text, TOUR_FILE)?, TourSource::Workspace)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok((Tour::parse(DEFAULT_TOUR, TOUR_FILE)?, TourSource::Default))
            }
            Err(source) => Err(StoreError::Io {
                action: "read",
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// The tour for `user`, with the team's owners, the loop's states at `now` and their progress.
    pub async fn tour_view(&self, user: &UserName, now: Timestamp) -> Result<TourView, Error> {
        let policy = self.policy()?;
        let (tour, source) = self.tour()?;
        let status = live_loop_status(&policy, self, self, now).await?;
        let progress = self.progress(user).await?;
        Ok(tour_view(&tour, source, &policy, &status, &progress))
    }

    /// Marks a step of the current tour done for `user`.
    pub async fn complete_step(
        &self,
        user: &UserName,
        step: &StepId,
        now: Timestamp,
    ) -> Result<LearnProgress, Error> {
        let (tour, _) = self.tour()?;
        complete_step(&tour, self, user, step, now).await
    }

    /// Every user's progress through the current tour.
    pub async fn team_progress(&self) -> Result<Vec<MemberProgress>, Error> {
        let policy = self.policy()?;
        let (tour, _) = self.tour()?;
        Ok(team_progress(&tour, &policy, &self.all_progress().await?))
    }
}

impl ProgressStore for Workspace {
    async fn record_completion(
        &self,
        user: &UserName,
        item: &LearnItem,
        at: Timestamp,
    ) -> Result<(), Error> {
        Ok(sqlite::insert_learn_completion(&self.pool, user, &item.key(), at).await?)
    }

    async fn progress(&self, user: &UserName) -> Result<LearnProgress, Error> {
        let rows = sqlite::learn_completions(&self.pool, Some(user)).await?;
        Ok(LearnProgress::from_items(
            user.clone(),
            rows.into_iter().map(|(_, item, at)| (item, at)),
        ))
    }

    async fn all_progress(&self) -> Result<Vec<LearnProgress>, Error> {
        let mut by_user: BTreeMap<UserName, Vec<(String, Timestamp)>> = BTreeMap::new();
        for (user, item, at) in sqlite::learn_completions(&self.pool, None).await? {
            by_user.entry(user).or_default().push((item, at));
        }
        Ok(by_user
            .into_iter()
            .map(|(user, items)| LearnProgress::from_items(user, items))
            .collect())
    }
}

#[cfg(test)]
mod learn_tests {
    use super::*;
    use gatehouse_core::demo;
    use gatehouse_core::gate::GateState;
    use gatehouse_core::learn::StepLive;

    const NOW: Timestamp = Timestamp(1_795_000_000_000);

    #[tokio::test]
    async fn the_demo_brings_its_tour_and_progress_is_kept_per_user() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::create_demo(dir.path(), &demo::generate(1, NOW))
            .await
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(TOUR_FILE)).unwrap(),
            DEFAULT_TOUR
        );
        let sam = UserName::from("sam");
        let view = ws.tour_view(&sam, NOW).await.unwrap();
        assert_eq!(view.source, TourSource::Workspace);
        assert_eq!((view.completed, view.steps.len()), (0, 14));
        let dq = view
            .steps
            .iter()
            .find(|s| s.id.as_str() == "data-quality")
            .unwrap();
        assert!(matches!(
            dq.live,
            StepLive::Gate {
                state: GateState::Blocked,
                ..
            }
        ));

        let before = ws.revision().await.unwrap();
        ws.complete_step(&sam, &StepId::from("intro"), NOW)
            .await
            .unwrap();
        let again = ws
            .complete_step(&sam, &StepId::from("intro"), Timestamp(NOW.0 + 1))
            .await
            .unwrap();
        assert_eq!(again.steps.len(), 1);
        assert_eq!(
            again.steps[0].at, NOW,
            "the first completion's time is kept"
        );
        assert_ne!(before.data, ws.revision().await.unwrap().data);
        let err = ws
            .complete_step(&sam, &StepId::from("nope"), NOW)
            .await
            .unwrap_err();
        assert_eq!(err.code(), gatehouse_core::ErrorCode::NotFound);

        let team = ws.team_progress().await.unwrap();
        let sam_row = team.iter().find(|m| m.user == sam).unwrap();
        assert_eq!((sam_row.completed, sam_row.total), (1, 14));
        assert!(team
            .iter()
            .filter(|m| m.user != sam)
            .all(|m| m.completed == 0));
        assert_eq!(ws.tour_view(&sam, NOW).await.unwrap().completed, 1);
    }

    #[tokio::test]
    async fn the_tour_file_is_read_live_and_a_broken_one_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::create_demo(dir.path(), &demo::generate(1, NOW))
            .await
            .unwrap();
        let path = dir.path().join(TOUR_FILE);
        let edited = DEFAULT_TOUR.replacen(
            "title = \"How a model gets to production here\"",
            "title = \"Welcome to the churn team\"",
            1,
        );
        std::fs::write(&path, &edited).unwrap();
        let sam = UserName::from("sam");
        let view = ws.tour_view(&sam, NOW).await.unwrap();
        assert_eq!(view.steps[0].title, "Welcome to the churn team");

        std::fs::write(&path, edited.replacen("without_it = ", "without = ", 1)).unwrap();
        let err = ws.tour_view(&sam, NOW).await.unwrap_err();
        assert_eq!(err.code(), gatehouse_core::ErrorCode::Policy);
        assert!(
            err.to_string().starts_with("learn/tour.toml line 34:"),
            "{err}"
        );
        assert!(err.to_string().contains("unknown field `without`"), "{err}");

        std::fs::remove_file(&path).unwrap();
        let view = ws.tour_view(&sam, NOW).await.unwrap();
        assert_eq!(view.source, TourSource::Default);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_core::demo;
    use gatehouse_core::gate::GateState;
    use gatehouse_core::promotion::RequestState;
    use gatehouse_core::reading::SignalName;

    const NOW: Timestamp = Timestamp(1_795_000_000_000);

    #[tokio::test]
    async fn the_demo_round_trips_through_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let generated = demo::generate(demo::DEFAULT_SEED, NOW);
        let ws = Workspace::create_demo(dir.path(), &generated)
            .await
            .unwrap();
        // The registry is stored as generated, except that the history's first promotion (2 → 3,
        // approved by two approvers) really moved production.
        let mut expected = generated.models.clone();
        let churn = expected
            .iter_mut()
            .find(|m| m.name.as_str() == "churn")
            .unwrap();
        churn
            .pointers
            .insert(PointerName::from("production"), VersionId::from("3"));
        assert_eq!(ws.models().await.unwrap(), expected);
        let requests = ws.requests().await.unwrap();
        let states: Vec<(i64, RequestState, usize)> = requests
            .iter()
            .map(|r| (r.id.0, r.state, r.approvals.len()))
            .collect();
        assert_eq!(
            states,
            [(2, RequestState::Requested, 1), (1, RequestState::Done, 2)]
        );
        assert!(gatehouse_core::audit::verify(&ws.audit_log().await.unwrap()).ok());

        // The serving stream round-trips (missing values included) and the engine finds the
        // drift the demo was generated with.
        let board = gatehouse_core::monitor::board(&ws.policy().unwrap(), &ws)
            .await
            .unwrap();
        let expected = gatehouse_core::monitor::drift_board(
            &ModelName::from("churn"),
            &Default::default(),
            &generated.reference,
            &generated.windows,
        )
        .unwrap();
        assert_eq!(format!("{board:?}"), format!("{expected:?}"));
        assert_eq!(board.windows.len(), 24);

        // The live stream moves on: still 24 windows, the newest ending now, one more reading.
        let later = Timestamp(NOW.0 + 60_000);
        assert!(ws
            .advance_demo_stream(demo::DEFAULT_SEED, later)
            .await
            .unwrap());
        let moved = gatehouse_core::monitor::board(&ws.policy().unwrap(), &ws)
            .await
            .unwrap();
        assert_eq!(moved.windows.len(), 24);
        assert_eq!(moved.windows.last().unwrap().end, later);
        assert_eq!(moved.windows[0].start, board.windows[1].start);

        let policy = ws.policy().unwrap();
        let status = live_loop_status(&policy, &ws, &ws, NOW).await.unwrap();
        let states: Vec<(&str, GateState)> = status
            .gates
            .iter()
            .map(|g| (g.id.as_str(), g.state))
            .collect();
        assert_eq!(
            states,
            [
                ("data-quality", GateState::Blocked),
                ("model-validation", GateState::Passed),
                ("promotion", GateState::Pending),
                ("rollout", GateState::Passed),
                ("retrain-trigger", GateState::Unknown),
            ]
        );
    }

    #[tokio::test]
    async fn the_demo_canary_turns_the_rollout_gate_red_and_a_rollback_ends_its_rollout() {
        use gatehouse_core::promotion::{Desk, Quiet};
        use gatehouse_core::rollout_view::rollout_view;

        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::create_demo(dir.path(), &demo::generate(demo::DEFAULT_SEED, NOW))
            .await
            .unwrap();
        let policy = ws.policy().unwrap();
        let rollout_state = |status: &gatehouse_core::status::LoopStatus| {
            status
                .gates
                .iter()
                .find(|g| g.id.as_str() == "rollout")
                .map(|g| g.state)
        };
        let mut states = Vec::new();
        for i in 1..=4 {
            let at = Timestamp(NOW.0 + 10_000 * i);
            assert!(ws
                .measure_demo_canary(demo::DEFAULT_SEED, at)
                .await
                .unwrap());
            let status = live_loop_status(&policy, &ws, &ws, at).await.unwrap();
            states.push(rollout_state(&status));
        }
        assert_eq!(
            states,
            [
                Some(GateState::Passed),
                Some(GateState::Passed),
                Some(GateState::Passed),
                Some(GateState::Blocked)
            ]
        );

        let at = Timestamp(NOW.0 + 45_000);
        let dana = UserName::from("dana");
        let view = rollout_view(
            &policy,
            &ws,
            &ws,
            gatehouse_core::rollout::NO_METRICS,
            &dana,
            at,
        )
        .await
        .unwrap();
        let plan = view
            .proposal
            .expect("a failed analysis proposes a rollback");
        assert_eq!((plan.from.as_str(), plan.to.as_str()), ("3", "2"));
        assert!(
            view.gate.summary.starts_with(
                "error rate of v3 was up to 2.7× stable: `value > 2` in 3 of 5 checks"
            ),
            "{}",
            view.gate.summary
        );
        assert_eq!(view.cannot_roll_back_because, None);
        assert!(view.cannot_override_because.is_some());

        let desk = Desk {
            policy: &policy,
            actor: dana,
            now: at,
            store: &ws,
            registry: &ws,
            observer: &Quiet,
            hooks: &NoHooks,
        };
        desk.rollback(
            &plan.model,
            Some(&plan.pointer),
            Some(&plan.to),
            "error rate doubled",
        )
        .await
        .unwrap();
        // v2's rollout starts with the move: v3's failures are not held against it.
        let after = Timestamp(NOW.0 + 50_000);
        let status = live_loop_status(&policy, &ws, &ws, after).await.unwrap();
        assert_eq!(rollout_state(&status), Some(GateState::Pending));
        for i in 1..=5 {
            ws.measure_demo_canary(demo::DEFAULT_SEED, Timestamp(after.0 + 10_000 * i))
                .await
                .unwrap();
        }
        let status = live_loop_status(&policy, &ws, &ws, Timestamp(after.0 + 60_000))
            .await
            .unwrap();
        assert_eq!(rollout_state(&status), Some(GateState::Passed));
    }

    #[tokio::test]
    async fn an_override_of_the_failed_analysis_passes_the_rollout_gate_until_the_pointer_moves() {
        use gatehouse_core::promotion::{Desk, Quiet};
        use gatehouse_core::rollout::Rollout;

        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::create_demo(dir.path(), &demo::generate(demo::DEFAULT_SEED, NOW))
            .await
            .unwrap();
        let policy = ws.policy().unwrap();
        for i in 1..=4 {
            ws.measure_demo_canary(demo::DEFAULT_SEED, Timestamp(NOW.0 + 10_000 * i))
                .await
                .unwrap();
        }
        let at = Timestamp(NOW.0 + 45_000);
        let rollout_gate = |status: gatehouse_core::status::LoopStatus| {
            status
                .gates
                .into_iter()
                .find(|g| g.id.as_str() == "rollout")
                .unwrap()
        };
        let gate = rollout_gate(live_loop_status(&policy, &ws, &ws, at).await.unwrap());
        assert_eq!(gate.state, GateState::Blocked);

        let rollout = Rollout {
            policy: &policy,
            actor: UserName::from("erin"),
            now: at,
            store: &ws,
            registry: &ws,
            observer: &Quiet,
            hooks: &NoHooks,
        };
        rollout
            .override_analysis("the errors come from a load test")
            .await
            .unwrap();
        let gate = rollout_gate(live_loop_status(&policy, &ws, &ws, at).await.unwrap());
        assert_eq!(gate.state, GateState::Overridden);
        assert_eq!(
            gate.summary,
            "erin overrode the failed analysis of v3: the errors come from a load test"
        );

        // A move ends the rollout the override was about.
        let desk = Desk {
            policy: &policy,
            actor: UserName::from("dana"),
            now: Timestamp(at.0 + 1_000),
            store: &ws,
            registry: &ws,
            observer: &Quiet,
            hooks: &NoHooks,
        };
        let churn = ModelName::from("churn");
        desk.rollback(&churn, None, None, "back to v2 anyway")
            .await
            .unwrap();
        let gate = rollout_gate(
            live_loop_status(&policy, &ws, &ws, Timestamp(at.0 + 2_000))
                .await
                .unwrap(),
        );
        assert_eq!(gate.state, GateState::Pending);
        assert_eq!(gate.active_override, None);
    }

    #[tokio::test]
    async fn a_new_reading_changes_the_revision_and_the_state() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::create_demo(dir.path(), &demo::generate(1, NOW))
            .await
            .unwrap();
        let before = ws.revision().await.unwrap();
        // A second process (here: a second open) fixes the batch.
        let other = Workspace::open(dir.path()).await.unwrap();
        other
            .record_reading(&Reading {
                model: ModelName::from("churn"),
                signal: SignalName::from("data.schema_violations"),
                value: 0.0,
                read_at: NOW,
                source: "batch:fixed".into(),
                note: None,
            })
            .await
            .unwrap();
        let after = ws.revision().await.unwrap();
        assert_ne!(before.data, after.data);
        assert_eq!(before.policy, after.policy);
        let status = live_loop_status(&ws.policy().unwrap(), &ws, &ws, NOW)
            .await
            .unwrap();
        assert_eq!(status.gates[0].state, GateState::Passed);
    }

    #[tokio::test]
    async fn a_broken_policy_becomes_a_failed_update_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::create_demo(dir.path(), &demo::generate(1, NOW))
            .await
            .unwrap();
        assert!(matches!(
            ws.loop_update(NOW).await,
            LoopUpdate::Ready { .. }
        ));
        let broken = demo::POLICY.replace("max = 0.05", "maximum = 0.05");
        std::fs::write(dir.path().join(POLICY_FILE), broken).unwrap();
        match ws.loop_update(NOW).await {
            LoopUpdate::Failed { error } => {
                assert_eq!(error.code, gatehouse_core::ErrorCode::Policy);
                assert!(
                    error
                        .message
                        .starts_with("gatehouse.toml line 96: unknown field `maximum`"),
                    "{}",
                    error.message
                );
            }
            LoopUpdate::Ready { .. } => panic!("a broken policy must not produce a view"),
        }
    }

    #[tokio::test]
    async fn demo_refuses_to_overwrite_a_real_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let real = "[workspace]\nname = \"prod\"\nmodel = \"churn\"\n";
        std::fs::write(dir.path().join(POLICY_FILE), real).unwrap();
        let err = Workspace::create_demo(dir.path(), &demo::generate(1, NOW))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotADemo(_)), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join(POLICY_FILE)).unwrap(),
            real
        );
    }

    #[tokio::test]
    async fn opening_a_directory_without_a_policy_says_how_to_make_one() {
        let dir = tempfile::tempdir().unwrap();
        let err = Workspace::open(dir.path()).await.unwrap_err();
        assert!(err.to_string().contains("run `gatehouse demo`"), "{err}");
    }
}
