//! Drills: scripted incidents played on a throw-away copy of the demo workspace, and judged from
//! its audit log.
//!
//! A drill is data, like the tour (`learn/drills.toml` in the workspace, the default under
//! `assets/learn/`): a goal, hints, a **script** of timed changes (readings, data batches, model
//! versions, canary measurements, a colleague's promotion request, serving windows) and a
//! **runbook**, the actions a responder is expected to take, each naming the audit action that
//! records it. Nothing else is scored: [`debrief`] reads the audit events after the drill's
//! `drill_started` event and marks each of the trainee's actions expected, out of order or
//! unexpected, lists the runbook steps never taken, and counts the hints asked for.
//!
//! [`ensure_safe`] decides where a drill may run: never on a workspace whose policy connects an
//! external back end, and its script only on a copy Gatehouse made for it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::audit::{AuditAction, AuditEvent};
use crate::error::Error;
use crate::learn::{is_identifier, line_of, MemberProgress};
use crate::policy::{BackendKind, Policy, PolicyError, Role, UserName};
use crate::promotion::RequestId;
use crate::reading::{string_id, ModelName, Reading, SignalName};
use crate::registry::{PointerName, VersionId};
use crate::time::Timestamp;

/// Where the drills live inside a workspace, beside the tour.
pub const DRILLS_FILE: &str = "learn/drills.toml";

/// The default drills, used by workspaces that have no drills file of their own.
pub const DEFAULT_DRILLS: &str = include_str!("../../../../assets/learn/drills.toml");

/// Points lost per action that is not in the runbook.
pub const UNEXPECTED_PENALTY: u32 = 10;

/// Points lost per hint taken.
pub const HINT_PENALTY: u32 = 5;

string_id!(
    /// A drill's identifier, such as `canary-rollback`.
    DrillId
);

impl DrillId {
    /// The audit target of the drill's own events: `drill:<id>`.
    pub fn target(&self) -> String {
        format!("drill:{}", self.0)
    }
}

/// One change a drill's script makes to its workspace.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A reading of any signal of the followed model.
    Reading {
        /// The signal.
        signal: SignalName,
        /// Its value.
        value: f64,
        /// Where it came from, such as `run:churn-v6`.
        source: String,
        /// What a person should know about it.
        note: Option<String>,
    },
    /// A data batch arrives: its schema violations, missing rate and freshness, read from
    /// `batch:<id>`, as a pipeline's `gatehouse record` would.
    Batch {
        /// The batch's id.
        id: String,
        /// Columns that broke the data contract.
        schema_violations: f64,
        /// Share of missing values.
        missing_rate: f64,
        /// What is wrong with it, in words.
        note: Option<String>,
    },
    /// A new version of the followed model is registered.
    Version {
        /// The version.
        version: VersionId,
        /// Its metrics.
        metrics: BTreeMap<String, f64>,
    },
    /// A colleague asks for a pointer to move, through the real promotion use-case.
    Request {
        /// Who asks (a user of the demo's policy).
        actor: UserName,
        /// The version.
        version: VersionId,
        /// The pointer.
        pointer: PointerName,
        /// Why.
        reason: String,
    },
    /// A measurement of the canary that the rollout's pointer holds: a reading of a rollout
    /// metric's signal, sourced `canary:<model>-v<version>` as the demo's canary is.
    Measurement {
        /// The rollout metric's signal.
        signal: SignalName,
        /// The measured value.
        value: f64,
    },
    /// The demo's serving stream moves on by this many windows, with the drift engine's reading
    /// of each, as the demo's live stream does.
    Stream {
        /// How many windows.
        windows: u32,
    },
}

impl Change {
    /// The readings this change records at `at`, for the changes that are readings; `canary` is
    /// the version the rollout's pointer holds, for measurements.
    pub fn readings(
        &self,
        model: &ModelName,
        canary: Option<&VersionId>,
        at: Timestamp,
    ) -> Result<Vec<Reading>, Error> {
        let reading = |signal: &str, value: f64, source: String, note: Option<String>| {
            Reading::new(
                model.clone(),
                SignalName::from(signal),
                value,
                at,
                source,
                note,
            )
        };
        match self {
            Change::Reading {
                signal,
                value,
                source,
                note,
            } => Ok(vec![reading(
                signal.as_str(),
                *value,
                source.clone(),
                note.clone(),
            )?]),
            Change::Batch {
                id,
                schema_violations,
                missing_rate,
                note,
            } => {
                let source = format!("{}{id}", crate::response::BATCH_SOURCE);
                Ok(vec![
                    reading(
                        "data.schema_violations",
                        *schema_violations,
                        source.clone(),
                        note.clone(),
                    )?,
                    reading("data.missing_rate", *missing_rate, source.clone(), None)?,
                    reading("data.freshness_hours", 0.5, source, None)?,
                ])
            }
            Change::Measurement { signal, value } => {
                let version = canary.map_or_else(|| "unset".to_owned(), |v| format!("v{v}"));
                Ok(vec![reading(
                    signal.as_str(),
                    *value,
                    format!("canary:{model}-{version}"),
                    None,
                )?])
            }
            Change::Version { .. } | Change::Request { .. } | Change::Stream { .. } => {
                Ok(Vec::new())
            }
        }
    }
}

/// A change and when it happens.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptEvent {
    /// Seconds after the drill started.
    pub at_secs: u32,
    /// What changes.
    pub change: Change,
}

/// One action the runbook expects, matched against audit events.
#[derive(Debug, Clone, PartialEq)]
pub struct RunbookStep {
    /// What to do, for a person.
    pub title: String,
    /// Why it matters: shown in the debrief when the step was missed.
    pub why: String,
    /// The audit action that records it.
    pub action: AuditAction,
    /// The event's target, when it must be a particular one (`churn@production`, `batch:…`).
    pub target: Option<String>,
    /// The event's `after`, when it must be a particular one (the owner asked to retrain).
    pub after: Option<String>,
    /// The version of the request the event belongs to (or its `after`), when it matters.
    pub version: Option<VersionId>,
}

impl RunbookStep {
    /// Whether `event` takes this step; `versions` gives each request's version.
    fn matches(&self, event: &AuditEvent, versions: &BTreeMap<RequestId, String>) -> bool {
        let version = event
            .request
            .and_then(|r| versions.get(&r).cloned())
            .or_else(|| event.after.clone());
        event.action == self.action
            && self.target.as_ref().is_none_or(|t| *t == event.target)
            && self
                .after
                .as_ref()
                .is_none_or(|a| event.after.as_ref() == Some(a))
            && self
                .version
                .as_ref()
                .is_none_or(|v| version.as_deref() == Some(v.as_str()))
    }
}

