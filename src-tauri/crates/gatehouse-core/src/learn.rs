//! Learn mode: the guided tour of the loop and each user's progress through it.
//!
//! The tour is data, not code: a TOML file (`learn/tour.toml` in the workspace, the default under
//! `assets/learn/`) lists steps in loop order, each aimed at a stage, a gate or nothing. Parsing is
//! strict like the policy's: unknown keys, unknown placeholders and bad targets name their line.
//! [`tour_view`] fills the placeholders from the team's own policy and attaches each step's live
//! state from the [`LoopStatus`], so the tour speaks of this team's owners and gates as they are.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::error::Error;
use crate::gate::{GateId, GateState};
use crate::policy::{Owner, Policy, PolicyError, UserName};
use crate::reading::{string_id, ModelName, SignalName};
use crate::stage::Stage;
use crate::status::{LoopStatus, StageState};
use crate::time::Timestamp;

/// Where the tour lives inside a workspace, beside `gatehouse.toml`.
pub const TOUR_FILE: &str = "learn/tour.toml";

/// The default tour, written into demo workspaces and used by workspaces that have none.
pub const DEFAULT_TOUR: &str = include_str!("../../../../assets/learn/tour.toml");

string_id!(
    /// A tour step's identifier, such as `data-quality`.
    StepId
);

/// What a step points at, and what "Show me" highlights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TourTarget {
    /// Nothing on the diagram: an introduction or a conclusion.
    None,
    /// A stage box.
    Stage {
        /// Which stage.
        stage: Stage,
    },
    /// A gate's stop node.
    Gate {
        /// Which gate.
        gate: GateId,
    },
}

impl TourTarget {
    /// Reads `none`, `stage:<stage>` or `gate:<gate id>`.
    fn parse(text: &str) -> Result<TourTarget, String> {
        let stages = || {
            Stage::ALL
                .iter()
                .map(|s| s.id())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match text.split_once(':') {
            None if text == "none" => Ok(TourTarget::None),
            Some(("stage", id)) => Stage::from_id(id)
                .map(|stage| TourTarget::Stage { stage })
                .ok_or_else(|| format!("`target` names no stage `{id}` (stages: {})", stages())),
            Some(("gate", id)) if is_identifier(id) => Ok(TourTarget::Gate {
                gate: GateId::from(id),
            }),
            _ => Err(format!(
                "`target` must be `none`, `stage:<stage>` or `gate:<gate id>`, not `{text}`"
            )),
        }
    }
}

/// A placeholder a step's text may hold, filled from the team's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placeholder {
    /// The model the panel follows.
    Model,
    /// The gate's owner with their contact.
    Owner,
    /// The gate's checks with their bounds.
    Checks,
    /// How many approvals a production move needs.
    Approvals,
    /// The target's state right now.
    State,
}

impl Placeholder {
    const ALL: [Placeholder; 5] = [
        Placeholder::Model,
        Placeholder::Owner,
        Placeholder::Checks,
        Placeholder::Approvals,
        Placeholder::State,
    ];

    fn name(self) -> &'static str {
        match self {
            Placeholder::Model => "model",
            Placeholder::Owner => "owner",
            Placeholder::Checks => "checks",
            Placeholder::Approvals => "approvals",
            Placeholder::State => "state",
        }
    }
}

/// One step of the tour as written.
#[derive(Debug, Clone, PartialEq)]
pub struct TourStep {
    /// Unique within the tour.
    pub id: StepId,
    /// What it points at.
    pub target: TourTarget,
    /// One line.
    pub title: String,
    /// What the stage produces or the gate protects (Markdown-lite paragraphs).
    pub body: String,
    /// What fails without it.
    pub without_it: String,
    /// What good looks like.
    pub good: String,
    /// Signals that feed it, as written (a gate's checks add theirs in the view).
    pub signals: Vec<SignalName>,
}

/// A parsed, validated tour.
#[derive(Debug, Clone, PartialEq)]
pub struct Tour {
    /// Its title.
    pub title: String,
    /// The steps in order.
    pub steps: Vec<TourStep>,
}

