//! The workspace policy, `gatehouse.toml`: back ends, owners, users and roles, gates and their
//! checks. Parsing is strict: unknown keys, wrong types and inconsistent references are errors that
//! name the line and the key, never panics and never silent defaults.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::gate::{fmt_num, GateId};
use crate::reading::{string_id, ModelName, SignalName};
use crate::registry::PointerName;
use crate::stage::Stage;

/// The file name of the policy inside a workspace.
pub const POLICY_FILE: &str = "gatehouse.toml";

string_id!(
    /// The key of an owner (a team or a person) in the policy's `[owners]` table.
    OwnerId
);
string_id!(
    /// A user's login name as the policy knows it.
    UserName
);

/// A policy file that could not be accepted, with where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {line}: {message}")]
pub struct PolicyError {
    /// The file's name as shown to people.
    pub file: String,
    /// The 1-based line of the problem (1 when the problem has no place, such as an empty file).
    pub line: usize,
    /// What is wrong, naming the key.
    pub message: String,
}

/// What a user may do. Roles are granted individually; `admin` implies every other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything.
    Viewer,
    /// Acknowledges alerts and triggers rollbacks.
    Operator,
    /// Approves or rejects promotions.
    Approver,
    /// Edits policy and connections.
    Admin,
}

/// Whether an unmet check blocks its gate or leaves it waiting (for approvals, for a trigger).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Unmet {
    /// The gate blocks: a red stop node.
    Block,
    /// The gate waits: pending.
    Wait,
}

/// The kind of a back end behind a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum BackendKind {
    /// The workspace's own database.
    Embedded,
    /// An MLflow tracking server (registry).
    Mlflow,
    /// A Prometheus server (metrics).
    Prometheus,
    /// An Alertmanager (alerts).
    Alertmanager,
}

/// One back end: its kind, where it is, and the keyring entry that holds its credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Backend {
    /// What kind of back end.
    pub kind: BackendKind,
    /// Its base URL; none for the embedded one.
    pub url: Option<String>,
    /// The name of the keyring entry holding its credential; never the credential itself.
    pub credential: Option<String>,
    /// What a registry's pointers are: aliases, or the legacy stages of older MLflow servers.
    pub pointers: PointerKind,
    /// How often the panel reads a remote back end again, in seconds: its changes do not touch
    /// the workspace, and MLflow's webhooks cannot reach a desktop.
    pub refresh_secs: u32,
}

/// What a registry's pointers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PointerKind {
    /// Named aliases (`champion`): MLflow 2.9 and later, and the embedded registry.
    #[default]
    Aliases,
    /// MLflow's legacy stages (`Staging`, `Production`): a promotion transitions the version's
    /// stage, archiving the version that held it.
    Stages,
}

/// How often a remote back end is read again when the policy does not say.
pub const DEFAULT_REFRESH_SECS: u32 = 30;

impl Backend {
    fn embedded() -> Backend {
        Backend {
            kind: BackendKind::Embedded,
            url: None,
            credential: None,
            pointers: PointerKind::Aliases,
            refresh_secs: DEFAULT_REFRESH_SECS,
        }
    }
}

/// The back end behind each port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Backends {
    /// Where models, versions and pointers live.
    pub registry: Backend,
    /// Where system and drift signals come from.
    pub metrics: Backend,
    /// Where alerts come from.
    pub alerts: Backend,
}

/// The team store: a shared PostgreSQL database that holds the registry, the readings, the
/// requests, their approvals and the audit log in place of the workspace's own file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamStoreSpec {
    /// `postgres://host:port/database`, naming no user and no password.
    pub url: String,
    /// The keyring entry that holds this desktop's login and password.
    pub credential: String,
}

/// A team or person who owns gates, models or alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Owner {
    /// The key in `[owners]`; for an unassigned owner, the role that should own it.
    pub id: OwnerId,
    /// A name for people.
    pub name: String,
    /// How to reach them.
    pub contact: Option<String>,
    /// Who to go to when they do not answer.
    pub escalation: Option<String>,
    /// Users who belong to this owner.
    pub members: Vec<UserName>,
    /// False when the policy names no owner and this stands for the role that should own it.
    pub assigned: bool,
}

impl Owner {
    /// The placeholder for a gate whose owner the policy does not name.
    pub fn unassigned(role: &str) -> Owner {
        Owner {
            id: OwnerId::from(role),
            name: format!("{role} (unassigned)"),
            contact: None,
            escalation: None,
            members: Vec::new(),
            assigned: false,
        }
    }
}

/// A user the policy knows, with their roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct User {
    /// Login name.
    pub name: UserName,
    /// A name for people.
    pub display_name: String,
    /// What they may do.
    pub roles: BTreeSet<Role>,
}

/// A check of a gate: a signal's latest reading must lie within bounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct CheckSpec {
    /// Unique within its gate.
    pub id: String,
    /// What it verifies, for a person.
    pub description: String,
    /// The signal whose latest reading is compared.
    pub signal: SignalName,
    /// The reading must be at least this.
    pub min: Option<f64>,
    /// The reading must be at most this.
    pub max: Option<f64>,
    /// What an out-of-bounds reading does to the gate.
    pub when_unmet: Unmet,
    /// A reading older than this many hours makes the check stale (the gate unknown).
    pub max_age_hours: Option<f64>,
}

impl CheckSpec {
    /// Whether `value` satisfies the bounds. NaN never does.
    pub fn holds(&self, value: f64) -> bool {
        !value.is_nan()
            && self.min.is_none_or(|min| value >= min)
            && self.max.is_none_or(|max| value <= max)
    }

    /// The bounds in words: `≥ 0.8`, `≤ 0`, or `0.1 … 0.9`.
    pub fn expected(&self) -> String {
        match (self.min, self.max) {
            (Some(min), Some(max)) => format!("{} … {}", fmt_num(min), fmt_num(max)),
            (Some(min), None) => format!("≥ {}", fmt_num(min)),
            (None, Some(max)) => format!("≤ {}", fmt_num(max)),
            (None, None) => "any value".into(),
        }
    }
}

/// A gate as the policy defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct GateSpec {
    /// Unique identifier.
    pub id: GateId,
    /// A name for people.
    pub title: String,
    /// The stage before it.
    pub from: Stage,
    /// The stage after it.
    pub to: Stage,
    /// The key of its owner in `[owners]`, or the role that should own it when unassigned.
    pub owner: String,
    /// What it protects against.
    pub protects: String,
    /// Where the runbook for it is, if the policy names one.
    pub runbook: Option<String>,
    /// Its checks, in order.
    pub checks: Vec<CheckSpec>,
}