/// A parsed, validated drill.
#[derive(Debug, Clone, PartialEq)]
pub struct Drill {
    /// Unique within the file.
    pub id: DrillId,
    /// One line.
    pub title: String,
    /// What the trainee must achieve.
    pub goal: String,
    /// Roles the trainee holds in the drill copy, beside any the demo gives them.
    pub roles: BTreeSet<Role>,
    /// Hints, given one at a time on request.
    pub hints: Vec<String>,
    /// Timed changes, in order of time.
    pub script: Vec<ScriptEvent>,
    /// The expected actions, in order.
    pub runbook: Vec<RunbookStep>,
}

/// The drills of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillSet {
    /// In file order.
    pub drills: Vec<Drill>,
}

impl DrillSet {
    /// Parses and validates drills text; errors name `file` and the line, like the policy's.
    pub fn parse(text: &str, file: &str) -> Result<DrillSet, PolicyError> {
        let err_at = |offset: usize, message: String| PolicyError {
            file: file.to_owned(),
            line: line_of(text, offset),
            message,
        };
        let raw: raw::Drills = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            err_at(offset, e.message().trim().to_owned())
        })?;
        raw.validate()
            .map_err(|(offset, message)| err_at(offset, message))
    }

    /// The drill with this id.
    pub fn drill(&self, id: &DrillId) -> Result<&Drill, Error> {
        self.drills.iter().find(|d| &d.id == id).ok_or_else(|| {
            let known: Vec<&str> = self.drills.iter().map(|d| d.id.as_str()).collect();
            Error::NotFound(format!(
                "there is no drill `{id}` (drills: {})",
                known.join(", ")
            ))
        })
    }
}

/// Where the drills shown came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DrillSource {
    /// The workspace's own `learn/drills.toml`.
    Workspace,
    /// The default built into Gatehouse.
    Default,
}

/// Refuses a drill where it could reach a real system: on a workspace whose policy connects an
/// external back end (a registry, metrics or alerts server, or a team store). `copy` says whether
/// the workspace is a drill copy, which Gatehouse creates embedded: one whose policy was edited to
/// connect something is refused as well, so a drill's actions never leave the copy.
pub fn ensure_safe(policy: &Policy, copy: bool) -> Result<(), Error> {
    let mut connected: Vec<String> = [
        ("registry", &policy.backends.registry),
        ("metrics", &policy.backends.metrics),
        ("alerts", &policy.backends.alerts),
    ]
    .into_iter()
    .filter(|(_, b)| b.kind != BackendKind::Embedded)
    .map(|(port, b)| {
        let kind = match b.kind {
            BackendKind::Mlflow => "mlflow",
            BackendKind::Prometheus => "prometheus",
            BackendKind::Alertmanager => "alertmanager",
            BackendKind::Embedded => "embedded",
        };
        format!(
            "its {port} is {kind} at {}",
            b.url.as_deref().unwrap_or("an unnamed address")
        )
    })
    .collect();
    if let Some(store) = &policy.store {
        connected.push(format!(
            "it keeps its data in the team store at {}",
            store.url
        ));
    }
    if connected.is_empty() {
        return Ok(());
    }
    let what = connected.join("; ");
    Err(Error::Blocked(if copy {
        format!(
            "this drill copy's policy was changed to connect a real back end ({what}); a drill never reaches one: give the drill up and start it again"
        )
    } else {
        format!(
            "a drill never runs against a connected back end, and this workspace's policy connects one ({what}); start drills from the demo workspace (`gatehouse demo`) or any workspace that connects nothing"
        )
    }))
}

/// What a drill copy records about the drill it was made for, written into its database when
/// Gatehouse creates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct DrillRun {
    /// The drill.
    pub drill: DrillId,
    /// Who plays it.
    pub trainee: UserName,
    /// The workspace it was started from, where the result is kept.
    pub origin: String,
    /// When it started.
    pub started_at: Timestamp,
    /// How many script events have been applied.
    pub applied: u32,
}

/// The script events of `drill` due at `now` that `run` has not applied yet, with their index.
pub fn due_events<'a>(
    drill: &'a Drill,
    run: &DrillRun,
    now: Timestamp,
) -> impl Iterator<Item = (u32, &'a ScriptEvent)> + 'a {
    let elapsed = (now.0 - run.started_at.0).max(0) / 1000;
    let applied = run.applied;
    (0u32..)
        .zip(&drill.script)
        .skip(applied as usize)
        .take_while(move |(_, e)| i64::from(e.at_secs) <= elapsed)
}

/// A running drill as the banner shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct DrillStatus {
    /// The drill.
    pub drill: DrillId,
    /// Its title.
    pub title: String,
    /// Its goal.
    pub goal: String,
    /// Who plays it.
    pub trainee: UserName,
    /// When it started.
    pub started_at: Timestamp,
    /// Seconds since it started.
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub elapsed_secs: i64,
    /// The hints taken so far, in order.
    pub hints_taken: Vec<String>,
    /// How many hints the drill has.
    pub hints_total: u32,
    /// Script events applied so far.
    pub events_applied: u32,
    /// Script events in all.
    pub events_total: u32,
    /// The drill copy's directory.
    pub copy_dir: String,
    /// Whether it was finished or given up (its debrief is final).
    pub finished: bool,
}

/// The status of `run` at `now`, from the copy's audit log.
pub fn drill_status(
    drill: &Drill,
    run: &DrillRun,
    log: &[AuditEvent],
    copy_dir: &str,
    now: Timestamp,
) -> DrillStatus {
    let (_, after) = since_start(drill, log);
    let finished = after
        .iter()
        .any(|e| e.action == AuditAction::DrillFinished && e.target == drill.id.target());
    DrillStatus {
        drill: drill.id.clone(),
        title: drill.title.clone(),
        goal: drill.goal.clone(),
        trainee: run.trainee.clone(),
        started_at: run.started_at,
        elapsed_secs: (now.0 - run.started_at.0).max(0) / 1000,
        hints_taken: drill
            .hints
            .iter()
            .take(hints_used(drill, &run.trainee, after) as usize)
            .cloned()
            .collect(),
        hints_total: drill.hints.len() as u32,
        events_applied: run.applied,
        events_total: drill.script.len() as u32,
        copy_dir: copy_dir.to_owned(),
        finished,
    }
}

/// The next hint for the trainee, refusing when all have been given.
pub fn next_hint<'a>(
    drill: &'a Drill,
    trainee: &UserName,
    log: &[AuditEvent],
) -> Result<(u32, &'a str), Error> {
    let (_, after) = since_start(drill, log);
    let used = hints_used(drill, trainee, after);
    drill
        .hints
        .get(used as usize)
        .map(|h| (used + 1, h.as_str()))
        .ok_or_else(|| Error::Invalid(format!("all {used} hints of this drill were given")))
}

/// How an action compares with the runbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ActionMark {
    /// The next step of the runbook.
    Expected,
    /// A runbook step, taken before an earlier one.
    OutOfOrder,
    /// Not in the runbook (or a step taken again, or a refused attempt).
    Unexpected,
}