impl Tour {
    /// Parses and validates tour text. `file` names the file in error messages, which give the
    /// line of the problem like the policy's do.
    pub fn parse(text: &str, file: &str) -> Result<Tour, PolicyError> {
        let err_at = |offset: usize, message: String| PolicyError {
            file: file.to_owned(),
            line: line_of(text, offset),
            message,
        };
        let raw: raw::Tour = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            err_at(offset, e.message().trim().to_owned())
        })?;
        raw.validate(text)
            .map_err(|(offset, message)| err_at(offset, message))
    }

    /// The step with this id.
    pub fn step(&self, id: &StepId) -> Option<&TourStep> {
        self.steps.iter().find(|s| &s.id == id)
    }
}

/// Where the tour shown came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TourSource {
    /// The workspace's own `learn/tour.toml`.
    Workspace,
    /// The default built into Gatehouse (the workspace has no tour file).
    Default,
}

/// A step's target as it stands now in this team's loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepLive {
    /// The step points at nothing on the diagram.
    None,
    /// A stage and its state.
    Stage {
        /// Which stage.
        stage: Stage,
        /// Its state now.
        state: StageState,
        /// What it holds now, such as `production → 3`; may be empty.
        detail: String,
    },
    /// A gate, its state and its owner.
    Gate {
        /// Which gate.
        gate: GateId,
        /// Its name for people.
        title: String,
        /// Its state now.
        state: GateState,
        /// Why it is in that state, in one line.
        summary: String,
        /// Who owns it in this team.
        owner: Owner,
    },
    /// The step names a gate this team's policy does not define.
    Missing {
        /// Which gate.
        gate: GateId,
    },
}

/// A step as the Learn view shows it: placeholders filled, live state attached, done or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct StepView {
    /// The step's id.
    pub id: StepId,
    /// What "Show me" highlights.
    pub target: TourTarget,
    /// One line.
    pub title: String,
    /// What the stage produces or the gate protects (Markdown-lite).
    pub body: String,
    /// What fails without it.
    pub without_it: String,
    /// What good looks like.
    pub good: String,
    /// Signals that feed it: the gate's checks' signals first, then those the tour names.
    pub signals: Vec<SignalName>,
    /// The target as it stands now.
    pub live: StepLive,
    /// One sentence about the target in this team now, such as "In your team, the Promotion gate
    /// is owned by Release council (#ml-releases) and is pending right now."; empty for none.
    pub in_your_team: String,
    /// When the acting user marked the step done.
    pub done_at: Option<Timestamp>,
}

/// The tour for one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct TourView {
    /// The tour's title.
    pub title: String,
    /// Whether it is the workspace's own file or the default.
    pub source: TourSource,
    /// The model the loop follows.
    pub model: ModelName,
    /// Whose progress is shown.
    pub user: UserName,
    /// The steps in order.
    pub steps: Vec<StepView>,
    /// How many steps the user has done.
    pub completed: usize,
}

/// One item of learning a user finished.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LearnItem {
    /// A tour step.
    Step(StepId),
}

impl LearnItem {
    /// The key the store keeps it under: `step:<id>` (drills will add their own prefix).
    pub fn key(&self) -> String {
        match self {
            LearnItem::Step(id) => format!("step:{id}"),
        }
    }

    /// The item a stored key names, if this version knows its kind.
    pub fn from_key(key: &str) -> Option<LearnItem> {
        match key.split_once(':') {
            Some(("step", id)) if !id.is_empty() => Some(LearnItem::Step(StepId::from(id))),
            _ => None,
        }
    }
}

/// A step a user completed, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Completion {
    /// The step.
    pub step: StepId,
    /// When it was first marked done.
    pub at: Timestamp,
}

/// What one user has done in Learn mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct LearnProgress {
    /// Whose progress.
    pub user: UserName,
    /// Completed tour steps, oldest first.
    pub steps: Vec<Completion>,
}

impl LearnProgress {
    /// Progress with nothing done.
    pub fn empty(user: UserName) -> LearnProgress {
        LearnProgress {
            user,
            steps: Vec::new(),
        }
    }

    /// Progress built from stored items, oldest first; items of kinds this version does not know
    /// are left out.
    pub fn from_items(
        user: UserName,
        items: impl IntoIterator<Item = (String, Timestamp)>,
    ) -> Self {
        let mut steps: Vec<Completion> = items
            .into_iter()
            .filter_map(|(key, at)| match LearnItem::from_key(&key)? {
                LearnItem::Step(step) => Some(Completion { step, at }),
            })
            .collect();
        steps.sort_by(|a, b| (a.at, &a.step).cmp(&(b.at, &b.step)));
        LearnProgress { user, steps }
    }