/// A default gate of the loop (DESIGN §2): present in every workspace, configured by the policy.
struct DefaultGate {
    id: &'static str,
    title: &'static str,
    from: Stage,
    to: Stage,
    owner_role: &'static str,
    protects: &'static str,
}

const DEFAULT_GATES: [DefaultGate; 5] = [
    DefaultGate {
        id: "data-quality",
        title: "Data quality",
        from: Stage::Data,
        to: Stage::Train,
        owner_role: "data owner",
        protects: "training never sees a batch with a broken schema, stale rows or missing labels",
    },
    DefaultGate {
        id: "model-validation",
        title: "Model validation",
        from: Stage::Validate,
        to: Stage::Register,
        owner_role: "model owner",
        protects: "no candidate is registered unless it meets its thresholds and beats the champion on every segment",
    },
    DefaultGate {
        id: "promotion",
        title: "Promotion",
        from: Stage::Register,
        to: Stage::Deploy,
        owner_role: "approvers",
        protects: "production moves only with the approvals the policy demands, never on one person's word",
    },
    DefaultGate {
        id: "rollout",
        title: "Rollout",
        from: Stage::Deploy,
        to: Stage::Monitor,
        owner_role: "release owner",
        protects: "a new version proves itself on live traffic before it takes all of it",
    },
    DefaultGate {
        id: "retrain-trigger",
        title: "Retrain trigger",
        from: Stage::Monitor,
        to: Stage::Retrain,
        owner_role: "on-call owner",
        protects: "drift and quality decay reopen the loop before business metrics drop",
    },
];

/// Who may do what with promotions, and how many approvals each pointer needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct PromotionRules {
    /// The pointer that means "serving in production" (rollback's default, the Deploy stage).
    pub production_pointer: PointerName,
    /// Roles that may request a promotion.
    pub request: BTreeSet<Role>,
    /// Roles that may approve or reject one.
    pub approve: BTreeSet<Role>,
    /// Roles that may roll a pointer back.
    pub rollback: BTreeSet<Role>,
    /// Roles that may pass a request's blocking gates with a reason.
    pub override_gates: BTreeSet<Role>,
    /// Approvals needed per pointer; pointers not named need one.
    pub approvals: BTreeMap<PointerName, u32>,
}

impl PromotionRules {
    /// How many distinct approvals a move of `pointer` needs.
    pub fn approvals_for(&self, pointer: &PointerName) -> u32 {
        self.approvals.get(pointer).copied().unwrap_or(1)
    }
}

impl Default for PromotionRules {
    fn default() -> Self {
        PromotionRules {
            production_pointer: PointerName::from("production"),
            request: [Role::Operator, Role::Approver, Role::Admin].into(),
            approve: [Role::Approver, Role::Admin].into(),
            rollback: [Role::Operator, Role::Approver, Role::Admin].into(),
            override_gates: [Role::Admin].into(),
            approvals: BTreeMap::new(),
        }
    }
}

/// The ownership map: owners of models and of alerts by their `alertname`. An alert without an
/// owner label finds its owner here (by name, then by its `model` label) before its receiver.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Ownership {
    /// Model name → owner key.
    pub models: BTreeMap<String, OwnerId>,
    /// Alert name → owner key.
    pub alerts: BTreeMap<String, OwnerId>,
}

/// A validated policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Policy {
    /// The workspace's name for people.
    pub name: String,
    /// Whether this is a demo or training workspace (the panel says so on every screen).
    pub demo: bool,
    /// The model whose loop the panel follows.
    pub model: ModelName,
    /// The back end behind each port.
    pub backends: Backends,
    /// The team store, when the policy names one (`[store]`); else the workspace's own database.
    #[cfg_attr(feature = "bindings", ts(skip))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<TeamStoreSpec>,
    /// Owners by key.
    pub owners: BTreeMap<OwnerId, Owner>,
    /// Who owns which model and which alert, by the keys of `owners`.
    pub ownership: Ownership,
    /// The Prometheus queries of the Monitor view.
    pub monitor: crate::signals::MonitorQueries,
    /// Users by login.
    pub users: BTreeMap<UserName, User>,
    /// The gates: the five defaults first (configured or not), then the policy's own.
    pub gates: Vec<GateSpec>,
    /// Promotion and rollback rules.
    pub promotion: PromotionRules,
    /// Drift methods and thresholds.
    pub drift: crate::monitor::DriftRules,
    /// The rollout analysis, when the policy has a `[rollout]` section.
    pub rollout: Option<crate::rollout::RolloutPolicy>,
    /// Deploy hooks called on promotion, rollback and abort.
    pub hooks: Vec<crate::hook::HookSpec>,
    /// `[backends.registry.metrics]`: which MLflow run metric feeds which gate signal, for the
    /// candidate version and against the champion (`run_metrics` says how).
    pub run_metrics: BTreeMap<SignalName, String>,
}

impl Policy {
    /// Parses and validates policy text. `file` names the file in error messages.
    pub fn parse(text: &str, file: &str) -> Result<Policy, PolicyError> {
        let err_at = |offset: usize, message: String| PolicyError {
            file: file.to_owned(),
            line: line_of(text, offset),
            message,
        };
        let raw: raw::Policy = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            err_at(offset, e.message().trim().to_owned())
        })?;
        raw.validate()
            .map_err(|(offset, message)| err_at(offset, message))
    }

    /// The owner of a gate, or the unassigned placeholder naming the role that should own it.
    pub fn owner_of(&self, gate: &GateSpec) -> Owner {
        self.owners
            .get(&OwnerId(gate.owner.clone()))
            .cloned()
            .unwrap_or_else(|| Owner::unassigned(&gate.owner))
    }
}

/// The 1-based line on which byte `offset` of `text` stands.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The file's shape as written, with spans for values that are checked after parsing.
mod raw {
    use super::*;

