//! Learn drills on workspaces: the drill copy Gatehouse creates from the demo and marks in its own
//! database, its script applied through the ports the demo uses, hints and the finish recorded in
//! its audit log, and each result kept in the workspace the drill was started from.

use std::path::{Path, PathBuf};

use gatehouse_core::audit::{AuditAction, AuditDraft};
use gatehouse_core::demo;
use gatehouse_core::drill::{
    debrief, drill_cards, drill_status, due_events, ensure_safe, next_hint, policy_for_trainee,
    with_drills, Change, Debrief, Drill, DrillCard, DrillId, DrillOutcome, DrillResult, DrillRun,
    DrillSet, DrillSource, DrillStatus, DEFAULT_DRILLS, DRILLS_FILE,
};
use gatehouse_core::hook::NoHooks;
use gatehouse_core::learn::MemberProgress;
use gatehouse_core::policy::UserName;
use gatehouse_core::ports::{PromotionStore, Registry};
use gatehouse_core::promotion::{Desk, Quiet};
use gatehouse_core::reading::ModelName;
use gatehouse_core::registry::VersionId;
use gatehouse_core::time::Timestamp;
use gatehouse_core::Error;
use sqlx::Row;

use crate::workspace::Workspace;
use crate::StoreError;

/// The folder of a workspace that holds the drill copies started from it.
pub const DRILLS_DIR: &str = "drills";

impl Workspace {
    /// The drills file as it is on disk now (`learn/drills.toml`), or the default when the
    /// workspace has none; a broken file is an error naming its line.
    pub fn drills_text(&self) -> Result<(String, DrillSource), StoreError> {
        let path = self.dir().join(DRILLS_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok((text, DrillSource::Workspace)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok((DEFAULT_DRILLS.to_owned(), DrillSource::Default))
            }
            Err(source) => Err(StoreError::Io {
                action: "read",
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// The drills, parsed.
    pub fn drills(&self) -> Result<(DrillSet, DrillSource), StoreError> {
        let (text, source) = self.drills_text()?;
        Ok((DrillSet::parse(&text, DRILLS_FILE)?, source))
    }

    /// The drills with `user`'s best result of each.
    pub async fn drill_cards(&self, user: &UserName) -> Result<Vec<DrillCard>, Error> {
        let (set, _) = self.drills()?;
        Ok(drill_cards(&set, user, &self.drill_results().await?))
    }

    /// Every finished drill kept in this workspace, oldest first.
    pub async fn drill_results(&self) -> Result<Vec<DrillResult>, StoreError> {
        let rows = sqlx::query(
            "SELECT user, drill, finished_at, seconds, score, hints, outcome FROM drill_results
             ORDER BY finished_at, user, drill",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let outcome: String = row.try_get("outcome")?;
                Ok(DrillResult {
                    user: UserName(row.try_get("user")?),
                    drill: DrillId(row.try_get("drill")?),
                    finished_at: Timestamp(row.try_get("finished_at")?),
                    seconds: row.try_get("seconds")?,
                    score: u32::try_from(row.try_get::<i64, _>("score")?).unwrap_or(0),
                    hints: u32::try_from(row.try_get::<i64, _>("hints")?).unwrap_or(0),
                    outcome: DrillOutcome::from_id(&outcome).ok_or_else(|| {
                        StoreError::Corrupt {
                            what: "drill outcome",
                            detail: outcome.clone(),
                        }
                    })?,
                })
            })
            .collect()
    }

    /// The team's progress through the tour, with the drills each member passed.
    pub async fn team_progress_with_drills(&self) -> Result<Vec<MemberProgress>, Error> {
        let mut members = self.team_progress().await?;
        let (set, _) = self.drills()?;
        with_drills(&mut members, &set, &self.drill_results().await?);
        Ok(members)
    }

    /// The drill this workspace is a copy for; none for any workspace Gatehouse did not create
    /// as a drill copy, whatever its policy says.
    pub async fn drill_run(&self) -> Result<Option<DrillRun>, StoreError> {
        let row = sqlx::query(
            "SELECT drill, trainee, origin, started_at, applied FROM drill_run WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(DrillRun {
                drill: DrillId(row.try_get("drill")?),
                trainee: UserName(row.try_get("trainee")?),
                origin: row.try_get("origin")?,
                started_at: Timestamp(row.try_get("started_at")?),
                applied: u32::try_from(row.try_get::<i64, _>("applied")?).unwrap_or(0),
            })
        })
        .transpose()
    }