    fn done_at(&self, step: &StepId) -> Option<Timestamp> {
        self.steps.iter().find(|c| &c.step == step).map(|c| c.at)
    }
}

/// Where Learn progress is kept (the workspace database).
pub trait ProgressStore {
    /// Records that `user` finished `item` at `at`. Idempotent: a second record keeps the first
    /// time.
    fn record_completion(
        &self,
        user: &UserName,
        item: &LearnItem,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// What `user` has done.
    fn progress(
        &self,
        user: &UserName,
    ) -> impl Future<Output = Result<LearnProgress, Error>> + Send;

    /// What every user who did anything has done, by login.
    fn all_progress(&self) -> impl Future<Output = Result<Vec<LearnProgress>, Error>> + Send;
}

/// Marks `step` of `tour` done for `user` at `now`, refusing steps the tour does not have, and
/// returns the user's progress.
pub async fn complete_step(
    tour: &Tour,
    store: &impl ProgressStore,
    user: &UserName,
    step: &StepId,
    now: Timestamp,
) -> Result<LearnProgress, Error> {
    if tour.step(step).is_none() {
        return Err(Error::NotFound(format!("the tour has no step `{step}`")));
    }
    store
        .record_completion(user, &LearnItem::Step(step.clone()), now)
        .await?;
    store.progress(user).await
}

/// One user's progress as the team view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct MemberProgress {
    /// The login.
    pub user: UserName,
    /// A name for people.
    pub display_name: String,
    /// Whether the policy knows the user.
    pub known: bool,
    /// Steps of the current tour done.
    pub completed: usize,
    /// Steps in the current tour.
    pub total: usize,
    /// When they last marked a step done or finished a drill.
    pub last_at: Option<Timestamp>,
    /// Drills passed (filled by [`crate::drill::with_drills`]).
    pub drills_passed: usize,
    /// Drills there are.
    pub drills_total: usize,
}

/// The team's progress through the tour: every user of the policy, then anyone else who has
/// progress. Only steps the tour still has count.
pub fn team_progress(tour: &Tour, policy: &Policy, all: &[LearnProgress]) -> Vec<MemberProgress> {
    let steps: BTreeSet<&StepId> = tour.steps.iter().map(|s| &s.id).collect();
    let by_user: BTreeMap<&UserName, &LearnProgress> = all.iter().map(|p| (&p.user, p)).collect();
    let member = |user: &UserName, display_name: String, known: bool| {
        let counted: Vec<&Completion> = by_user
            .get(user)
            .map(|p| p.steps.iter().filter(|c| steps.contains(&c.step)).collect())
            .unwrap_or_default();
        MemberProgress {
            user: user.clone(),
            display_name,
            known,
            completed: counted.len(),
            total: tour.steps.len(),
            last_at: counted.iter().map(|c| c.at).max(),
            drills_passed: 0,
            drills_total: 0,
        }
    };
    let mut members: Vec<MemberProgress> = policy
        .users
        .values()
        .map(|u| member(&u.name, u.display_name.clone(), true))
        .collect();
    for p in all {
        if !policy.users.contains_key(&p.user) {
            members.push(member(&p.user, p.user.to_string(), false));
        }
    }
    members
}

/// The tour for `progress.user`: every step with its placeholders filled from `policy`, its
/// target's state from `status`, and whether the user has done it.
pub fn tour_view(
    tour: &Tour,
    source: TourSource,
    policy: &Policy,
    status: &LoopStatus,
    progress: &LearnProgress,
) -> TourView {
    let steps: Vec<StepView> = tour
        .steps
        .iter()
        .map(|step| step_view(step, policy, status, progress))
        .collect();
    TourView {
        title: tour.title.clone(),
        source,
        model: policy.model.clone(),
        user: progress.user.clone(),
        completed: steps.iter().filter(|s| s.done_at.is_some()).count(),
        steps,
    }
}