/// One thing the trainee did, as the debrief lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct DebriefAction {
    /// Its place in the audit log.
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub seq: i64,
    /// Seconds after the drill started.
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub offset_secs: i64,
    /// What was done.
    pub action: AuditAction,
    /// To what.
    pub target: String,
    /// The state after, as the log records it (a version, an owner).
    pub after: Option<String>,
    /// The trainee's reason.
    pub reason: Option<String>,
    /// How it compares with the runbook.
    pub mark: ActionMark,
    /// The runbook step it took, numbered from 1.
    pub step: Option<u32>,
    /// What the debrief says about it.
    pub comment: String,
}

/// A runbook step the trainee never took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct MissedStep {
    /// Its number, from 1.
    pub step: u32,
    /// What to do.
    pub title: String,
    /// Why it matters.
    pub why: String,
}

/// Where a drill stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DrillOutcome {
    /// Still running.
    InProgress,
    /// Given up.
    GaveUp,
    /// Finished with runbook steps missing.
    Incomplete,
    /// Finished with every runbook step taken.
    Passed,
}

impl DrillOutcome {
    /// The identifier used in storage and JSON.
    pub fn id(self) -> &'static str {
        match self {
            DrillOutcome::InProgress => "in_progress",
            DrillOutcome::GaveUp => "gave_up",
            DrillOutcome::Incomplete => "incomplete",
            DrillOutcome::Passed => "passed",
        }
    }

    /// The outcome with this identifier.
    pub fn from_id(id: &str) -> Option<DrillOutcome> {
        [
            DrillOutcome::InProgress,
            DrillOutcome::GaveUp,
            DrillOutcome::Incomplete,
            DrillOutcome::Passed,
        ]
        .into_iter()
        .find(|o| o.id() == id)
    }
}

/// The debrief of a drill: what the trainee did against the runbook, and the score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Debrief {
    /// The drill.
    pub drill: DrillId,
    /// Its title.
    pub title: String,
    /// Who played it.
    pub trainee: UserName,
    /// When it started.
    pub started_at: Timestamp,
    /// When it was finished or given up.
    pub finished_at: Option<Timestamp>,
    /// Seconds from start to finish (or to now while it runs).
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub seconds: i64,
    /// The runbook's steps, in order.
    pub runbook: Vec<String>,
    /// What the trainee did, in order.
    pub actions: Vec<DebriefAction>,
    /// Runbook steps never taken.
    pub missed: Vec<MissedStep>,
    /// Hints taken.
    pub hints_used: u32,
    /// Hints the drill has.
    pub hints_total: u32,
    /// 0 to 100: the runbook's steps (half for one out of order), less
    /// [`UNEXPECTED_PENALTY`] per unexpected action and [`HINT_PENALTY`] per hint.
    pub score: u32,
    /// Where it stands.
    pub outcome: DrillOutcome,
}

/// Actions that follow from another one (a pointer moving after its approval) or belong to the
/// drill itself: not counted as things the trainee chose to do.
fn is_consequence(action: AuditAction) -> bool {
    match action {
        AuditAction::Executed
        | AuditAction::Failed
        | AuditAction::Reconciled
        | AuditAction::HookCalled
        | AuditAction::HookFailed
        | AuditAction::Unacknowledged
        | AuditAction::DrillStarted
        | AuditAction::HintTaken
        | AuditAction::DrillFinished => true,
        AuditAction::Requested
        | AuditAction::Approved
        | AuditAction::Rejected
        | AuditAction::Overridden
        | AuditAction::RollbackRequested
        | AuditAction::Denied
        | AuditAction::Acknowledged
        | AuditAction::Quarantined
        | AuditAction::RetrainRequested => false,
    }
}

/// The drill's latest `drill_started` event and the events after it.
fn since_start<'a>(
    drill: &Drill,
    log: &'a [AuditEvent],
) -> (Option<&'a AuditEvent>, &'a [AuditEvent]) {
    let target = drill.id.target();
    match log
        .iter()
        .rposition(|e| e.action == AuditAction::DrillStarted && e.target == target)
    {
        Some(i) => (Some(&log[i]), &log[i + 1..]),
        None => (None, &[]),
    }
}

fn hints_used(drill: &Drill, trainee: &UserName, after: &[AuditEvent]) -> u32 {
    let target = drill.id.target();
    after
        .iter()
        .filter(|e| e.action == AuditAction::HintTaken && e.target == target && e.actor == *trainee)
        .count() as u32
}