    /// The run and the drill of this drill copy; an error on any other workspace.
    async fn running(&self) -> Result<(DrillRun, Drill), Error> {
        let Some(run) = self.drill_run().await? else {
            return Err(Error::Invalid(format!(
                "{} is not a drill copy: drills run only on the copies Gatehouse creates for them",
                self.dir().display()
            )));
        };
        let definition: String =
            sqlx::query_scalar("SELECT definition FROM drill_run WHERE id = 1")
                .fetch_one(&self.pool)
                .await
                .map_err(StoreError::from)?;
        let set = DrillSet::parse(&definition, DRILLS_FILE)?;
        let drill = set.drill(&run.drill)?.clone();
        Ok((run, drill))
    }

    /// Starts drill `id` for `trainee` at `now`: refuses on a workspace whose policy connects an
    /// external back end, creates a fresh copy of the demo workspace under
    /// `<workspace>/drills/<id>-<ms>/` with the trainee holding the drill's roles, marks it in its
    /// database, records the start in its audit log, applies the script's first changes, and
    /// returns it. This workspace is not changed.
    pub async fn start_drill(
        &self,
        id: &DrillId,
        trainee: &UserName,
        now: Timestamp,
    ) -> Result<Workspace, Error> {
        let policy = self.policy()?;
        if self.drill_run().await?.is_some() {
            return Err(Error::Invalid(
                "this workspace is a drill copy: finish or give up its drill, then start another from the workspace you came from".into(),
            ));
        }
        ensure_safe(&policy, false)?;
        let (text, _) = self.drills_text()?;
        let set = DrillSet::parse(&text, DRILLS_FILE)?;
        let drill = set.drill(id)?;
        let dir = self.dir().join(DRILLS_DIR).join(format!("{id}-{}", now.0));
        if dir.exists() {
            return Err(Error::Invalid(format!(
                "{} already exists: start the drill again in a moment",
                dir.display()
            )));
        }
        let mut generated = demo::generate(demo::DEFAULT_SEED, now);
        generated.policy = policy_for_trainee(&generated.policy, trainee, &drill.roles)?;
        let copy = Workspace::create_demo(&dir, &generated).await?;
        sqlx::query(
            "INSERT INTO drill_run (id, drill, trainee, origin, started_at, definition)
             VALUES (1, ?1, ?2, ?3, ?4, ?5)",
        )
        .bind(id.as_str())
        .bind(trainee.as_str())
        .bind(absolute(self.dir()).display().to_string())
        .bind(now.0)
        .bind(&text)
        .execute(&copy.pool)
        .await
        .map_err(StoreError::from)?;
        copy.append_audit(AuditDraft {
            at: now,
            actor: trainee.clone(),
            action: AuditAction::DrillStarted,
            target: id.target(),
            before: None,
            after: Some(dir.display().to_string()),
            reason: None,
            response: None,
            request: None,
        })
        .await?;
        copy.advance_drill(now).await?;
        Ok(copy)
    }

    /// Applies the script events of this drill copy that fell due by `now`, each stamped with
    /// the instant it was due, and returns how many it applied. Refuses on a workspace that is
    /// not a drill copy, and on a copy whose policy was changed to connect a back end.
    pub async fn advance_drill(&self, now: Timestamp) -> Result<u32, Error> {
        let (run, drill) = self.running().await?;
        let policy = self.policy()?;
        ensure_safe(&policy, true)?;
        if self.drill_finished(&run, &drill).await? {
            return Ok(0);
        }
        let due: Vec<_> = due_events(&drill, &run, now).collect();
        let mut applied = 0;
        for (i, event) in &due {
            // Each event is claimed before it is applied, so that two callers at once (a panel's
            // polls, a CLI) apply it once: at most once, never twice.
            let claimed =
                sqlx::query("UPDATE drill_run SET applied = ?1 WHERE id = 1 AND applied = ?2")
                    .bind(i64::from(*i) + 1)
                    .bind(i64::from(*i))
                    .execute(&self.pool)
                    .await
                    .map_err(StoreError::from)?
                    .rows_affected()
                    == 1;
            if !claimed {
                break;
            }
            let at = Timestamp(run.started_at.0 + i64::from(event.at_secs) * 1000);
            self.apply_change(&policy, &event.change, at).await?;
            applied += 1;
        }
        Ok(applied)
    }