    type Invalid = (usize, String);

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Policy {
        workspace: Spanned<Workspace>,
        #[serde(default)]
        backends: BackendsTable,
        store: Option<Spanned<StoreTable>>,
        #[serde(default)]
        owners: BTreeMap<String, Spanned<Owner>>,
        #[serde(default)]
        ownership: OwnershipTable,
        monitor: Option<Spanned<crate::signals::MonitorQueries>>,
        #[serde(default)]
        users: BTreeMap<String, Spanned<User>>,
        #[serde(default)]
        gates: Vec<Spanned<Gate>>,
        #[serde(default)]
        promotion: PromotionTable,
        #[serde(default)]
        pointers: BTreeMap<String, Spanned<PointerRule>>,
        #[serde(default)]
        drift: DriftTable,
        rollout: Option<Spanned<RolloutTable>>,
        #[serde(default)]
        hooks: Vec<Spanned<Hook>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RolloutTable {
        kind: crate::rollout::RolloutKind,
        pointer: Option<Spanned<String>>,
        #[serde(default)]
        auto_rollback: bool,
        #[serde(default)]
        metrics: Vec<Spanned<Metric>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Metric {
        name: Spanned<String>,
        signal: Option<Spanned<String>>,
        query: Option<Spanned<String>>,
        success: Option<Spanned<String>>,
        failure: Option<Spanned<String>>,
        interval: Option<Spanned<String>>,
        count: Spanned<i64>,
        failure_limit: Option<Spanned<i64>>,
        inconclusive_limit: Option<Spanned<i64>>,
        #[serde(default)]
        ratio_to_stable: bool,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Hook {
        url: Spanned<String>,
        events: Spanned<Vec<crate::hook::HookEvent>>,
        secret: Option<Spanned<String>>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct DriftTable {
        drift_share: Option<Spanned<f64>>,
        #[serde(default)]
        columns: BTreeMap<String, Spanned<DriftColumn>>,
        prometheus: Option<Spanned<crate::drift_source::RawSource>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct DriftColumn {
        method: Option<Spanned<String>>,
        threshold: Option<Spanned<f64>>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct PromotionTable {
        production_pointer: Option<Spanned<String>>,
        request: Option<Vec<Role>>,
        approve: Option<Vec<Role>>,
        rollback: Option<Vec<Role>>,
        #[serde(rename = "override")]
        override_gates: Option<Vec<Role>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct PointerRule {
        approvals: Spanned<i64>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Workspace {
        name: String,
        #[serde(default)]
        demo: bool,
        model: Spanned<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct StoreTable {
        url: Spanned<String>,
        credential: Spanned<String>,
    }

    /// The team store's URL and keyring entry: a PostgreSQL URL with no credentials in it.
    fn team_store(table: Spanned<StoreTable>) -> Result<super::TeamStoreSpec, Invalid> {
        let table = table.into_inner();
        let (url_at, url) = (table.url.span().start, table.url.into_inner());
        let Some(rest) = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
        else {
            return Err((url_at, "`store.url` must be a postgres:// URL".into()));
        };
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        if authority.contains('@') || rest.contains("password=") || rest.contains("user=") {
            return Err((
                url_at,
                "`store.url` must name no user or password: the login and its password live in the keyring entry `store.credential`".into(),
            ));
        }
        if authority.is_empty() {
            return Err((url_at, "`store.url` must name a host".into()));
        }
        let (entry_at, credential) = (table.credential.span().start, table.credential.into_inner());
        let valid = !credential.is_empty()
            && credential.len() <= 128
            && credential.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '@' | ':')
            });
        if !valid {
            return Err((
                entry_at,
                "`store.credential` names a keyring entry (letters, digits, `-`, `_`, `.`, `/`, `@`, `:`)".into(),
            ));
        }
        Ok(super::TeamStoreSpec { url, credential })
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct BackendsTable {
        registry: Option<Spanned<BackendEntry>>,
        metrics: Option<Spanned<BackendEntry>>,
        alerts: Option<Spanned<BackendEntry>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct BackendEntry {
        kind: BackendKind,
        url: Option<String>,
        credential: Option<String>,
        pointers: Option<super::PointerKind>,
        refresh_secs: Option<u32>,
        metrics: Option<Spanned<BTreeMap<String, String>>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Owner {
        name: String,
        contact: Option<String>,
        escalation: Option<String>,
        #[serde(default)]
        members: Vec<Spanned<String>>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct OwnershipTable {
        #[serde(default)]
        models: BTreeMap<String, Spanned<String>>,
        #[serde(default)]
        alerts: BTreeMap<String, Spanned<String>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct User {
        name: Option<String>,
        roles: Vec<Role>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Gate {
        id: Spanned<String>,
        title: Option<String>,
        from: Option<Spanned<String>>,
        to: Option<Spanned<String>>,
        owner: Option<Spanned<String>>,
        protects: Option<String>,
        runbook: Option<String>,
        #[serde(default)]
        checks: Vec<Spanned<Check>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Check {
        id: Spanned<String>,
        description: Option<String>,
        signal: Spanned<String>,
        min: Option<f64>,
        max: Option<f64>,
        #[serde(default = "block")]
        when_unmet: Unmet,
        max_age_hours: Option<Spanned<f64>>,
    }

    fn block() -> Unmet {
        Unmet::Block
    }

    fn stage(value: &Spanned<String>, gate: &str, key: &str) -> Result<Stage, Invalid> {
        Stage::from_id(value.get_ref()).ok_or_else(|| {
            let known: Vec<&str> = Stage::ALL.iter().map(|s| s.id()).collect();
            (
                value.span().start,
                format!(
                    "gate `{gate}`: `{key}` names no stage `{}` (stages: {})",
                    value.get_ref(),
                    known.join(", ")
                ),
            )
        })
    }

    fn is_identifier(s: &str) -> bool {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    }

    impl Policy {
        pub fn validate(self) -> Result<super::Policy, Invalid> {
            let workspace = self.workspace.into_inner();
            let model = workspace.model;
            if model.get_ref().trim().is_empty() {
                return Err((
                    model.span().start,
                    "`workspace.model` must not be empty".into(),
                ));
            }

            let mut registry = self.backends.registry;
            let run_metrics = registry.as_mut().and_then(|r| r.get_mut().metrics.take());
            let backends = super::Backends {
                registry: backend(registry, "registry", &[BackendKind::Mlflow])?,
                metrics: backend(self.backends.metrics, "metrics", &[BackendKind::Prometheus])?,
                alerts: backend(self.backends.alerts, "alerts", &[BackendKind::Alertmanager])?,
            };

            let mut users = BTreeMap::new();
            for (login, user) in self.users {
                let span = user.span().start;
                let user = user.into_inner();
                if !is_identifier(&login) {
                    return Err((span, format!("`users.{login}`: a login may hold only letters, digits, `-`, `_` and `.`")));
                }
                if user.roles.is_empty() {
                    return Err((
                        span,
                        format!("`users.{login}.roles` must name at least one role"),
                    ));
                }
                users.insert(
                    UserName(login.clone()),
                    super::User {
                        name: UserName(login.clone()),
                        display_name: user.name.unwrap_or_else(|| login.clone()),
                        roles: user.roles.into_iter().collect(),
                    },
                );
            }

            let mut owners = BTreeMap::new();
            for (key, owner) in self.owners {
                let owner = owner.into_inner();
                let mut members = Vec::new();
                for m in owner.members {
                    let name = UserName(m.get_ref().clone());
                    if !users.contains_key(&name) {
                        return Err((
                            m.span().start,
                            format!(
                                "`owners.{key}.members` names `{name}`, who is not in `[users]`"
                            ),
                        ));
                    }
                    members.push(name);
                }
                owners.insert(
                    OwnerId(key.clone()),
                    super::Owner {
                        id: OwnerId(key),
                        name: owner.name,
                        contact: owner.contact,
                        escalation: owner.escalation,
                        members,
                        assigned: true,
                    },
                );
            }

            let mut ownership = super::Ownership::default();
            for (section, table, map) in [
                ("models", self.ownership.models, &mut ownership.models),
                ("alerts", self.ownership.alerts, &mut ownership.alerts),
            ] {
                for (name, owner) in table {
                    let key = OwnerId(owner.get_ref().trim().to_owned());
                    if !owners.contains_key(&key) {
                        return Err((
                            owner.span().start,
                            format!("`ownership.{section}.{name}` names `{key}`, which is not in `[owners]`"),
                        ));
                    }
                    map.insert(name, key);
                }
            }
            let monitor = match self.monitor {
                None => crate::signals::MonitorQueries::default(),
                Some(m) => {
                    let span = m.span().start;
                    let m = m.into_inner();
                    m.check().map_err(|e| (span, format!("`[monitor]`: {e}")))?;
                    m
                }
            };

            let mut written: BTreeMap<String, (usize, Gate)> = BTreeMap::new();
            let mut order = Vec::new();
            for gate in self.gates {
                let span = gate.span().start;
                let gate = gate.into_inner();
                let id = gate.id.get_ref().clone();
                if !is_identifier(&id) {
                    return Err((
                        gate.id.span().start,
                        format!("gate id `{id}` may hold only letters, digits, `-`, `_` and `.`"),
                    ));
                }
                if written.contains_key(&id) {
                    return Err((
                        gate.id.span().start,
                        format!("gate `{id}` is defined twice"),
                    ));
                }
                order.push(id.clone());
                written.insert(id, (span, gate));
            }

            let mut gates = Vec::new();
            for default in &DEFAULT_GATES {
                let spec = match written.remove(default.id) {
                    Some((_, gate)) => gate_spec(gate, Some(default), &owners)?,
                    None => GateSpec {
                        id: GateId::from(default.id),
                        title: default.title.into(),
                        from: default.from,
                        to: default.to,
                        owner: default.owner_role.into(),
                        protects: default.protects.into(),
                        runbook: None,
                        checks: Vec::new(),
                    },
                };
                gates.push(spec);
            }
            for id in order {
                if let Some((_, gate)) = written.remove(&id) {
                    gates.push(gate_spec(gate, None, &owners)?);
                }
            }

            let defaults = PromotionRules::default();
            let table = self.promotion;
            let production_pointer = match table.production_pointer {
                Some(p) if !is_identifier(p.get_ref()) => {
                    return Err((p.span().start, "`promotion.production_pointer` must be a pointer name of letters, digits, `-`, `_` and `.`".into()))
                }
                Some(p) => PointerName(p.into_inner()),
                None => defaults.production_pointer,
            };
            let mut approvals = BTreeMap::new();
            for (name, rule) in self.pointers {
                let rule = rule.into_inner();
                if !is_identifier(&name) {
                    return Err((rule.approvals.span().start, format!("`pointers.{name}`: a pointer name may hold only letters, digits, `-`, `_` and `.`")));
                }
                let n = *rule.approvals.get_ref();
                if !(1..=10).contains(&n) {
                    return Err((
                        rule.approvals.span().start,
                        format!("`pointers.{name}.approvals` must be between 1 and 10"),
                    ));
                }
                approvals.insert(PointerName(name), n as u32);
            }
            let roles = |given: Option<Vec<Role>>, default: BTreeSet<Role>| {
                given.map(|r| r.into_iter().collect()).unwrap_or(default)
            };
            let promotion = PromotionRules {
                production_pointer,
                request: roles(table.request, defaults.request),
                approve: roles(table.approve, defaults.approve),
                rollback: roles(table.rollback, defaults.rollback),
                override_gates: roles(table.override_gates, defaults.override_gates),
                approvals,
            };

            let drift = drift_rules(self.drift)?;
            let rollout = match self.rollout {
                Some(table) => Some(rollout_policy(table, &promotion.production_pointer)?),
                None => None,
            };
            let hooks = self
                .hooks
                .into_iter()
                .map(hook_spec)
                .collect::<Result<Vec<_>, _>>()?;

            let store = self.store.map(team_store).transpose()?;
            let run_metrics = match run_metrics {
                Some(table) => crate::run_metrics::validate(table, &backends.registry, &gates)?,
                None => BTreeMap::new(),
            };
            Ok(super::Policy {
                run_metrics,
                store,
                drift,
                rollout,
                hooks,
                promotion,
                name: workspace.name,
                demo: workspace.demo,
                model: ModelName(model.into_inner()),
                backends,
                owners,
                ownership,
                monitor,
                users,
                gates,
            })
        }
    }

    fn drift_rules(table: DriftTable) -> Result<crate::monitor::DriftRules, Invalid> {
        let mut rules = crate::monitor::DriftRules::default();
        if let Some(share) = table.drift_share {
            let v = *share.get_ref();
            if !(0.0..=1.0).contains(&v) {
                return Err((
                    share.span().start,
                    "`drift.drift_share` must be between 0 and 1".into(),
                ));
            }
            rules.drift_share = v;
        }
        rules.prometheus = table
            .prometheus
            .map(crate::drift_source::validate)
            .transpose()?;
        for (name, column) in table.columns {
            let span = column.span().start;
            let column = column.into_inner();
            let method =
                match &column.method {
                    None => None,
                    Some(m) if m.get_ref() == "auto" => None,
                    Some(m) => Some(m.get_ref().parse::<gatehouse_drift::Method>().map_err(
                        |e| {
                            (
                                m.span().start,
                                format!("`drift.columns.{name}.method`: {e}"),
                            )
                        },
                    )?),
                };
            let binned = rules
                .prometheus
                .as_ref()
                .is_some_and(|p| p.features.contains(&name));
            if let (true, Some(m), Some(spanned)) = (binned, method, &column.method) {
                if !gatehouse_drift::BINNED_METHODS.contains(&m) {
                    return Err((
                        spanned.span().start,
                        format!(
                            "`drift.columns.{name}.method`: {}",
                            gatehouse_drift::DriftError::NeedsRawSamples { method: m }
                        ),
                    ));
                }
            }
            let threshold = match &column.threshold {
                None => None,
                Some(t) if t.get_ref().is_finite() && *t.get_ref() >= 0.0 => Some(*t.get_ref()),
                Some(t) => {
                    return Err((
                        t.span().start,
                        format!("`drift.columns.{name}.threshold` must be a number of at least 0"),
                    ))
                }
            };
            if method.is_none() && threshold.is_none() {
                return Err((
                    span,
                    format!("`drift.columns.{name}` sets neither `method` nor `threshold`"),
                ));
            }
            rules
                .columns
                .insert(name, gatehouse_drift::Options { method, threshold });
        }
        Ok(rules)
    }

    fn rollout_policy(
        table: Spanned<RolloutTable>,
        production: &PointerName,
    ) -> Result<crate::rollout::RolloutPolicy, Invalid> {
        use crate::rollout::{Condition, MetricSource, MetricSpec};
        let span = table.span().start;
        let table = table.into_inner();
        let pointer =
            match table.pointer {
                Some(p) if !is_identifier(p.get_ref()) => return Err((
                    p.span().start,
                    "`rollout.pointer` must be a pointer name of letters, digits, `-`, `_` and `.`"
                        .into(),
                )),
                Some(p) => PointerName(p.into_inner()),
                None => production.clone(),
            };
        if table.metrics.is_empty() {
            return Err((
                span,
                "`[rollout]` needs at least one `[[rollout.metrics]]`".into(),
            ));
        }
        let mut seen = BTreeSet::new();
        let mut metrics = Vec::new();
        for metric in table.metrics {
            let span = metric.span().start;
            let m = metric.into_inner();
            let name = m.name.get_ref().trim().to_owned();
            if name.is_empty() || !seen.insert(name.clone()) {
                return Err((
                    m.name.span().start,
                    format!("rollout metric `{name}`: a name must be non-empty and unique"),
                ));
            }
            let source = match (m.signal, m.query) {
                (Some(signal), None) => {
                    if !is_identifier(signal.get_ref()) {
                        return Err((signal.span().start, format!("rollout metric `{name}`: `signal` may hold only letters, digits, `-`, `_` and `.`")));
                    }
                    MetricSource::Signal(SignalName(signal.into_inner()))
                }
                (None, Some(query)) if !query.get_ref().trim().is_empty() => {
                    if let Err(e) = crate::rollout::check_query_template(query.get_ref()) {
                        return Err((
                            query.span().start,
                            format!("rollout metric `{name}`: `query`: {e}"),
                        ));
                    }
                    MetricSource::Query(query.into_inner())
                }
                (None, Some(query)) => {
                    return Err((
                        query.span().start,
                        format!("rollout metric `{name}`: `query` must not be empty"),
                    ))
                }
                (Some(_), Some(_)) | (None, None) => {
                    return Err((
                        span,
                        format!("rollout metric `{name}`: give either `signal` or `query`"),
                    ))
                }
            };
            let condition = |c: Option<Spanned<String>>, key: &str| match c {
                None => Ok(None),
                Some(c) => Condition::parse(c.get_ref()).map(Some).map_err(|e| {
                    (
                        c.span().start,
                        format!("rollout metric `{name}`: `{key}`: {e}"),
                    )
                }),
            };
            let success = condition(m.success, "success")?;
            let failure = condition(m.failure, "failure")?;
            if success.is_none() && failure.is_none() {
                return Err((
                    span,
                    format!("rollout metric `{name}`: give `success`, `failure` or both"),
                ));
            }
            let interval_seconds = match m.interval {
                None => 60,
                Some(i) => duration_seconds(i.get_ref()).ok_or_else(|| {
                    (
                        i.span().start,
                        format!("rollout metric `{name}`: `interval` must be a duration such as `30s`, `5m` or `1h`"),
                    )
                })?,
            };
            let count = *m.count.get_ref();
            if !(1..=1000).contains(&count) {
                return Err((
                    m.count.span().start,
                    format!("rollout metric `{name}`: `count` must be between 1 and 1000"),
                ));
            }
            let limit = |l: Option<Spanned<i64>>, key: &str| match l {
                None => Ok(0),
                Some(l) if (0..count).contains(l.get_ref()) => Ok(*l.get_ref() as u32),
                Some(l) => Err((
                    l.span().start,
                    format!(
                        "rollout metric `{name}`: `{key}` must be between 0 and `count` - 1 ({})",
                        count - 1
                    ),
                )),
            };
            let failure_limit = limit(m.failure_limit, "failure_limit")?;
            let inconclusive_limit = limit(m.inconclusive_limit, "inconclusive_limit")?;
            metrics.push(MetricSpec {
                name,
                source,
                success,
                failure,
                interval_seconds,
                count: count as u32,
                failure_limit,
                inconclusive_limit,
                ratio_to_stable: m.ratio_to_stable,
            });
        }
        Ok(crate::rollout::RolloutPolicy {
            kind: table.kind,
            pointer,
            auto_rollback: table.auto_rollback,
            metrics,
        })
    }

    /// Seconds in a duration written `30s`, `5m` or `1h` (at least one second).
    fn duration_seconds(text: &str) -> Option<u64> {
        let text = text.trim();
        let split = text.len().checked_sub(1)?;
        let (number, unit) = text.split_at(split);
        let n: u64 = number.parse().ok()?;
        let factor = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            _ => return None,
        };
        n.checked_mul(factor).filter(|s| *s > 0)
    }

    fn hook_spec(hook: Spanned<Hook>) -> Result<crate::hook::HookSpec, Invalid> {
        let hook = hook.into_inner();
        let url = hook.url.get_ref();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err((
                hook.url.span().start,
                "`hooks.url` must start with http:// or https://".into(),
            ));
        }
        let events_span = hook.events.span().start;
        let mut events = hook.events.into_inner();
        events.sort();
        events.dedup();
        if events.is_empty() {
            return Err((
                events_span,
                "`hooks.events` must name at least one of promotion, rollback, abort".into(),
            ));
        }
        let secret = match hook.secret {
            None => None,
            Some(entry) => {
                let name = entry.get_ref();
                let valid = !name.is_empty()
                    && name.len() <= 128
                    && name.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '@' | ':')
                    });
                if !valid {
                    return Err((
                        entry.span().start,
                        "`hooks.secret` names a keyring entry (letters, digits, `-`, `_`, `.`, `/`, `@`, `:`), never the secret itself".into(),
                    ));
                }
                Some(entry.into_inner())
            }
        };
        Ok(crate::hook::HookSpec {
            url: hook.url.into_inner(),
            events,
            secret,
        })
    }

    fn backend(
        entry: Option<Spanned<BackendEntry>>,
        port: &str,
        remote: &[BackendKind],
    ) -> Result<super::Backend, Invalid> {
        let Some(entry) = entry else {
            return Ok(super::Backend::embedded());
        };
        let span = entry.span().start;
        let entry = entry.into_inner();
        let allowed = entry.kind == BackendKind::Embedded || remote.contains(&entry.kind);
        if !allowed {
            return Err((
                span,
                format!(
                    "`backends.{port}.kind` cannot be `{:?}` for the {port} port",
                    entry.kind
                )
                .to_lowercase(),
            ));
        }
        match (entry.kind, &entry.url) {
            (BackendKind::Embedded, Some(_)) => {
                return Err((
                    span,
                    format!("`backends.{port}.url` is not used by the embedded back end"),
                ))
            }
            (BackendKind::Mlflow | BackendKind::Prometheus | BackendKind::Alertmanager, None) => {
                return Err((span, format!("`backends.{port}.url` is required")))
            }
            (
                BackendKind::Mlflow | BackendKind::Prometheus | BackendKind::Alertmanager,
                Some(url),
            ) if !(url.starts_with("http://") || url.starts_with("https://")) => {
                return Err((
                    span,
                    format!("`backends.{port}.url` must start with http:// or https://"),
                ))
            }
            _ => {}
        }
        if entry.metrics.is_some() {
            return Err((
                span,
                format!("`backends.{port}.metrics` is only for an mlflow registry"),
            ));
        }
        let stages = entry.pointers == Some(super::PointerKind::Stages);
        if stages && entry.kind != BackendKind::Mlflow {
            return Err((
                span,
                format!("`backends.{port}.pointers = \"stages\"` is only for an mlflow registry"),
            ));
        }
        if entry
            .refresh_secs
            .is_some_and(|s| !(1..=86_400).contains(&s))
        {
            return Err((
                span,
                format!("`backends.{port}.refresh_secs` must be between 1 and 86400"),
            ));
        }
        Ok(super::Backend {
            kind: entry.kind,
            url: entry.url,
            credential: entry.credential,
            pointers: entry.pointers.unwrap_or_default(),
            refresh_secs: entry.refresh_secs.unwrap_or(super::DEFAULT_REFRESH_SECS),
        })
    }

    fn gate_spec(
        gate: Gate,
        default: Option<&DefaultGate>,
        owners: &BTreeMap<OwnerId, super::Owner>,
    ) -> Result<GateSpec, Invalid> {
        let id = gate.id.get_ref().clone();
        let id_span = gate.id.span().start;
        let from = match (&gate.from, default) {
            (Some(v), _) => stage(v, &id, "from")?,
            (None, Some(d)) => d.from,
            (None, None) => return Err((id_span, format!("gate `{id}`: `from` is required"))),
        };
        let to = match (&gate.to, default) {
            (Some(v), _) => stage(v, &id, "to")?,
            (None, Some(d)) => d.to,
            (None, None) => return Err((id_span, format!("gate `{id}`: `to` is required"))),
        };
        if !Stage::is_edge(from, to) {
            let span = gate
                .from
                .as_ref()
                .map(|v| v.span().start)
                .unwrap_or(id_span);
            return Err((span, format!("gate `{id}`: `{from} → {to}` is not a step of the loop; a gate stands between consecutive stages")));
        }
        let owner = match (&gate.owner, default) {
            (Some(o), _) => {
                if !owners.contains_key(&OwnerId(o.get_ref().clone())) {
                    return Err((
                        o.span().start,
                        format!(
                            "gate `{id}`: `owner` names `{}`, which is not in `[owners]`",
                            o.get_ref()
                        ),
                    ));
                }
                o.get_ref().clone()
            }
            (None, Some(d)) => d.owner_role.to_owned(),
            (None, None) => return Err((id_span, format!("gate `{id}`: `owner` is required"))),
        };
        let title = gate
            .title
            .or_else(|| default.map(|d| d.title.to_owned()))
            .unwrap_or_else(|| id.clone());
        let protects = gate
            .protects
            .or_else(|| default.map(|d| d.protects.to_owned()))
            .unwrap_or_default();

        let mut checks = Vec::new();
        let mut seen = BTreeSet::new();
        for check in gate.checks {
            let span = check.span().start;
            let check = check.into_inner();
            let check_id = check.id.get_ref().clone();
            if !seen.insert(check_id.clone()) {
                return Err((
                    check.id.span().start,
                    format!("gate `{id}`: check `{check_id}` is defined twice"),
                ));
            }
            if check.signal.get_ref().trim().is_empty() {
                return Err((
                    check.signal.span().start,
                    format!("gate `{id}`, check `{check_id}`: `signal` must not be empty"),
                ));
            }
            match (check.min, check.max) {
                (None, None) => {
                    return Err((
                        span,
                        format!("gate `{id}`, check `{check_id}`: give `min`, `max` or both"),
                    ))
                }
                (Some(min), Some(max)) if min > max => {
                    return Err((
                        span,
                        format!(
                            "gate `{id}`, check `{check_id}`: `min` ({min}) is above `max` ({max})"
                        ),
                    ))
                }
                (Some(v), _) | (_, Some(v)) if !v.is_finite() => {
                    return Err((
                        span,
                        format!("gate `{id}`, check `{check_id}`: bounds must be finite numbers"),
                    ))
                }
                _ => {}
            }
            if let Some(age) = &check.max_age_hours {
                if age.get_ref().is_nan() || *age.get_ref() <= 0.0 {
                    return Err((
                        age.span().start,
                        format!("gate `{id}`, check `{check_id}`: `max_age_hours` must be above 0"),
                    ));
                }
            }
            checks.push(CheckSpec {
                id: check_id,
                description: check.description.unwrap_or_default(),
                signal: SignalName(check.signal.into_inner()),
                min: check.min,
                max: check.max,
                when_unmet: check.when_unmet,
                max_age_hours: check.max_age_hours.map(Spanned::into_inner),
            });
        }
        Ok(GateSpec {
            id: GateId(id),
            title,
            from,
            to,
            owner,
            protects,
            runbook: gate.runbook,
            checks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "[workspace]\nname = \"t\"\nmodel = \"churn\"\n";

    /// Parses `text` and returns the error as `line N: message`.
    fn error_of(text: &str) -> String {
        match Policy::parse(text, "gatehouse.toml") {
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
    fn a_minimal_policy_has_the_five_default_gates_unassigned() {
        let policy = Policy::parse(MINIMAL, "gatehouse.toml").unwrap();
        let ids: Vec<&str> = policy.gates.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "data-quality",
                "model-validation",
                "promotion",
                "rollout",
                "retrain-trigger"
            ]
        );
        let owner = policy.owner_of(&policy.gates[0]);
        assert!(!owner.assigned);
        assert_eq!(owner.name, "data owner (unassigned)");
        assert_eq!(policy.backends.registry.kind, BackendKind::Embedded);
    }

    #[test]
    fn unknown_keys_name_their_line() {
        check_error(
            &format!("{MINIMAL}colour = \"red\"\n"),
            4,
            "unknown field `colour`",
        );
        let text = format!(
            "{MINIMAL}[owners.data]\nname = \"D\"\n\n[[gates]]\nid = \"data-quality\"\nowner = \"data\"\n[[gates.checks]]\nid = \"a\"\nsignal = \"s\"\nmax = 1\nthresold = 2\n"
        );
        check_error(&text, 14, "unknown field `thresold`");
    }

    #[test]
    fn wrong_types_name_their_line() {
        check_error("[workspace]\nname = 3\nmodel = \"m\"\n", 2, "invalid type");
        let text = format!("{MINIMAL}[users.ann]\nroles = [\"superuser\"]\n");
        check_error(&text, 5, "unknown variant `superuser`");
    }

    #[test]
    fn gates_must_stand_on_a_step_of_the_loop() {
        let gate = |from: &str, to: &str| {
            format!("{MINIMAL}[owners.o]\nname = \"O\"\n[[gates]]\nid = \"x\"\nfrom = \"{from}\"\nto = \"{to}\"\nowner = \"o\"\n")
        };
        check_error(&gate("dta", "train"), 8, "`from` names no stage `dta`");
        check_error(&gate("data", "serve"), 9, "`to` names no stage `serve`");
        check_error(
            &gate("data", "deploy"),
            8,
            "`data → deploy` is not a step of the loop",
        );
        assert_eq!(error_of(&gate("retrain", "train")), "accepted");
    }

    #[test]
    fn references_must_resolve() {
        let text = format!("{MINIMAL}[[gates]]\nid = \"rollout\"\nowner = \"nobody\"\n");
        check_error(&text, 6, "`owner` names `nobody`");
        let text = format!("{MINIMAL}[owners.o]\nname = \"O\"\nmembers = [\"ghost\"]\n");
        check_error(&text, 6, "`ghost`, who is not in `[users]`");
        let text = format!("{MINIMAL}[[gates]]\nid = \"rollout\"\n[[gates]]\nid = \"rollout\"\n");
        check_error(&text, 7, "defined twice");
    }

    #[test]
    fn checks_need_sane_bounds() {
        let check = |body: &str| {
            format!("{MINIMAL}[[gates]]\nid = \"rollout\"\n[[gates.checks]]\nid = \"c\"\nsignal = \"s\"\n{body}")
        };
        check_error(&check(""), 6, "give `min`, `max` or both");
        check_error(
            &check("min = 2\nmax = 1\n"),
            6,
            "`min` (2) is above `max` (1)",
        );
        check_error(&check("max = nan\n"), 6, "finite");
        check_error(
            &check("max = 1\nmax_age_hours = 0\n"),
            10,
            "`max_age_hours` must be above 0",
        );
        check_error(
            &check("max = 1\nwhen_unmet = \"ignore\"\n"),
            10,
            "unknown variant `ignore`",
        );
    }

    #[test]
    fn the_ownership_map_names_known_owners() {
        let text = format!("{MINIMAL}[owners.sre]\nname = \"SRE\"\n[ownership.alerts]\nHighLatency = \"sre\"\n[ownership.models]\nchurn = \"sre\"\n");
        let policy = Policy::parse(&text, "gatehouse.toml").unwrap();
        assert_eq!(policy.ownership.alerts["HighLatency"].as_str(), "sre");
        assert_eq!(policy.ownership.models["churn"].as_str(), "sre");
        let text = format!("{MINIMAL}[ownership.alerts]\nHighLatency = \"ghost\"\n");
        check_error(&text, 5, "`ownership.alerts.HighLatency` names `ghost`");
    }

    #[test]
    fn backends_need_a_url_of_their_kind() {
        let text = format!("{MINIMAL}[backends.registry]\nkind = \"mlflow\"\n");
        check_error(&text, 4, "`backends.registry.url` is required");
        let text =
            format!("{MINIMAL}[backends.registry]\nkind = \"prometheus\"\nurl = \"http://x\"\n");
        check_error(&text, 4, "cannot be `prometheus`");
        let text = format!("{MINIMAL}[backends.registry]\nkind = \"mlflow\"\nurl = \"http://127.0.0.1:5000\"\ncredential = \"gatehouse/mlflow\"\n");
        let policy = Policy::parse(&text, "gatehouse.toml").unwrap();
        assert_eq!(
            policy.backends.registry.credential.as_deref(),
            Some("gatehouse/mlflow")
        );
        assert_eq!(policy.backends.registry.pointers, PointerKind::Aliases);
        assert_eq!(policy.backends.registry.refresh_secs, DEFAULT_REFRESH_SECS);
    }

    #[test]
    fn an_mlflow_registry_may_use_stages_and_its_own_refresh() {
        let text = format!("{MINIMAL}[backends.registry]\nkind = \"mlflow\"\nurl = \"http://m:5000\"\npointers = \"stages\"\nrefresh_secs = 2\n");
        let policy = Policy::parse(&text, "gatehouse.toml").unwrap();
        assert_eq!(policy.backends.registry.pointers, PointerKind::Stages);
        assert_eq!(policy.backends.registry.refresh_secs, 2);
        let text = format!("{MINIMAL}[backends.metrics]\nkind = \"prometheus\"\nurl = \"http://p:9090\"\npointers = \"stages\"\n");
        check_error(&text, 4, "only for an mlflow registry");
        let text = format!("{MINIMAL}[backends.registry]\nkind = \"mlflow\"\nurl = \"http://m:5000\"\nrefresh_secs = 0\n");
        check_error(&text, 4, "between 1 and 86400");
        let text = format!("{MINIMAL}[backends.registry]\nkind = \"mlflow\"\nurl = \"http://m:5000\"\npointers = \"labels\"\n");
        assert!(Policy::parse(&text, "gatehouse.toml").is_err());
    }

    #[test]
    fn promotion_rules_default_to_the_design_and_can_be_tightened() {
        let policy = Policy::parse(MINIMAL, "gatehouse.toml").unwrap();
        assert_eq!(
            policy
                .promotion
                .approvals_for(&PointerName::from("production")),
            1
        );
        assert!(policy.promotion.approve.contains(&Role::Approver));
        assert!(!policy.promotion.approve.contains(&Role::Operator));
        let text = format!("{MINIMAL}[promotion]\nproduction_pointer = \"champion\"\napprove = [\"admin\"]\n[pointers.champion]\napprovals = 2\n");
        let policy = Policy::parse(&text, "gatehouse.toml").unwrap();
        assert_eq!(
            policy.promotion.production_pointer,
            PointerName::from("champion")
        );
        assert_eq!(
            policy
                .promotion
                .approvals_for(&PointerName::from("champion")),
            2
        );
        assert_eq!(policy.promotion.approve, [Role::Admin].into());
        check_error(
            &format!("{MINIMAL}[pointers.production]\napprovals = 0\n"),
            5,
            "between 1 and 10",
        );
        check_error(
            &format!("{MINIMAL}[promotion]\nquorum = 2\n"),
            5,
            "unknown field `quorum`",
        );
    }

    #[test]
    fn drift_overrides_are_checked() {
        let text = format!("{MINIMAL}[drift]\ndrift_share = 0.3\n[drift.columns.tenure]\nmethod = \"psi\"\nthreshold = 0.2\n");
        let policy = Policy::parse(&text, "gatehouse.toml").unwrap();
        assert_eq!(policy.drift.drift_share, 0.3);
        assert_eq!(
            policy.drift.columns["tenure"].method,
            Some(gatehouse_drift::Method::Psi)
        );
        check_error(
            &format!("{MINIMAL}[drift.columns.x]\nmethod = \"magic\"\n"),
            5,
            "`drift.columns.x.method`",
        );
        check_error(
            &format!("{MINIMAL}[drift]\ndrift_share = 2\n"),
            5,
            "between 0 and 1",
        );
    }

    #[test]
    fn prometheus_drift_is_read_with_its_lines() {
        let text = format!(
            "{MINIMAL}[drift.prometheus]\nfeatures = [\"tenure_months\"]\nwindow = \"15m\"\n"
        );
        let policy = Policy::parse(&text, "gatehouse.toml").unwrap();
        let source = policy.drift.prometheus.unwrap();
        assert_eq!(source.features, ["tenure_months"]);
        assert_eq!((source.window_ms, source.windows), (900_000, 24));
        check_error(
            &format!("{MINIMAL}[drift.prometheus]\nfeatures = [\"a\"]\nwindows = 0\n"),
            6,
            "`drift.prometheus.windows` must be between 1 and 500",
        );
        // KS needs raw samples, which a histogram no longer has.
        check_error(
            &format!("{MINIMAL}[drift.prometheus]\nfeatures = [\"a\"]\n[drift.columns.a]\nmethod = \"ks\"\n"),
            7,
            "`drift.columns.a.method`: method ks needs raw samples",
        );
    }

    const ROLLOUT: &str = "[rollout]\nkind = \"canary\"\nauto_rollback = true\n[[rollout.metrics]]\nname = \"error rate\"\nsignal = \"rollout.error_rate_ratio\"\nsuccess = \"value <= 1.5\"\nfailure = \"value > 2\"\ninterval = \"1m\"\ncount = 5\nfailure_limit = 2\n";

    #[test]
    fn a_rollout_section_is_read_and_checked() {
        let policy = Policy::parse(&format!("{MINIMAL}{ROLLOUT}"), "gatehouse.toml").unwrap();
        let rollout = policy.rollout.unwrap();
        assert_eq!(rollout.kind, crate::rollout::RolloutKind::Canary);
        assert_eq!(rollout.pointer, PointerName::from("production"));
        assert!(rollout.auto_rollback);
        let metric = &rollout.metrics[0];
        assert_eq!(
            (
                metric.interval_seconds,
                metric.count,
                metric.failure_limit,
                metric.inconclusive_limit
            ),
            (60, 5, 2, 0)
        );
        assert_eq!(metric.failure.as_ref().unwrap().to_string(), "value > 2");
        assert!(Policy::parse(MINIMAL, "gatehouse.toml")
            .unwrap()
            .rollout
            .is_none());

        let with = |from: &str, to: &str| format!("{MINIMAL}{}", ROLLOUT.replace(from, to));
        check_error(
            &with("kind = \"canary\"", "kind = \"blue-green\""),
            5,
            "unknown variant `blue-green`",
        );
        check_error(
            &with("value > 2", "value >> 2"),
            11,
            "`failure`: column 8: expected a number, found `>`",
        );
        check_error(
            &with("interval = \"1m\"", "interval = \"soon\""),
            12,
            "`interval` must be a duration",
        );
        check_error(
            &with("failure_limit = 2", "failure_limit = 5"),
            14,
            "between 0 and `count` - 1 (4)",
        );
        check_error(
            &with("count = 5", "count = 0"),
            13,
            "`count` must be between 1 and 1000",
        );
        check_error(
            &with("signal = ", "query = \"up\"\nsignal = "),
            7,
            "give either `signal` or `query`",
        );
        check_error(
            &with("failure_limit", "failure_limt"),
            14,
            "unknown field `failure_limt`",
        );
        check_error(
            &format!("{MINIMAL}[rollout]\nkind = \"shadow\"\n"),
            4,
            "at least one `[[rollout.metrics]]`",
        );
    }

    #[test]
    fn hooks_name_a_keyring_entry_and_their_events() {
        let text = format!("{MINIMAL}[[hooks]]\nurl = \"https://cd.example/hook\"\nevents = [\"rollback\", \"promotion\", \"rollback\"]\nsecret = \"gatehouse/hook\"\n");
        let policy = Policy::parse(&text, "gatehouse.toml").unwrap();
        use crate::hook::HookEvent;
        assert_eq!(
            policy.hooks[0].events,
            [HookEvent::Promotion, HookEvent::Rollback]
        );
        assert_eq!(policy.hooks[0].secret.as_deref(), Some("gatehouse/hook"));
        check_error(
            &format!("{MINIMAL}[[hooks]]\nurl = \"ftp://x\"\nevents = [\"abort\"]\n"),
            5,
            "must start with http",
        );
        check_error(
            &format!("{MINIMAL}[[hooks]]\nurl = \"http://x\"\nevents = [\"deploy\"]\n"),
            6,
            "unknown variant `deploy`",
        );
        check_error(
            &format!("{MINIMAL}[[hooks]]\nurl = \"http://x\"\nevents = []\n"),
            6,
            "at least one",
        );
        check_error(
            &format!("{MINIMAL}[[hooks]]\nurl = \"http://x\"\nevents = [\"abort\"]\nsecret = \"s3cr3t value!\"\n"),
            7,
            "names a keyring entry",
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for text in [
            "",
            "\u{0}",
            "[[[",
            "workspace = 1",
            "[workspace]\nname=\"x\"\nmodel=\"\"\n",
        ] {
            assert_ne!(error_of(text), "accepted", "{text:?}");
        }
    }
}