/// Judges the drill from the audit log of its copy at `now`: the trainee's actions after the
/// drill's `drill_started` event (up to its `drill_finished` event, if any), matched in order
/// against the runbook.
pub fn debrief(drill: &Drill, log: &[AuditEvent], now: Timestamp) -> Result<Debrief, Error> {
    let (Some(start), after) = since_start(drill, log) else {
        return Err(Error::NotFound(format!(
            "the audit log records no start of the drill `{}`",
            drill.id
        )));
    };
    let trainee = &start.actor;
    let target = drill.id.target();
    let finish = after
        .iter()
        .find(|e| e.action == AuditAction::DrillFinished && e.target == target);
    let during: &[AuditEvent] = match finish {
        Some(f) => {
            &after[..after
                .iter()
                .position(|e| e.seq == f.seq)
                .unwrap_or(after.len())]
        }
        None => after,
    };
    let versions: BTreeMap<RequestId, String> = log
        .iter()
        .filter(|e| {
            matches!(
                e.action,
                AuditAction::Requested | AuditAction::RollbackRequested
            )
        })
        .filter_map(|e| Some((e.request?, e.after.clone()?)))
        .collect();

    let mut taken = vec![false; drill.runbook.len()];
    let mut actions = Vec::new();
    for event in during
        .iter()
        .filter(|e| e.actor == *trainee && !is_consequence(e.action))
    {
        let found = drill
            .runbook
            .iter()
            .enumerate()
            .find(|(i, step)| !taken[*i] && step.matches(event, &versions))
            .map(|(i, _)| i);
        let first_open = taken.iter().position(|t| !t);
        let (mark, step, comment) = match found {
            Some(i) => {
                taken[i] = true;
                let title = &drill.runbook[i].title;
                if Some(i) == first_open {
                    (
                        ActionMark::Expected,
                        Some(i),
                        format!("step {}: {title}", i + 1),
                    )
                } else {
                    (
                        ActionMark::OutOfOrder,
                        Some(i),
                        format!(
                            "step {} ({title}), taken before step {}",
                            i + 1,
                            first_open.map_or(0, |f| f + 1)
                        ),
                    )
                }
            }
            None if event.action == AuditAction::Denied => (
                ActionMark::Unexpected,
                None,
                format!(
                    "refused: {}",
                    event.reason.as_deref().unwrap_or("no reason recorded")
                ),
            ),
            None if drill
                .runbook
                .iter()
                .enumerate()
                .any(|(i, s)| taken[i] && s.matches(event, &versions)) =>
            {
                (
                    ActionMark::Unexpected,
                    None,
                    "a runbook step already taken, taken again".to_owned(),
                )
            }
            None => (
                ActionMark::Unexpected,
                None,
                "not in the runbook".to_owned(),
            ),
        };
        actions.push(DebriefAction {
            seq: event.seq,
            offset_secs: (event.at.0 - start.at.0).max(0) / 1000,
            action: event.action,
            target: event.target.clone(),
            after: event.after.clone(),
            reason: event.reason.clone(),
            mark,
            step: step.map(|i| i as u32 + 1),
            comment,
        });
    }
    let missed: Vec<MissedStep> = (0u32..)
        .zip(&drill.runbook)
        .filter(|(i, _)| !taken[*i as usize])
        .map(|(i, s)| MissedStep {
            step: i + 1,
            title: s.title.clone(),
            why: s.why.clone(),
        })
        .collect();
    let hints = hints_used(drill, trainee, during);
    let count = |m: ActionMark| actions.iter().filter(|a| a.mark == m).count() as u32;
    let steps = drill.runbook.len() as u32;
    let earned = (200 * count(ActionMark::Expected) + 100 * count(ActionMark::OutOfOrder))
        .checked_div(2 * steps)
        .unwrap_or(100);
    let penalty = UNEXPECTED_PENALTY * count(ActionMark::Unexpected) + HINT_PENALTY * hints;
    let end = finish.map_or(now, |f| f.at);
    let outcome = match finish {
        None => DrillOutcome::InProgress,
        Some(f) if f.after.as_deref() == Some(DrillOutcome::GaveUp.id()) => DrillOutcome::GaveUp,
        Some(_) if missed.is_empty() => DrillOutcome::Passed,
        Some(_) => DrillOutcome::Incomplete,
    };
    Ok(Debrief {
        drill: drill.id.clone(),
        title: drill.title.clone(),
        trainee: trainee.clone(),
        started_at: start.at,
        finished_at: finish.map(|f| f.at),
        seconds: (end.0 - start.at.0).max(0) / 1000,
        runbook: drill.runbook.iter().map(|s| s.title.clone()).collect(),
        actions,
        missed,
        hints_used: hints,
        hints_total: drill.hints.len() as u32,
        score: earned.saturating_sub(penalty),
        outcome,
    })
}

/// A finished drill as kept in the workspace it was started from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct DrillResult {
    /// Who played it.
    pub user: UserName,
    /// Which drill.
    pub drill: DrillId,
    /// When it finished.
    pub finished_at: Timestamp,
    /// Seconds taken.
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub seconds: i64,
    /// Its score.
    pub score: u32,
    /// Hints taken.
    pub hints: u32,
    /// Passed, incomplete or given up.
    pub outcome: DrillOutcome,
}

impl DrillResult {
    /// The result a final debrief records.
    pub fn of(debrief: &Debrief) -> Option<DrillResult> {
        Some(DrillResult {
            user: debrief.trainee.clone(),
            drill: debrief.drill.clone(),
            finished_at: debrief.finished_at?,
            seconds: debrief.seconds,
            score: debrief.score,
            hints: debrief.hints_used,
            outcome: debrief.outcome,
        })
    }
}

/// A drill as the Learn view lists it for one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct DrillCard {
    /// The drill.
    pub id: DrillId,
    /// Its title.
    pub title: String,
    /// Its goal.
    pub goal: String,
    /// Steps in its runbook.
    pub steps: u32,
    /// Hints it has.
    pub hints: u32,
    /// The user's best result: passed beats not, then the higher score, then the faster.
    pub best: Option<DrillResult>,
    /// How often the user finished or gave it up.
    pub runs: u32,
}

fn best_of<'a>(results: impl Iterator<Item = &'a DrillResult>) -> Option<&'a DrillResult> {
    results.max_by(|a, b| {
        (a.outcome == DrillOutcome::Passed, a.score, -a.seconds).cmp(&(
            b.outcome == DrillOutcome::Passed,
            b.score,
            -b.seconds,
        ))
    })
}

/// The drills with `user`'s best result of each.
pub fn drill_cards(set: &DrillSet, user: &UserName, results: &[DrillResult]) -> Vec<DrillCard> {
    set.drills
        .iter()
        .map(|d| {
            let mine = || {
                results
                    .iter()
                    .filter(|r| r.user == *user && r.drill == d.id)
            };
            DrillCard {
                id: d.id.clone(),
                title: d.title.clone(),
                goal: d.goal.clone(),
                steps: d.runbook.len() as u32,
                hints: d.hints.len() as u32,
                best: best_of(mine()).cloned(),
                runs: mine().count() as u32,
            }
        })
        .collect()
}

/// Adds the drills each member passed to the team's progress (members with drill results but
/// no tour progress are added); only drills the file still has count.
pub fn with_drills(members: &mut Vec<MemberProgress>, set: &DrillSet, results: &[DrillResult]) {
    let ids: BTreeSet<&DrillId> = set.drills.iter().map(|d| &d.id).collect();
    for r in results {
        if !members.iter().any(|m| m.user == r.user) {
            members.push(MemberProgress {
                user: r.user.clone(),
                display_name: r.user.to_string(),
                known: false,
                completed: 0,
                total: 0,
                last_at: None,
                drills_passed: 0,
                drills_total: 0,
            });
        }
    }
    for m in members.iter_mut() {
        let passed: BTreeSet<&DrillId> = results
            .iter()
            .filter(|r| {
                r.user == m.user && r.outcome == DrillOutcome::Passed && ids.contains(&r.drill)
            })
            .map(|r| &r.drill)
            .collect();
        m.drills_passed = passed.len();
        m.drills_total = ids.len();
        let last = results
            .iter()
            .filter(|r| r.user == m.user)
            .map(|r| r.finished_at)
            .max();
        m.last_at = m.last_at.max(last);
    }
}