    async fn apply_change(
        &self,
        policy: &gatehouse_core::policy::Policy,
        change: &Change,
        at: Timestamp,
    ) -> Result<(), Error> {
        let model = &policy.model;
        match change {
            Change::Reading { .. } | Change::Batch { .. } | Change::Measurement { .. } => {
                let canary = match &policy.rollout {
                    Some(rules) => Registry::pointer(self, model, &rules.pointer).await?,
                    None => None,
                };
                for reading in change.readings(model, canary.as_ref(), at)? {
                    self.record_reading(&reading).await?;
                }
            }
            Change::Version { version, metrics } => {
                self.register_version(model, version, metrics, at).await?;
            }
            Change::Request {
                actor,
                version,
                pointer,
                reason,
            } => {
                let desk = Desk {
                    policy,
                    actor: actor.clone(),
                    now: at,
                    store: self,
                    registry: self,
                    observer: &Quiet,
                    // A drill copy calls no CD system.
                    hooks: &NoHooks,
                };
                desk.request(model, version, pointer, reason).await?;
            }
            Change::Stream { windows } => {
                for k in 0..*windows {
                    let end = Timestamp(at.0 - i64::from(windows - 1 - k));
                    self.advance_demo_stream(demo::DEFAULT_SEED, end).await?;
                }
            }
        }
        Ok(())
    }

    /// Registers `version` of `model` in the embedded registry, as a training pipeline would.
    async fn register_version(
        &self,
        model: &ModelName,
        version: &VersionId,
        metrics: &std::collections::BTreeMap<String, f64>,
        at: Timestamp,
    ) -> Result<(), Error> {
        let metrics = serde_json::to_string(metrics).map_err(|e| StoreError::Corrupt {
            what: "metrics",
            detail: e.to_string(),
        })?;
        sqlx::query(
            "INSERT INTO model_versions (model, version, run_id, created_at, metrics, tags)
             VALUES (?1, ?2, ?3, ?4, ?5, '{\"trained_by\":\"pipeline\"}')",
        )
        .bind(model.as_str())
        .bind(version.as_str())
        .bind(format!("drill-{model}-v{version}"))
        .bind(at.0)
        .bind(metrics)
        .execute(&self.pool)
        .await
        .map_err(StoreError::from)?;
        Ok(())
    }

    async fn drill_finished(&self, run: &DrillRun, drill: &Drill) -> Result<bool, Error> {
        let log = self.audit_log().await?;
        Ok(drill_status(drill, run, &log, "", Timestamp(0)).finished)
    }