fn step_view(
    step: &TourStep,
    policy: &Policy,
    status: &LoopStatus,
    progress: &LearnProgress,
) -> StepView {
    let live = live_of(&step.target, status);
    let spec = match &step.target {
        TourTarget::Gate { gate } => policy.gates.iter().find(|g| &g.id == gate),
        TourTarget::None | TourTarget::Stage { .. } => None,
    };
    let mut signals: Vec<SignalName> = Vec::new();
    let from_checks = spec
        .into_iter()
        .flat_map(|g| g.checks.iter().map(|c| &c.signal));
    for signal in from_checks.chain(step.signals.iter()) {
        if !signals.contains(signal) {
            signals.push(signal.clone());
        }
    }
    let value = |p: Placeholder| -> String {
        match p {
            Placeholder::Model => policy.model.to_string(),
            Placeholder::Approvals => {
                let n = policy
                    .promotion
                    .approvals_for(&policy.promotion.production_pointer);
                format!("{n} {}", if n == 1 { "approval" } else { "approvals" })
            }
            Placeholder::Owner => match &live {
                StepLive::Gate { owner, .. } => owner_text(owner),
                StepLive::None | StepLive::Stage { .. } | StepLive::Missing { .. } => {
                    "nobody yet (the gate is not in this team's policy)".into()
                }
            },
            Placeholder::Checks => match spec {
                Some(g) if !g.checks.is_empty() => g
                    .checks
                    .iter()
                    .map(|c| format!("{} {}", c.id, c.expected()))
                    .collect::<Vec<_>>()
                    .join(", "),
                Some(_) | None => "none configured yet".into(),
            },
            Placeholder::State => match &live {
                StepLive::Gate { state, .. } => state.id().into(),
                StepLive::Stage { state, .. } => stage_state_word(*state).into(),
                StepLive::None | StepLive::Missing { .. } => "unknown".into(),
            },
        }
    };
    let fill = |text: &str| fill_placeholders(text, &value);
    StepView {
        id: step.id.clone(),
        target: step.target.clone(),
        title: fill(&step.title),
        body: fill(&step.body),
        without_it: fill(&step.without_it),
        good: fill(&step.good),
        signals,
        in_your_team: in_your_team(&live),
        live,
        done_at: progress.done_at(&step.id),
    }
}

fn live_of(target: &TourTarget, status: &LoopStatus) -> StepLive {
    match target {
        TourTarget::None => StepLive::None,
        TourTarget::Stage { stage } => {
            match status.stages.iter().find(|s| s.id == *stage) {
                Some(s) => StepLive::Stage {
                    stage: *stage,
                    state: s.state,
                    detail: s.detail.clone(),
                },
                // Every status lists all seven stages; an absent one can only be unknown.
                None => StepLive::Stage {
                    stage: *stage,
                    state: StageState::Unknown,
                    detail: String::new(),
                },
            }
        }
        TourTarget::Gate { gate } => match status.gates.iter().find(|g| &g.id == gate) {
            Some(g) => StepLive::Gate {
                gate: g.id.clone(),
                title: g.title.clone(),
                state: g.state,
                summary: g.summary.clone(),
                owner: g.owner.clone(),
            },
            None => StepLive::Missing { gate: gate.clone() },
        },
    }
}

fn owner_text(owner: &Owner) -> String {
    match &owner.contact {
        Some(contact) => format!("{} ({contact})", owner.name),
        None => owner.name.clone(),
    }
}

fn stage_state_word(state: StageState) -> &'static str {
    match state {
        StageState::Open => "open",
        StageState::Held => "held",
        StageState::Waiting => "waiting",
        StageState::Unknown => "unknown",
    }
}

fn in_your_team(live: &StepLive) -> String {
    match live {
        StepLive::None => String::new(),
        StepLive::Stage { stage, state, .. } => format!(
            "In your team, the {} stage is {} right now.",
            stage.title(),
            stage_state_word(*state)
        ),
        StepLive::Gate {
            title,
            state,
            owner,
            ..
        } => {
            let owned = if owner.assigned {
                format!("is owned by {}", owner_text(owner))
            } else {
                format!("has no owner yet (it should be the {})", owner.id)
            };
            format!(
                "In your team, the {title} gate {owned} and is {} right now.",
                state.id()
            )
        }
        StepLive::Missing { gate } => format!(
            "Your team's policy has no gate `{gate}`: add it to gatehouse.toml or change this step."
        ),
    }
}