/// The policy text of a drill copy: the demo's, with `trainee` holding `roles` as well as any the
/// demo gives them, so that the drill can be played whoever plays it.
pub fn policy_for_trainee(
    demo_policy: &str,
    trainee: &UserName,
    roles: &BTreeSet<Role>,
) -> Result<String, Error> {
    let policy = Policy::parse(demo_policy, crate::policy::POLICY_FILE)?;
    let role_list = |extra: &BTreeSet<Role>| {
        let all: BTreeSet<&Role> = extra.iter().chain(roles).collect();
        all.iter()
            .map(|r| format!("\"{}\"", role_id(**r)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = match policy.users.get(trainee) {
        None => format!(
            "{demo_policy}\n# The trainee of this drill copy.\n[users.\"{trainee}\"]\nname = \"{trainee} (trainee)\"\nroles = [{}]\n",
            role_list(&BTreeSet::new())
        ),
        Some(user) => {
            // The demo's users are plain tables `[users.<login>]` with one `roles = [...]` line.
            let header = format!("[users.{trainee}]");
            let mut out = Vec::new();
            let mut inside = false;
            for line in demo_policy.lines() {
                if line.starts_with('[') {
                    inside = line.trim() == header;
                }
                if inside && line.trim_start().starts_with("roles") {
                    out.push(format!("roles = [{}]", role_list(&user.roles)));
                } else {
                    out.push(line.to_owned());
                }
            }
            out.join("\n") + "\n"
        }
    };
    let granted = Policy::parse(&text, crate::policy::POLICY_FILE)?;
    let held = granted
        .users
        .get(trainee)
        .map(|u| u.roles.clone())
        .unwrap_or_default();
    if !roles.is_subset(&held) {
        return Err(Error::Invalid(format!(
            "the demo's policy could not give {trainee} the drill's roles"
        )));
    }
    Ok(text)
}

fn role_id(role: Role) -> &'static str {
    match role {
        Role::Viewer => "viewer",
        Role::Operator => "operator",
        Role::Approver => "approver",
        Role::Admin => "admin",
    }
}

/// The file's shape as written, with spans for values checked after parsing.
mod raw {
    use super::*;

    type Invalid = (usize, String);

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Drills {
        #[serde(default)]
        drills: Vec<Spanned<Drill>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Drill {
        id: Spanned<String>,
        title: Spanned<String>,
        goal: Spanned<String>,
        #[serde(default)]
        roles: Vec<Spanned<String>>,
        #[serde(default)]
        hints: Vec<Spanned<String>>,
        #[serde(default)]
        script: Vec<Spanned<Event>>,
        #[serde(default)]
        runbook: Vec<Spanned<Step>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Event {
        at: Spanned<i64>,
        reading: Option<Spanned<ReadingEvent>>,
        batch: Option<Spanned<BatchEvent>>,
        version: Option<Spanned<VersionEvent>>,
        request: Option<Spanned<RequestEvent>>,
        measurement: Option<Spanned<MeasurementEvent>>,
        stream: Option<Spanned<StreamEvent>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ReadingEvent {
        signal: Spanned<String>,
        value: Spanned<f64>,
        source: Spanned<String>,
        note: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct BatchEvent {
        id: Spanned<String>,
        schema_violations: Spanned<f64>,
        missing_rate: Spanned<f64>,
        note: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct VersionEvent {
        version: Spanned<String>,
        #[serde(default)]
        metrics: BTreeMap<String, Spanned<f64>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RequestEvent {
        actor: Spanned<String>,
        version: Spanned<String>,
        pointer: Spanned<String>,
        reason: Spanned<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct MeasurementEvent {
        signal: Spanned<String>,
        value: Spanned<f64>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct StreamEvent {
        windows: Spanned<i64>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Step {
        title: Spanned<String>,
        why: Spanned<String>,
        action: Spanned<String>,
        target: Option<Spanned<String>>,
        after: Option<Spanned<String>>,
        version: Option<Spanned<String>>,
    }

    fn text(value: Spanned<String>, what: &str) -> Result<String, Invalid> {
        if value.get_ref().trim().is_empty() {
            return Err((value.span().start, format!("{what} must not be empty")));
        }
        Ok(value.into_inner().trim().to_owned())
    }

    fn identifier(value: Spanned<String>, what: &str) -> Result<String, Invalid> {
        if !is_identifier(value.get_ref()) {
            return Err((
                value.span().start,
                format!(
                    "{what} `{}` may hold only letters, digits, `-`, `_` and `.`",
                    value.get_ref()
                ),
            ));
        }
        Ok(value.into_inner())
    }

    fn finite(value: Spanned<f64>, what: &str) -> Result<f64, Invalid> {
        if !value.get_ref().is_finite() {
            return Err((
                value.span().start,
                format!("{what} must be a finite number"),
            ));
        }
        Ok(value.into_inner())
    }

    /// The actions a trainee can take and the runbook can therefore expect.
    const EXPECTABLE: [AuditAction; 8] = [
        AuditAction::Requested,
        AuditAction::Approved,
        AuditAction::Rejected,
        AuditAction::Overridden,
        AuditAction::RollbackRequested,
        AuditAction::Acknowledged,
        AuditAction::Quarantined,
        AuditAction::RetrainRequested,
    ];

    impl Drills {
        pub fn validate(self) -> Result<super::DrillSet, Invalid> {
            if self.drills.is_empty() {
                return Err((0, "the file has no `[[drills]]`".into()));
            }
            let mut seen = BTreeSet::new();
            let mut drills = Vec::new();
            for drill in self.drills {
                let at = drill.span().start;
                let drill = drill.into_inner();
                let id_at = drill.id.span().start;
                let id = identifier(drill.id, "a drill id")?;
                if !seen.insert(id.clone()) {
                    return Err((id_at, format!("drill `{id}` is defined twice")));
                }
                let title = text(drill.title, &format!("drill `{id}`: `title`"))?;
                let goal = text(drill.goal, &format!("drill `{id}`: `goal`"))?;
                let mut roles = BTreeSet::new();
                for role in drill.roles {
                    let parsed = match role.get_ref().as_str() {
                        "viewer" => Role::Viewer,
                        "operator" => Role::Operator,
                        "approver" => Role::Approver,
                        "admin" => Role::Admin,
                        other => {
                            return Err((
                                role.span().start,
                                format!(
                                    "drill `{id}`: unknown role `{other}` (roles: viewer, operator, approver, admin)"
                                ),
                            ))
                        }
                    };
                    roles.insert(parsed);
                }
                let hints = drill
                    .hints
                    .into_iter()
                    .map(|h| text(h, &format!("drill `{id}`: a hint")))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut script = Vec::new();
                let mut last = 0;
                for event in drill.script {
                    let event_at = event.span().start;
                    let event = event.into_inner();
                    let secs = *event.at.get_ref();
                    if !(0..=86_400).contains(&secs) {
                        return Err((
                            event.at.span().start,
                            format!(
                                "drill `{id}`: `at` is seconds after the start, from 0 to 86400"
                            ),
                        ));
                    }
                    if secs < last {
                        return Err((
                            event.at.span().start,
                            format!("drill `{id}`: script events must be in order of `at`"),
                        ));
                    }
                    last = secs;
                    let change = change_of(event, event_at, &id)?;
                    script.push(ScriptEvent {
                        at_secs: secs as u32,
                        change,
                    });
                }
                if drill.runbook.is_empty() {
                    return Err((at, format!("drill `{id}` has no `[[drills.runbook]]` step")));
                }
                let mut runbook = Vec::new();
                for step in drill.runbook {
                    let step = step.into_inner();
                    let action_at = step.action.span().start;
                    let action = AuditAction::from_id(step.action.get_ref())
                        .filter(|a| EXPECTABLE.contains(a))
                        .ok_or_else(|| {
                            let known: Vec<&str> = EXPECTABLE.iter().map(|a| a.id()).collect();
                            (
                                action_at,
                                format!(
                                    "drill `{id}`: `action` `{}` is not one a trainee takes (actions: {})",
                                    step.action.get_ref(),
                                    known.join(", ")
                                ),
                            )
                        })?;
                    runbook.push(RunbookStep {
                        title: text(step.title, &format!("drill `{id}`: a step's `title`"))?,
                        why: text(step.why, &format!("drill `{id}`: a step's `why`"))?,
                        action,
                        target: step
                            .target
                            .map(|t| text(t, &format!("drill `{id}`: `target`")))
                            .transpose()?,
                        after: step
                            .after
                            .map(|t| text(t, &format!("drill `{id}`: `after`")))
                            .transpose()?,
                        version: step
                            .version
                            .map(|v| identifier(v, &format!("drill `{id}`: `version`")))
                            .transpose()?
                            .map(VersionId),
                    });
                }
                drills.push(super::Drill {
                    id: DrillId(id),
                    title,
                    goal,
                    roles,
                    hints,
                    script,
                    runbook,
                });
            }
            Ok(super::DrillSet { drills })
        }
    }

    fn signal(value: Spanned<String>, id: &str) -> Result<SignalName, Invalid> {
        identifier(value, &format!("drill `{id}`: signal")).map(SignalName)
    }

    fn change_of(event: Event, at: usize, id: &str) -> Result<Change, Invalid> {
        let kinds = [
            event.reading.is_some(),
            event.batch.is_some(),
            event.version.is_some(),
            event.request.is_some(),
            event.measurement.is_some(),
            event.stream.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            return Err((
                at,
                format!(
                    "drill `{id}`: a script event needs exactly one of `reading`, `batch`, `version`, `request`, `measurement` or `stream`"
                ),
            ));
        }
        if let Some(r) = event.reading {
            let r = r.into_inner();
            return Ok(Change::Reading {
                signal: signal(r.signal, id)?,
                value: finite(r.value, &format!("drill `{id}`: `value`"))?,
                source: text(r.source, &format!("drill `{id}`: `source`"))?,
                note: r.note,
            });
        }
        if let Some(b) = event.batch {
            let b = b.into_inner();
            return Ok(Change::Batch {
                id: identifier(b.id, &format!("drill `{id}`: a batch id"))?,
                schema_violations: finite(
                    b.schema_violations,
                    &format!("drill `{id}`: `schema_violations`"),
                )?,
                missing_rate: finite(b.missing_rate, &format!("drill `{id}`: `missing_rate`"))?,
                note: b.note,
            });
        }
        if let Some(v) = event.version {
            let v = v.into_inner();
            let mut metrics = BTreeMap::new();
            for (name, value) in v.metrics {
                let value = finite(value, &format!("drill `{id}`: metric `{name}`"))?;
                metrics.insert(name, value);
            }
            return Ok(Change::Version {
                version: VersionId(identifier(v.version, &format!("drill `{id}`: `version`"))?),
                metrics,
            });
        }
        if let Some(r) = event.request {
            let r = r.into_inner();
            return Ok(Change::Request {
                actor: UserName(identifier(r.actor, &format!("drill `{id}`: `actor`"))?),
                version: VersionId(identifier(r.version, &format!("drill `{id}`: `version`"))?),
                pointer: PointerName(identifier(r.pointer, &format!("drill `{id}`: `pointer`"))?),
                reason: text(r.reason, &format!("drill `{id}`: `reason`"))?,
            });
        }
        if let Some(m) = event.measurement {
            let m = m.into_inner();
            return Ok(Change::Measurement {
                signal: signal(m.signal, id)?,
                value: finite(m.value, &format!("drill `{id}`: `value`"))?,
            });
        }
        let s = event
            .stream
            .map(Spanned::into_inner)
            .ok_or((at, String::new()))?;
        let windows = *s.windows.get_ref();
        if !(1..=48).contains(&windows) {
            return Err((
                s.windows.span().start,
                format!("drill `{id}`: `windows` must be from 1 to 48"),
            ));
        }
        Ok(Change::Stream {
            windows: windows as u32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditDraft, GENESIS};
    use crate::demo::POLICY;

    fn set() -> DrillSet {
        DrillSet::parse(DEFAULT_DRILLS, DRILLS_FILE).unwrap()
    }

    fn error_of(text: &str) -> PolicyError {
        DrillSet::parse(text, DRILLS_FILE).unwrap_err()
    }

    const MINIMAL: &str = r#"
[[drills]]
id = "d"
title = "t"
goal = "g"
hints = ["one", "two"]

[[drills.runbook]]
title = "first"
why = "w1"
action = "quarantined"
target = "batch:b1"

[[drills.runbook]]
title = "second"
why = "w2"
action = "retrain_requested"
after = "churn-models"
"#;

    /// A log: the drill started by `trainee` at second 0, then `events` as (second, actor,
    /// action, target, after).
    fn log(
        trainee: &str,
        events: &[(i64, &str, AuditAction, &str, Option<&str>)],
    ) -> Vec<AuditEvent> {
        let mut out: Vec<AuditEvent> = Vec::new();
        let mut push = |at: i64, actor: &str, action, target: &str, after: Option<&str>| {
            let prev = out.last().map_or(GENESIS.to_owned(), |e| e.hash.clone());
            let seq = out.len() as i64 + 1;
            out.push(AuditEvent::seal(
                AuditDraft {
                    at: Timestamp(1_000_000 + at * 1000),
                    actor: UserName::from(actor),
                    action,
                    target: target.into(),
                    before: None,
                    after: after.map(str::to_owned),
                    reason: Some("because".into()),
                    response: None,
                    request: None,
                },
                seq,
                prev,
            ));
        };
        push(
            -50,
            "priya",
            AuditAction::Approved,
            "churn@production",
            None,
        );
        push(0, trainee, AuditAction::DrillStarted, "drill:d", None);
        for (at, actor, action, target, after) in events {
            push(*at, actor, *action, target, *after);
        }
        out
    }

    #[test]
    fn the_default_drills_parse_and_cover_the_four_incidents() {
        let set = set();
        let ids: Vec<&str> = set.drills.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "schema-break",
                "feature-drift",
                "segment-regression",
                "canary-rollback"
            ]
        );
        for d in &set.drills {
            assert!(
                !d.hints.is_empty() && !d.runbook.is_empty() && !d.script.is_empty(),
                "{}",
                d.id
            );
        }
        let canary = set.drill(&DrillId::from("canary-rollback")).unwrap();
        assert_eq!(canary.runbook[0].action, AuditAction::RollbackRequested);
        assert_eq!(canary.script.len(), 3);
        assert!(matches!(
            canary.script[0].change,
            Change::Measurement { .. }
        ));
        assert_eq!(
            set.drill(&DrillId::from("nope")).unwrap_err().code(),
            crate::ErrorCode::NotFound
        );
    }

    #[test]
    fn mistakes_name_their_line_and_key() {
        let e = error_of(&MINIMAL.replace("why = \"w2\"", "why = \"w2\"\nwho = \"x\""));
        assert_eq!(e.line, 17, "{e}");
        assert!(e.message.contains("unknown field `who`"), "{e}");

        let e = error_of(&MINIMAL.replace("\"retrain_requested\"", "\"executed\""));
        assert_eq!(e.line, 17, "{e}");
        assert!(
            e.message.contains("`executed` is not one a trainee takes"),
            "{e}"
        );

        let two_kinds = MINIMAL.replace(
            "hints = [\"one\", \"two\"]",
            "hints = [\"one\", \"two\"]\n\n[[drills.script]]\nat = 3\nstream = { windows = 2 }\nbatch = { id = \"b\", schema_violations = 1, missing_rate = 0 }",
        );
        let e = error_of(&two_kinds);
        assert_eq!(e.line, 8, "{e}");
        assert!(e.message.contains("exactly one of"), "{e}");

        let unordered = MINIMAL.replace(
            "hints = [\"one\", \"two\"]",
            "hints = [\"one\", \"two\"]\n[[drills.script]]\nat = 9\nstream = { windows = 2 }\n[[drills.script]]\nat = 3\nstream = { windows = 2 }",
        );
        let e = error_of(&unordered);
        assert_eq!(e.line, 11, "{e}");
        assert!(e.message.contains("in order of `at`"), "{e}");

        let e = error_of(&MINIMAL.replace("goal = \"g\"", "goal = \"g\"\nroles = [\"boss\"]"));
        assert_eq!(e.line, 6, "{e}");
        assert!(e.message.contains("unknown role `boss`"), "{e}");

        let e = error_of(&format!(
            "{MINIMAL}\n[[drills]]\nid = \"d\"\ntitle = \"t\"\ngoal = \"g\"\n"
        ));
        assert!(e.message.contains("drill `d` is defined twice"), "{e}");
        assert_eq!(error_of("").message, "the file has no `[[drills]]`");
    }

    #[test]
    fn the_runbook_in_order_scores_full_marks() {
        let set = DrillSet::parse(MINIMAL, DRILLS_FILE).unwrap();
        let drill = &set.drills[0];
        let log = log(
            "sam",
            &[
                (
                    5,
                    "dana",
                    AuditAction::Requested,
                    "churn@champion",
                    Some("6"),
                ),
                (
                    12,
                    "sam",
                    AuditAction::Quarantined,
                    "batch:b1",
                    Some("quarantined"),
                ),
                (
                    30,
                    "sam",
                    AuditAction::Executed,
                    "churn@production",
                    Some("2"),
                ),
                (
                    40,
                    "sam",
                    AuditAction::RetrainRequested,
                    "churn",
                    Some("churn-models"),
                ),
                (
                    55,
                    "sam",
                    AuditAction::DrillFinished,
                    "drill:d",
                    Some("passed"),
                ),
                (70, "sam", AuditAction::Approved, "churn@production", None),
            ],
        );
        let d = debrief(drill, &log, Timestamp(9_999_999)).unwrap();
        let marks: Vec<(AuditAction, ActionMark, Option<u32>)> = d
            .actions
            .iter()
            .map(|a| (a.action, a.mark, a.step))
            .collect();
        // Another user's action, a consequence and what came after the finish are not the
        // trainee's doing in this drill.
        assert_eq!(
            marks,
            [
                (AuditAction::Quarantined, ActionMark::Expected, Some(1)),
                (AuditAction::RetrainRequested, ActionMark::Expected, Some(2)),
            ]
        );
        assert_eq!(d.actions[1].offset_secs, 40);
        assert_eq!(
            (d.score, d.outcome, d.seconds),
            (100, DrillOutcome::Passed, 55)
        );
        assert!(d.missed.is_empty());
        assert_eq!(d.trainee, UserName::from("sam"));
    }

    #[test]
    fn out_of_order_unexpected_refused_and_missing_steps_are_named_and_cost_points() {
        let set = DrillSet::parse(MINIMAL, DRILLS_FILE).unwrap();
        let drill = &set.drills[0];
        let log = log(
            "sam",
            &[
                (3, "sam", AuditAction::HintTaken, "drill:d", Some("1")),
                (
                    4,
                    "sam",
                    AuditAction::RetrainRequested,
                    "churn",
                    Some("data-platform"),
                ),
                (6, "sam", AuditAction::Denied, "churn@production", None),
                (
                    8,
                    "sam",
                    AuditAction::RetrainRequested,
                    "churn",
                    Some("churn-models"),
                ),
                (
                    9,
                    "sam",
                    AuditAction::RetrainRequested,
                    "churn",
                    Some("churn-models"),
                ),
            ],
        );
        let d = debrief(drill, &log, Timestamp(1_000_000 + 20_000)).unwrap();
        let marks: Vec<ActionMark> = d.actions.iter().map(|a| a.mark).collect();
        assert_eq!(
            marks,
            [
                ActionMark::Unexpected,
                ActionMark::Unexpected,
                ActionMark::OutOfOrder,
                ActionMark::Unexpected,
            ]
        );
        assert_eq!(d.actions[0].comment, "not in the runbook");
        assert!(
            d.actions[1].comment.starts_with("refused: "),
            "{}",
            d.actions[1].comment
        );
        assert_eq!(d.actions[2].comment, "step 2 (second), taken before step 1");
        assert_eq!(
            d.actions[3].comment,
            "a runbook step already taken, taken again"
        );
        assert_eq!(
            d.missed,
            [MissedStep {
                step: 1,
                title: "first".into(),
                why: "w1".into()
            }]
        );
        assert_eq!(d.hints_used, 1);
        // Half of one step of two = 25, less 3 × 10 for the unexpected actions, less 5 for the
        // hint: nothing left.
        assert_eq!(d.score, 0);
        assert_eq!(
            (d.outcome, d.seconds, d.finished_at),
            (DrillOutcome::InProgress, 20, None)
        );
    }

    #[test]
    fn giving_up_and_hints_are_read_from_the_log() {
        let set = DrillSet::parse(MINIMAL, DRILLS_FILE).unwrap();
        let drill = &set.drills[0];
        let log = log(
            "sam",
            &[
                (2, "sam", AuditAction::HintTaken, "drill:d", Some("1")),
                (3, "sam", AuditAction::Quarantined, "batch:b1", None),
                (
                    9,
                    "sam",
                    AuditAction::DrillFinished,
                    "drill:d",
                    Some("gave_up"),
                ),
            ],
        );
        let d = debrief(drill, &log, Timestamp(0)).unwrap();
        assert_eq!(
            (d.outcome, d.score, d.seconds),
            (DrillOutcome::GaveUp, 45, 9)
        );
        let run = DrillRun {
            drill: drill.id.clone(),
            trainee: UserName::from("sam"),
            origin: "/w".into(),
            started_at: Timestamp(1_000_000),
            applied: 0,
        };
        let status = drill_status(drill, &run, &log[..3], "/w/drills/d", Timestamp(1_004_500));
        assert_eq!(status.hints_taken, ["one"]);
        assert_eq!((status.elapsed_secs, status.finished), (4, false));
        assert_eq!(
            next_hint(drill, &run.trainee, &log[..3]).unwrap(),
            (2, "two")
        );
        let mut asked_twice = log[..3].to_vec();
        asked_twice.push(AuditEvent {
            seq: 4,
            ..log[2].clone()
        });
        let all_given = next_hint(drill, &run.trainee, &asked_twice).unwrap_err();
        assert_eq!(
            all_given.to_string(),
            "all 2 hints of this drill were given"
        );
        assert!(
            debrief(drill, &log[..1], Timestamp(0)).is_err(),
            "no start, no debrief"
        );
    }

    #[test]
    fn script_events_fall_due_in_order_from_the_start() {
        let set = set();
        let drill = set.drill(&DrillId::from("canary-rollback")).unwrap();
        let mut run = DrillRun {
            drill: drill.id.clone(),
            trainee: UserName::from("sam"),
            origin: "/w".into(),
            started_at: Timestamp(1_000_000),
            applied: 0,
        };
        let due = |run: &DrillRun, secs: i64| -> Vec<u32> {
            due_events(drill, run, Timestamp(1_000_000 + secs * 1000))
                .map(|(i, _)| i)
                .collect()
        };
        assert_eq!(due(&run, 2), Vec::<u32>::new());
        assert_eq!(due(&run, 9), [0, 1]);
        run.applied = 2;
        assert_eq!(due(&run, 9), Vec::<u32>::new());
        assert_eq!(due(&run, 600), [2]);
        let reading = drill.script[0]
            .change
            .readings(
                &ModelName::from("churn"),
                Some(&VersionId::from("3")),
                Timestamp(5),
            )
            .unwrap();
        assert_eq!(reading[0].source, "canary:churn-v3");
        assert_eq!(reading[0].value, 2.35);
    }

    #[test]
    fn drills_refuse_connected_back_ends_copy_or_not() {
        let demo = Policy::parse(POLICY, "gatehouse.toml").unwrap();
        ensure_safe(&demo, false).unwrap();
        ensure_safe(&demo, true).unwrap();
        let mlflow = POLICY.replace(
            "[backends.registry]\nkind = \"embedded\"",
            "[backends.registry]\nkind = \"mlflow\"\nurl = \"http://127.0.0.1:5000\"",
        );
        let connected = Policy::parse(&mlflow, "gatehouse.toml").unwrap();
        let refused = ensure_safe(&connected, false).unwrap_err();
        assert_eq!(refused.code(), crate::ErrorCode::Blocked);
        assert!(
            refused
                .to_string()
                .contains("registry is mlflow at http://127.0.0.1:5000"),
            "{refused}"
        );
        let team = Policy::parse(
            &format!("{POLICY}\n[store]\nurl = \"postgres://127.0.0.1:5432/gatehouse\"\ncredential = \"team-store\"\n"),
            "gatehouse.toml",
        )
        .unwrap();
        let refused = ensure_safe(&team, false).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("team store at postgres://127.0.0.1:5432/gatehouse"),
            "{refused}"
        );
        let edited = ensure_safe(&connected, true).unwrap_err();
        assert!(
            edited
                .to_string()
                .contains("drill copy's policy was changed"),
            "{edited}"
        );
    }

    #[test]
    fn the_trainee_gets_the_drill_s_roles_in_the_copy() {
        let approver: BTreeSet<Role> = [Role::Approver].into();
        let text = policy_for_trainee(POLICY, &UserName::from("newcomer"), &approver).unwrap();
        let p = Policy::parse(&text, "gatehouse.toml").unwrap();
        assert_eq!(p.users[&UserName::from("newcomer")].roles, approver);
        // A demo user keeps their roles and gains the drill's.
        let operator: BTreeSet<Role> = [Role::Operator].into();
        let text = policy_for_trainee(POLICY, &UserName::from("priya"), &operator).unwrap();
        let p = Policy::parse(&text, "gatehouse.toml").unwrap();
        assert_eq!(
            p.users[&UserName::from("priya")].roles,
            [Role::Operator, Role::Approver].into()
        );
        assert_eq!(
            p.users[&UserName::from("sam")].roles,
            [Role::Viewer].into(),
            "other users keep theirs"
        );
    }

    #[test]
    fn cards_show_the_best_result_and_the_team_counts_passed_drills() {
        let set = set();
        let result = |user: &str, drill: &str, score, seconds, outcome| DrillResult {
            user: UserName::from(user),
            drill: DrillId::from(drill),
            finished_at: Timestamp(seconds * 1000),
            seconds,
            score,
            hints: 0,
            outcome,
        };
        let results = [
            result("sam", "canary-rollback", 100, 90, DrillOutcome::Passed),
            result("sam", "canary-rollback", 100, 60, DrillOutcome::Passed),
            result("sam", "canary-rollback", 100, 30, DrillOutcome::GaveUp),
            result("sam", "schema-break", 40, 30, DrillOutcome::Incomplete),
            result("zoe", "canary-rollback", 90, 30, DrillOutcome::Passed),
            result("zoe", "retired-drill", 90, 30, DrillOutcome::Passed),
        ];
        let cards = drill_cards(&set, &UserName::from("sam"), &results);
        let canary = cards
            .iter()
            .find(|c| c.id.as_str() == "canary-rollback")
            .unwrap();
        assert_eq!(
            (canary.runs, canary.best.as_ref().unwrap().seconds),
            (3, 60)
        );
        assert!(cards
            .iter()
            .find(|c| c.id.as_str() == "feature-drift")
            .unwrap()
            .best
            .is_none());

        let policy = Policy::parse(POLICY, "gatehouse.toml").unwrap();
        let tour = crate::learn::Tour::parse(crate::learn::DEFAULT_TOUR, "tour.toml").unwrap();
        let mut members = crate::learn::team_progress(&tour, &policy, &[]);
        with_drills(&mut members, &set, &results);
        let of = |u: &str| members.iter().find(|m| m.user.as_str() == u).unwrap();
        assert_eq!((of("sam").drills_passed, of("sam").drills_total), (1, 4));
        assert_eq!(of("sam").last_at, Some(Timestamp(90_000)));
        assert_eq!((of("zoe").drills_passed, of("zoe").known), (1, false));
        assert_eq!(of("priya").drills_passed, 0);
    }
}