    /// The drills `user` started from this workspace and neither finished nor gave up, newest
    /// first: the copies under `drills/` that are marked for this workspace and this user (a
    /// panel closed mid-drill leaves one).
    pub async fn unfinished_drills(
        &self,
        user: &UserName,
        now: Timestamp,
    ) -> Result<Vec<DrillStatus>, Error> {
        let root = self.dir().join(DRILLS_DIR);
        let entries = match std::fs::read_dir(&root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(StoreError::Io {
                    action: "list",
                    path: root.display().to_string(),
                    source,
                }
                .into())
            }
        };
        let mut found = Vec::new();
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            // A folder that is not a readable drill copy of ours is someone else's business.
            if let Ok(Some((copy, status))) = self.own_copy(&name, user, now).await {
                copy.close().await;
                if !status.finished {
                    found.push(status);
                }
            }
        }
        found.sort_by_key(|s| std::cmp::Reverse(s.started_at));
        Ok(found)
    }

    /// Opens the drill copy `drills/<name>` of this workspace to play on, refusing a name that is
    /// not such a copy of `user`'s, or whose drill is over.
    pub async fn resume_drill(
        &self,
        name: &str,
        user: &UserName,
        now: Timestamp,
    ) -> Result<Workspace, Error> {
        match self.own_copy(name, user, now).await? {
            Some((copy, status)) if !status.finished => Ok(copy),
            Some((copy, _)) => {
                copy.close().await;
                Err(Error::Invalid(format!(
                    "the drill in {name} is over: start it again"
                )))
            }
            None => Err(Error::NotFound(format!(
                "{name} is not a drill copy of {user}'s in this workspace"
            ))),
        }
    }

    /// The copy `drills/<name>` with its status, when it is a drill copy started from this
    /// workspace by `user`.
    async fn own_copy(
        &self,
        name: &str,
        user: &UserName,
        now: Timestamp,
    ) -> Result<Option<(Workspace, DrillStatus)>, Error> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && !name.starts_with('.');
        let dir = self.dir().join(DRILLS_DIR).join(name);
        if !valid || !dir.join(gatehouse_core::policy::POLICY_FILE).is_file() {
            return Ok(None);
        }
        let copy = Workspace::open(&dir).await?;
        let mine = match copy.drill_run().await? {
            Some(run) => {
                run.trainee == *user && Path::new(&run.origin) == absolute(self.dir()).as_path()
            }
            None => false,
        };
        if !mine {
            copy.close().await;
            return Ok(None);
        }
        let status = copy.drill_status(now).await?;
        Ok(Some((copy, status)))
    }

    /// Where this drill copy's drill stands at `now`.
    pub async fn drill_status(&self, now: Timestamp) -> Result<DrillStatus, Error> {
        let (run, drill) = self.running().await?;
        let log = self.audit_log().await?;
        Ok(drill_status(
            &drill,
            &run,
            &log,
            &self.dir().display().to_string(),
            now,
        ))
    }

    /// Gives `user`, the trainee, the drill's next hint, recording it in the audit log.
    pub async fn take_hint(&self, user: &UserName, now: Timestamp) -> Result<DrillStatus, Error> {
        let (run, drill) = self.running().await?;
        only_the_trainee(&run, user, "take its hints")?;
        let log = self.audit_log().await?;
        let (n, _) = next_hint(&drill, user, &log)?;
        self.append_audit(AuditDraft {
            at: now,
            actor: user.clone(),
            action: AuditAction::HintTaken,
            target: drill.id.target(),
            before: None,
            after: Some(n.to_string()),
            reason: None,
            response: None,
            request: None,
        })
        .await?;
        self.drill_status(now).await
    }

    /// The debrief of this drill copy's drill at `now` (final once finished).
    pub async fn drill_debrief(&self, now: Timestamp) -> Result<Debrief, Error> {
        let (_, drill) = self.running().await?;
        debrief(&drill, &self.audit_log().await?, now)
    }

    /// Finishes (or, with `gave_up`, gives up) the drill as `user`, the trainee: records it in
    /// the copy's audit log, judges the drill, and keeps the result in the workspace the drill
    /// was started from. Finishing again returns the same debrief and keeps nothing twice.
    pub async fn finish_drill(
        &self,
        user: &UserName,
        gave_up: bool,
        now: Timestamp,
    ) -> Result<Debrief, Error> {
        let (run, drill) = self.running().await?;
        only_the_trainee(&run, user, "finish it")?;
        if !self.drill_finished(&run, &drill).await? {
            // Changes that fell due before the finish still happen, as they would have.
            self.advance_drill(now).await?;
            let outcome = if gave_up { "gave_up" } else { "finished" };
            self.append_audit(AuditDraft {
                at: now,
                actor: user.clone(),
                action: AuditAction::DrillFinished,
                target: drill.id.target(),
                before: None,
                after: Some(outcome.into()),
                reason: None,
                response: None,
                request: None,
            })
            .await?;
        }
        let debrief = debrief(&drill, &self.audit_log().await?, now)?;
        if let Some(result) = DrillResult::of(&debrief) {
            let origin = Workspace::open(Path::new(&run.origin)).await?;
            let kept = origin.keep_result(&result, self.dir()).await;
            origin.close().await;
            kept?;
        }
        Ok(debrief)
    }

    async fn keep_result(&self, result: &DrillResult, copy: &Path) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO drill_results (user, drill, finished_at, seconds, score, hints, outcome, copy_dir)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (user, drill, finished_at) DO NOTHING",
        )
        .bind(result.user.as_str())
        .bind(result.drill.as_str())
        .bind(result.finished_at.0)
        .bind(result.seconds)
        .bind(i64::from(result.score))
        .bind(i64::from(result.hints))
        .bind(result.outcome.id())
        .bind(copy.display().to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

fn only_the_trainee(run: &DrillRun, user: &UserName, what: &str) -> Result<(), Error> {
    if *user == run.trainee {
        Ok(())
    } else {
        Err(Error::Denied(format!(
            "this drill is {}'s: only they may {what}",
            run.trainee
        )))
    }
}

/// `dir` as an absolute path, so the copy finds its origin whatever the working directory.
fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned())
}