/// Replaces every `{name}` of a known placeholder; other braces are left alone (parsing has
/// already refused unknown placeholders).
fn fill_placeholders(text: &str, value: &impl Fn(Placeholder) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let known = after.find('}').and_then(|close| {
            let name = &after[..close];
            Placeholder::ALL
                .into_iter()
                .find(|p| p.name() == name)
                .map(|p| (p, close))
        });
        match known {
            Some((p, close)) => {
                out.push_str(&value(p));
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}` placeholders in `text` (names of lowercase letters and `_`), with their byte
/// offsets.
fn placeholders_in(text: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find('{').map(|i| i + from) {
        let after = &text[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with('}') {
            found.push((open, &after[..name_len]));
        }
        from = open + 1;
    }
    found
}

pub(crate) fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

/// The 1-based line on which byte `offset` of `text` stands.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The file's shape as written, with spans for values checked after parsing.
mod raw {
    use super::*;

    type Invalid = (usize, String);

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Tour {
        tour: Spanned<Header>,
        #[serde(default)]
        steps: Vec<Spanned<Step>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Header {
        title: Spanned<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Step {
        id: Spanned<String>,
        target: Spanned<String>,
        title: Spanned<String>,
        body: Spanned<String>,
        without_it: Spanned<String>,
        good: Spanned<String>,
        #[serde(default)]
        signals: Vec<Spanned<String>>,
    }

    impl Tour {
        pub fn validate(self, text: &str) -> Result<super::Tour, Invalid> {
            let tour_at = self.tour.span().start;
            let header = self.tour.into_inner();
            let title = non_empty(header.title, "`tour.title`")?;
            if self.steps.is_empty() {
                return Err((tour_at, "the tour has no `[[steps]]`".into()));
            }
            let mut seen = BTreeSet::new();
            let mut steps = Vec::new();
            for step in self.steps {
                let step = step.into_inner();
                let id = step.id.get_ref().clone();
                if !is_identifier(&id) {
                    return Err((
                        step.id.span().start,
                        format!(
                            "step `{id}`: an id may hold only letters, digits, `-`, `_` and `.`"
                        ),
                    ));
                }
                if !seen.insert(id.clone()) {
                    return Err((
                        step.id.span().start,
                        format!("step `{id}` is defined twice"),
                    ));
                }
                let target = TourTarget::parse(step.target.get_ref())
                    .map_err(|m| (step.target.span().start, format!("step `{id}`: {m}")))?;
                let mut fields = Vec::new();
                for (key, value) in [
                    ("title", step.title),
                    ("body", step.body),
                    ("without_it", step.without_it),
                    ("good", step.good),
                ] {
                    check_placeholders(&value, text, &id, key, &target)?;
                    fields.push(non_empty(value, &format!("step `{id}`: `{key}`"))?);
                }
                let mut signals = Vec::new();
                for s in step.signals {
                    if !is_identifier(s.get_ref()) {
                        return Err((
                            s.span().start,
                            format!("step `{id}`: `{}` is not a signal name", s.get_ref()),
                        ));
                    }
                    signals.push(SignalName(s.into_inner()));
                }
                let mut fields = fields.into_iter();
                let mut next = || fields.next().unwrap_or_default();
                steps.push(TourStep {
                    id: StepId(id),
                    target,
                    title: next(),
                    body: next(),
                    without_it: next(),
                    good: next(),
                    signals,
                });
            }
            Ok(super::Tour { title, steps })
        }
    }

    fn non_empty(value: Spanned<String>, what: &str) -> Result<String, Invalid> {
        if value.get_ref().trim().is_empty() {
            return Err((value.span().start, format!("{what} must not be empty")));
        }
        Ok(value.into_inner().trim().to_owned())
    }

    /// Refuses unknown placeholders, and `{owner}`, `{checks}` or `{state}` where the step has
    /// no target to take them from, naming the line of the placeholder itself.
    fn check_placeholders(
        value: &Spanned<String>,
        text: &str,
        id: &str,
        key: &str,
        target: &TourTarget,
    ) -> Result<(), Invalid> {
        let span = value.span();
        let source = text.get(span.start..span.end).unwrap_or_default();
        for (_, name) in placeholders_in(value.get_ref()) {
            // The placeholder appears verbatim in the source (braces are never escaped), so its
            // offset there gives its line even inside a multi-line string.
            let at = source
                .find(&format!("{{{name}}}"))
                .map(|i| span.start + i)
                .unwrap_or(span.start);
            let Some(p) = Placeholder::ALL.into_iter().find(|p| p.name() == name) else {
                let known: Vec<String> = Placeholder::ALL
                    .iter()
                    .map(|p| format!("{{{}}}", p.name()))
                    .collect();
                return Err((
                    at,
                    format!(
                        "step `{id}`: `{key}` uses an unknown placeholder `{{{name}}}` (known: {})",
                        known.join(", ")
                    ),
                ));
            };
            let fits = match (p, target) {
                (Placeholder::Model | Placeholder::Approvals, _) => true,
                (Placeholder::Owner | Placeholder::Checks, TourTarget::Gate { .. }) => true,
                (Placeholder::State, TourTarget::Gate { .. } | TourTarget::Stage { .. }) => true,
                (Placeholder::Owner | Placeholder::Checks, _) | (Placeholder::State, _) => false,
            };
            if !fits {
                let needs = match p {
                    Placeholder::State => "a stage or gate target",
                    Placeholder::Model
                    | Placeholder::Approvals
                    | Placeholder::Owner
                    | Placeholder::Checks => "a gate target",
                };
                return Err((
                    at,
                    format!("step `{id}`: `{key}` uses `{{{name}}}`, which needs {needs}"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::POLICY;
    use crate::gate::{Evidence, GateStatus};
    use crate::status::StageStatus;

    const HEAD: &str = "[tour]\ntitle = \"T\"\n";

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        // The stores here never wait on anything, so a no-op waker polled once suffices.
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the memory store never waits"),
        }
    }

    fn step(id: &str, target: &str, body: &str) -> String {
        format!(
            "[[steps]]\nid = \"{id}\"\ntarget = \"{target}\"\ntitle = \"A\"\nbody = \"{body}\"\nwithout_it = \"W\"\ngood = \"G\"\n"
        )
    }

    fn error_of(text: &str) -> String {
        match Tour::parse(text, TOUR_FILE) {
            Ok(_) => "accepted".into(),
            Err(e) => format!("line {}: {}", e.line, e.message),
        }
    }

    fn check_error(text: &str, line: usize, needle: &str) {
        let got = error_of(text);
        assert!(
            got.starts_with(&format!("line {line}: ")) && got.contains(needle),
            "expected line {line} with {needle:?}, got {got:?}"
        );
    }

    #[test]
    fn the_default_tour_walks_every_stage_and_default_gate_in_loop_order() {
        let tour = Tour::parse(DEFAULT_TOUR, TOUR_FILE).unwrap();
        let targets: Vec<String> = tour
            .steps
            .iter()
            .map(|s| match &s.target {
                TourTarget::None => "none".into(),
                TourTarget::Stage { stage } => format!("stage:{stage}"),
                TourTarget::Gate { gate } => format!("gate:{gate}"),
            })
            .collect();
        assert_eq!(
            targets,
            [
                "none",
                "stage:data",
                "gate:data-quality",
                "stage:train",
                "stage:validate",
                "gate:model-validation",
                "stage:register",
                "gate:promotion",
                "stage:deploy",
                "gate:rollout",
                "stage:monitor",
                "gate:retrain-trigger",
                "stage:retrain",
                "none",
            ]
        );
    }

    #[test]
    fn mistakes_name_their_line() {
        check_error(&format!("{HEAD}colour = 1\n"), 3, "unknown field `colour`");
        check_error(
            &format!("{HEAD}{}titel = \"x\"\n", step("a", "none", "b")),
            10,
            "unknown field `titel`",
        );
        check_error(
            &format!("{HEAD}{}", step("a", "stage:serve", "b")),
            5,
            "names no stage `serve`",
        );
        check_error(
            &format!("{HEAD}{}", step("a", "gates:x", "b")),
            5,
            "`target` must be",
        );
        check_error(
            &format!("{HEAD}{}{}", step("a", "none", "b"), step("a", "none", "b")),
            11,
            "defined twice",
        );
        check_error(
            &format!("{HEAD}{}", step("a", "none", "")),
            7,
            "`body` must not be empty",
        );
        check_error(HEAD, 1, "no `[[steps]]`");
        check_error(
            "[tour]\ntitle = \"T\"\n[[steps]]\nid = \"a\"\n",
            3,
            "missing field `target`",
        );
    }

    #[test]
    fn placeholders_are_checked_where_they_stand() {
        // The unknown placeholder is on the third line of a multi-line body: the error says so.
        let text = format!(
            "{HEAD}[[steps]]\nid = \"a\"\ntarget = \"gate:rollout\"\ntitle = \"A\"\nbody = \"\"\"\nfirst\nsecond {{onwer}}\n\"\"\"\nwithout_it = \"W\"\ngood = \"G\"\n"
        );
        check_error(&text, 9, "unknown placeholder `{onwer}`");
        check_error(
            &format!("{HEAD}{}", step("a", "stage:data", "by {owner}")),
            7,
            "needs a gate target",
        );
        check_error(
            &format!("{HEAD}{}", step("a", "none", "now {state}")),
            7,
            "needs a stage or gate target",
        );
        // Braces that are not placeholders are text.
        assert_eq!(
            error_of(&format!("{HEAD}{}", step("a", "none", "a {JSON: 1} b"))),
            "accepted"
        );
    }

    fn demo_status(policy: &Policy) -> LoopStatus {
        let gate = |id: &str, state: GateState| {
            let spec = policy.gates.iter().find(|g| g.id.as_str() == id).unwrap();
            GateStatus {
                id: spec.id.clone(),
                title: spec.title.clone(),
                from: spec.from,
                to: spec.to,
                state,
                owner: policy.owner_of(spec),
                protects: spec.protects.clone(),
                summary: format!("{id} is {}", state.id()),
                evidence: Vec::<Evidence>::new(),
                active_override: None,
            }
        };
        LoopStatus {
            workspace: policy.name.clone(),
            demo: true,
            model: policy.model.clone(),
            evaluated_at: Timestamp(0),
            stages: Stage::ALL
                .into_iter()
                .map(|stage| StageStatus {
                    id: stage,
                    title: stage.title().into(),
                    state: if stage == Stage::Train {
                        StageState::Held
                    } else {
                        StageState::Open
                    },
                    produces: stage.produces().into(),
                    detail: String::new(),
                })
                .collect(),
            gates: vec![
                gate("data-quality", GateState::Blocked),
                gate("promotion", GateState::Pending),
            ],
        }
    }

    #[test]
    fn the_view_speaks_of_the_team_s_own_owners_checks_and_states() {
        let policy = Policy::parse(POLICY, "gatehouse.toml").unwrap();
        let tour = Tour::parse(DEFAULT_TOUR, TOUR_FILE).unwrap();
        let sam = UserName::from("sam");
        let progress = LearnProgress::from_items(
            sam.clone(),
            [
                ("step:intro".to_owned(), Timestamp(5)),
                ("drill:future".to_owned(), Timestamp(6)),
            ],
        );
        let view = tour_view(
            &tour,
            TourSource::Default,
            &policy,
            &demo_status(&policy),
            &progress,
        );
        assert_eq!(view.completed, 1);
        assert_eq!(view.steps[0].done_at, Some(Timestamp(5)));
        for s in &view.steps {
            for text in [&s.title, &s.body, &s.without_it, &s.good] {
                assert!(
                    placeholders_in(text).is_empty(),
                    "{}: unfilled {text}",
                    s.id
                );
            }
        }
        let promotion = view
            .steps
            .iter()
            .find(|s| s.id.as_str() == "promotion")
            .unwrap();
        assert_eq!(
            promotion.in_your_team,
            "In your team, the Promotion gate is owned by Release council (#ml-releases) and is pending right now."
        );
        assert!(
            promotion.body.contains("needs **2 approvals**"),
            "{}",
            promotion.body
        );
        assert!(promotion.good.ends_with("Right now it is pending."));
        let dq = view
            .steps
            .iter()
            .find(|s| s.id.as_str() == "data-quality")
            .unwrap();
        assert!(
            dq.body
                .contains("Its checks: schema ≤ 0, missing-values ≤ 0.05, freshness ≤ 24."),
            "{}",
            dq.body
        );
        assert!(dq
            .body
            .contains("**Data platform (#data-platform · dana@acme.example)**"));
        assert!(matches!(
            dq.live,
            StepLive::Gate {
                state: GateState::Blocked,
                ..
            }
        ));
        let signals: Vec<&str> = dq.signals.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            signals,
            [
                "data.schema_violations",
                "data.missing_rate",
                "data.freshness_hours"
            ]
        );
        let train = view
            .steps
            .iter()
            .find(|s| s.id.as_str() == "train")
            .unwrap();
        assert_eq!(
            train.in_your_team,
            "In your team, the Train stage is held right now."
        );
        // A gate the status does not list (here: rollout) is reported, not invented.
        let rollout = view
            .steps
            .iter()
            .find(|s| s.id.as_str() == "rollout")
            .unwrap();
        assert!(matches!(rollout.live, StepLive::Missing { .. }));
        assert!(rollout.in_your_team.contains("no gate `rollout`"));
    }

    #[test]
    fn team_progress_counts_only_steps_the_tour_still_has() {
        let policy = Policy::parse(POLICY, "gatehouse.toml").unwrap();
        let tour = Tour::parse(DEFAULT_TOUR, TOUR_FILE).unwrap();
        let all = vec![
            LearnProgress::from_items(
                UserName::from("sam"),
                [
                    ("step:intro".to_owned(), Timestamp(1)),
                    ("step:data".to_owned(), Timestamp(2)),
                    ("step:removed".to_owned(), Timestamp(3)),
                ],
            ),
            LearnProgress::from_items(
                UserName::from("visitor"),
                [("step:intro".to_owned(), Timestamp(4))],
            ),
        ];
        let team = team_progress(&tour, &policy, &all);
        let rows: Vec<(&str, bool, usize, usize, Option<i64>)> = team
            .iter()
            .map(|m| {
                (
                    m.user.as_str(),
                    m.known,
                    m.completed,
                    m.total,
                    m.last_at.map(|t| t.0),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("dana", true, 0, 14, None),
                ("erin", true, 0, 14, None),
                ("marco", true, 0, 14, None),
                ("priya", true, 0, 14, None),
                ("sam", true, 2, 14, Some(2)),
                ("visitor", false, 1, 14, Some(4)),
            ]
        );
    }

    #[test]
    fn completing_refuses_unknown_steps_and_records_known_ones() {
        use std::sync::Mutex;
        struct Memory(Mutex<Vec<(UserName, String, Timestamp)>>);
        impl ProgressStore for Memory {
            async fn record_completion(
                &self,
                user: &UserName,
                item: &LearnItem,
                at: Timestamp,
            ) -> Result<(), Error> {
                let mut rows = self.0.lock().unwrap();
                if !rows.iter().any(|(u, k, _)| u == user && *k == item.key()) {
                    rows.push((user.clone(), item.key(), at));
                }
                Ok(())
            }
            async fn progress(&self, user: &UserName) -> Result<LearnProgress, Error> {
                let rows = self.0.lock().unwrap();
                Ok(LearnProgress::from_items(
                    user.clone(),
                    rows.iter()
                        .filter(|(u, _, _)| u == user)
                        .map(|(_, k, t)| (k.clone(), *t)),
                ))
            }
            async fn all_progress(&self) -> Result<Vec<LearnProgress>, Error> {
                Ok(Vec::new())
            }
        }
        let tour = Tour::parse(DEFAULT_TOUR, TOUR_FILE).unwrap();
        let store = Memory(Mutex::new(Vec::new()));
        let sam = UserName::from("sam");
        let run = |step: &str, at: i64| {
            block_on(complete_step(
                &tour,
                &store,
                &sam,
                &StepId::from(step),
                Timestamp(at),
            ))
        };
        let err = run("nope", 1).unwrap_err();
        assert_eq!(err.to_string(), "the tour has no step `nope`");
        run("intro", 1).unwrap();
        let progress = run("intro", 9).unwrap();
        assert_eq!(
            progress.steps,
            [Completion {
                step: StepId::from("intro"),
                at: Timestamp(1)
            }]
        );
    }
}
