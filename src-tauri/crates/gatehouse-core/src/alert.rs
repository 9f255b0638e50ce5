//! Alerts and who owns them: what an alert source (Alertmanager, Gatehouse's own rules) reports,
//! how each alert finds its owner in the policy, and acknowledgement.
//!
//! Alertmanager has no acknowledge, so Gatehouse acknowledges by silencing: a silence whose
//! matchers are the alert's labels, created by the acting user with their reason and a duration.
//! Un-acknowledging expires that silence. Both are role-checked (operator or above) and audited,
//! refusals included. An alert's state is derived, never stored: resolved when its end has
//! passed, acknowledged while an active silence covers it, firing otherwise.

use std::collections::BTreeMap;
use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::access::{authorize, Permission};
use crate::audit::{AuditAction, AuditDraft};
use crate::error::Error;
use crate::policy::{Owner, OwnerId, Policy, UserName};
use crate::ports::PromotionStore;
use crate::reading::string_id;
use crate::time::Timestamp;

string_id!(
    /// An alert's identity at its source: Alertmanager's fingerprint of its labels.
    AlertId
);
string_id!(
    /// The `alertname` label: what kind of alert it is.
    AlertName
);
string_id!(
    /// A silence's identifier at its source.
    SilenceId
);

/// The label that names an alert.
pub const NAME_LABEL: &str = "alertname";
/// The labels that name an alert's owner, in order of preference.
pub const OWNER_LABELS: [&str; 2] = ["owner", "team"];
/// The label that names the model an alert is about.
pub const MODEL_LABEL: &str = "model";
/// The label that carries an alert's severity.
pub const SEVERITY_LABEL: &str = "severity";
/// The annotation that links an alert's runbook.
pub const RUNBOOK_ANNOTATION: &str = "runbook_url";
/// The annotation that sums an alert up.
pub const SUMMARY_ANNOTATION: &str = "summary";

/// The shortest acknowledgement: anything shorter is a typo, not a decision.
pub const MIN_ACK_MS: i64 = 60_000;
/// The longest acknowledgement: beyond it, an alert should be fixed or its rule changed.
pub const MAX_ACK_MS: i64 = 30 * 24 * Timestamp::HOUR_MS;
const MAX_REASON: usize = 2000;

/// How urgent an alert is, from its `severity` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Someone must act now (`critical`, `page`, `error`).
    Critical,
    /// Someone should look soon (`warning`, `warn`).
    Warning,
    /// For the record (`info`, `none`).
    Info,
    /// No severity label, or one Gatehouse does not know (the label itself is kept).
    Unknown,
}

impl Severity {
    /// The severity a label value means; case does not matter.
    pub fn from_label(value: Option<&str>) -> Severity {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            Some("critical" | "page" | "error" | "high") => Severity::Critical,
            Some("warning" | "warn" | "medium") => Severity::Warning,
            Some("info" | "none" | "low") => Severity::Info,
            Some(_) | None => Severity::Unknown,
        }
    }

    /// The identifier used in JSON.
    pub fn id(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Unknown => "unknown",
        }
    }
}

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Active and nobody has taken it.
    Firing,
    /// Active, and an active silence covers it: someone took it, with a reason, until a time.
    Acknowledged,
    /// Its end has passed.
    Resolved,
}

impl AlertState {
    /// The identifier used in JSON.
    pub fn id(self) -> &'static str {
        match self {
            AlertState::Firing => "firing",
            AlertState::Acknowledged => "acknowledged",
            AlertState::Resolved => "resolved",
        }
    }
}

/// One matcher of a silence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Matcher {
    /// The label.
    pub name: String,
    /// The value (a regular expression when `is_regex`).
    pub value: String,
    /// Whether `value` is a regular expression.
    pub is_regex: bool,
    /// False for a negative matcher (`!=`, `!~`).
    pub is_equal: bool,
}

impl Matcher {
    /// A matcher for exactly `name="value"`.
    pub fn equal(name: &str, value: &str) -> Matcher {
        Matcher {
            name: name.to_owned(),
            value: value.to_owned(),
            is_regex: false,
            is_equal: true,
        }
    }
}

/// Where a silence stands at its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SilenceState {
    /// Starts later.
    Pending,
    /// In force.
    Active,
    /// Ended or expired by hand.
    Expired,
}

/// A silence as its source keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Silence {
    /// Its identifier.
    pub id: SilenceId,
    /// The alerts it covers.
    pub matchers: Vec<Matcher>,
    /// Who created it (for Gatehouse's, the acting user).
    pub created_by: String,
    /// Why (for Gatehouse's, the reason given).
    pub comment: String,
    /// When it starts.
    pub starts_at: Timestamp,
    /// When it ends.
    pub ends_at: Timestamp,
    /// Where it stands.
    pub state: SilenceState,
}

/// A silence to create: the acknowledgement of one alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSilence {
    /// One equality matcher per label of the alert.
    pub matchers: Vec<Matcher>,
    /// The acting user.
    pub created_by: UserName,
    /// Their reason.
    pub comment: String,
    /// Now.
    pub starts_at: Timestamp,
    /// Now plus the chosen duration.
    pub ends_at: Timestamp,
}

/// An alert as its source reports it, before ownership and state are derived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedAlert {
    /// Its identity at the source.
    pub id: AlertId,
    /// All its labels (`alertname`, `severity`, `team`, `model`, …).
    pub labels: BTreeMap<String, String>,
    /// Its annotations (`summary`, `runbook_url`, …).
    pub annotations: BTreeMap<String, String>,
    /// When it started firing.
    pub starts_at: Timestamp,
    /// When it ends (or ended) unless renewed.
    pub ends_at: Option<Timestamp>,
    /// The receivers of the groups it is routed to; a receiver named after an owner owns it.
    pub receivers: Vec<String>,
    /// The silences the source says cover it now.
    pub silenced_by: Vec<SilenceId>,
}

/// Everything a source knows at one moment: its alerts and its silences.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlertSnapshot {
    /// Alerts, in the source's order.
    pub alerts: Vec<ObservedAlert>,
    /// Silences, active or not.
    pub silences: Vec<Silence>,
}

/// Where alerts come from and where acknowledgements go: Alertmanager, or Gatehouse's own rules.
pub trait AlertSource {
    /// The alerts and silences now.
    fn list(&self) -> impl Future<Output = Result<AlertSnapshot, Error>> + Send;

    /// Creates a silence; returns its identifier.
    fn acknowledge(
        &self,
        silence: &NewSilence,
    ) -> impl Future<Output = Result<SilenceId, Error>> + Send;

    /// Expires a silence now.
    fn unacknowledge(&self, silence: &SilenceId) -> impl Future<Output = Result<(), Error>> + Send;
}

/// How an alert found its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Ownership {
    /// Its `owner` or `team` label names an owner of the policy.
    Label,
    /// The policy's ownership map names an owner for its `alertname`.
    AlertName,
    /// The receiver of its Alertmanager group is named after an owner of the policy.
    Receiver,
    /// The policy's ownership map names an owner for the model of its `model` label.
    Model,
    /// Nothing names an owner the policy knows: the alert reaches nobody, and is flagged.
    Unowned,
}

/// Who took an alert, why, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Acknowledgement {
    /// The silence that carries it.
    pub silence: SilenceId,
    /// Who.
    pub by: String,
    /// Why.
    pub reason: String,
    /// Since when.
    pub since: Timestamp,
    /// Until when.
    pub until: Timestamp,
    /// Milliseconds left at the time the alerts were read.
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub remaining_ms: i64,
}

/// An alert as the panel and `gatehouse alerts` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Alert {
    /// Its identity at the source.
    pub id: AlertId,
    /// Its `alertname`.
    pub name: AlertName,
    /// How urgent.
    pub severity: Severity,
    /// Its owner, when one was found.
    pub owner: Option<Owner>,
    /// How the owner was found, or that none was.
    pub ownership: Ownership,
    /// The runbook to follow.
    pub runbook: Option<String>,
    /// What it is about, in a line.
    pub summary: Option<String>,
    /// Where it stands.
    pub state: AlertState,
    /// When it started firing.
    pub since: Timestamp,
    /// Who acknowledged it, when acknowledged.
    pub acknowledgement: Option<Acknowledgement>,
    /// All its labels.
    pub labels: BTreeMap<String, String>,
}

impl Alert {
    /// How it is named in the audit log: `alert NAME [id]`.
    pub fn target(&self) -> String {
        format!("alert {} [{}]", self.name, self.id)
    }

    /// Whether `owner` owns it.
    pub fn owned_by(&self, owner: &OwnerId) -> bool {
        self.owner.as_ref().is_some_and(|o| o.id == *owner)
    }
}

/// The owner of an alert: its `owner` or `team` label if the policy knows that owner, else the
/// owner the policy's ownership map names for its `alertname`, else the first of its receivers
/// the policy knows, else the owner of the model its `model` label names, else none.
pub fn resolve_owner(
    policy: &Policy,
    labels: &BTreeMap<String, String>,
    receivers: &[String],
) -> (Option<Owner>, Ownership) {
    let known = |key: &str| policy.owners.get(&OwnerId::from(key.trim())).cloned();
    for label in OWNER_LABELS {
        if let Some(owner) = labels.get(label).and_then(|v| known(v)) {
            return (Some(owner), Ownership::Label);
        }
    }
    let mapped = |map: &BTreeMap<String, OwnerId>, label: &str| {
        labels
            .get(label)
            .and_then(|v| map.get(v.trim()))
            .and_then(|key| known(key.as_str()))
    };
    if let Some(owner) = mapped(&policy.ownership.alerts, NAME_LABEL) {
        return (Some(owner), Ownership::AlertName);
    }
    for receiver in receivers {
        if let Some(owner) = known(receiver) {
            return (Some(owner), Ownership::Receiver);
        }
    }
    if let Some(owner) = mapped(&policy.ownership.models, MODEL_LABEL) {
        return (Some(owner), Ownership::Model);
    }
    (None, Ownership::Unowned)
}

/// The alerts of a snapshot as people see them at `now`: owners from the policy, state from the
/// end time and the silences. Ordered by state (firing first), then severity, then age.
pub fn resolve_alerts(policy: &Policy, snapshot: &AlertSnapshot, now: Timestamp) -> Vec<Alert> {
    let mut alerts: Vec<Alert> = snapshot
        .alerts
        .iter()
        .map(|observed| resolve_alert(policy, snapshot, observed, now))
        .collect();
    alerts.sort_by(|a, b| {
        state_rank(a.state)
            .cmp(&state_rank(b.state))
            .then(a.severity.cmp(&b.severity))
            .then(a.since.cmp(&b.since))
            .then(a.id.cmp(&b.id))
    });
    alerts
}

fn state_rank(state: AlertState) -> u8 {
    match state {
        AlertState::Firing => 0,
        AlertState::Acknowledged => 1,
        AlertState::Resolved => 2,
    }
}

fn resolve_alert(
    policy: &Policy,
    snapshot: &AlertSnapshot,
    observed: &ObservedAlert,
    now: Timestamp,
) -> Alert {
    let (owner, ownership) = resolve_owner(policy, &observed.labels, &observed.receivers);
    // The silence that ends last speaks for the acknowledgement: it is the one that decides when
    // the alert fires again.
    let acknowledgement = snapshot
        .silences
        .iter()
        .filter(|s| observed.silenced_by.contains(&s.id) && in_force(s, now))
        .max_by_key(|s| s.ends_at)
        .map(|s| Acknowledgement {
            silence: s.id.clone(),
            by: s.created_by.clone(),
            reason: s.comment.clone(),
            since: s.starts_at,
            until: s.ends_at,
            remaining_ms: (s.ends_at.0 - now.0).max(0),
        });
    let resolved = observed.ends_at.is_some_and(|end| end <= now);
    let state = if resolved {
        AlertState::Resolved
    } else if acknowledgement.is_some() {
        AlertState::Acknowledged
    } else {
        AlertState::Firing
    };
    let text = |map: &BTreeMap<String, String>, key: &str| {
        map.get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    Alert {
        id: observed.id.clone(),
        name: AlertName(text(&observed.labels, NAME_LABEL).unwrap_or_else(|| "unnamed".into())),
        severity: Severity::from_label(observed.labels.get(SEVERITY_LABEL).map(String::as_str)),
        owner,
        ownership,
        runbook: text(&observed.annotations, RUNBOOK_ANNOTATION),
        summary: text(&observed.annotations, SUMMARY_ANNOTATION),
        state,
        since: observed.starts_at,
        acknowledgement,
        labels: observed.labels.clone(),
    }
}

fn in_force(silence: &Silence, now: Timestamp) -> bool {
    match silence.state {
        SilenceState::Active => silence.ends_at > now,
        SilenceState::Pending | SilenceState::Expired => false,
    }
}

/// The alerts that fire now, are owned by an owner `user` belongs to, and were not firing in
/// `seen` (the ids that fired at the last look): what to tell `user` about, once.
pub fn newly_firing_for<'a>(
    alerts: &'a [Alert],
    seen: &std::collections::BTreeSet<AlertId>,
    user: &UserName,
) -> Vec<&'a Alert> {
    alerts
        .iter()
        .filter(|a| a.state == AlertState::Firing && !seen.contains(&a.id))
        .filter(|a| a.owner.as_ref().is_some_and(|o| o.members.contains(user)))
        .collect()
}

/// Parses a duration such as `90s`, `45m`, `2h`, `1d`, `1w` or `1h30m` into milliseconds.
pub fn parse_duration(text: &str) -> Result<i64, Error> {
    let bad = || {
        Error::Invalid(format!(
            "`{text}` is not a duration: write it like 30m, 2h, 1d or 1h30m"
        ))
    };
    let text_trimmed = text.trim();
    if text_trimmed.is_empty() || text_trimmed.len() > 32 {
        return Err(bad());
    }
    let mut total: i64 = 0;
    let mut number: Option<i64> = None;
    for c in text_trimmed.chars() {
        if let Some(d) = c.to_digit(10) {
            let n = number
                .unwrap_or(0)
                .checked_mul(10)
                .and_then(|n| n.checked_add(i64::from(d)))
                .ok_or_else(bad)?;
            number = Some(n);
            continue;
        }
        let unit_ms: i64 = match c {
            's' => 1_000,
            'm' => 60_000,
            'h' => Timestamp::HOUR_MS,
            'd' => 24 * Timestamp::HOUR_MS,
            'w' => 7 * 24 * Timestamp::HOUR_MS,
            _ => return Err(bad()),
        };
        let n = number.take().ok_or_else(bad)?;
        total = n
            .checked_mul(unit_ms)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(bad)?;
    }
    if number.is_some() {
        return Err(bad());
    }
    Ok(total)
}

/// A duration in words for people: `2h`, `1h30m`, `45s`, `3d4h`.
pub fn format_duration(ms: i64) -> String {
    let mut secs = ms.max(0) / 1000;
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

/// Where alert use-cases run: the policy, the acting user, the time, and the ports.
pub struct AlertDesk<'a, A, S> {
    /// The workspace policy (owners, users and roles).
    pub policy: &'a Policy,
    /// Who acts.
    pub actor: UserName,
    /// Now.
    pub now: Timestamp,
    /// Where alerts come from.
    pub source: &'a A,
    /// The audit log.
    pub audit: &'a S,
}

impl<A, S> AlertDesk<'_, A, S>
where
    A: AlertSource + Sync,
    S: PromotionStore + Sync,
{
    /// Every alert the source reports, with owner and state.
    pub async fn alerts(&self) -> Result<Vec<Alert>, Error> {
        let snapshot = self.source.list().await?;
        Ok(resolve_alerts(self.policy, &snapshot, self.now))
    }

    /// The alerts `owner` owns.
    pub async fn alerts_of(&self, owner: &OwnerId) -> Result<Vec<Alert>, Error> {
        if !self.policy.owners.contains_key(owner) {
            return Err(Error::NotFound(format!(
                "the policy has no owner `{owner}`"
            )));
        }
        let mut alerts = self.alerts().await?;
        alerts.retain(|a| a.owned_by(owner));
        Ok(alerts)
    }

    fn draft(&self, action: AuditAction, target: String) -> AuditDraft {
        AuditDraft::new(self.now, self.actor.clone(), action, target)
    }

    /// Checks the role; a refusal is written to the audit log before it is returned.
    async fn require(&self, target: String) -> Result<(), Error> {
        match authorize(self.policy, &self.actor, Permission::Acknowledge) {
            Ok(()) => Ok(()),
            Err(why) => {
                let draft = AuditDraft {
                    reason: Some(why.clone()),
                    ..self.draft(AuditAction::Denied, target)
                };
                match self.audit.append_audit(draft).await {
                    Ok(_) => Err(Error::Denied(why)),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// The one alert `which` names: its id, or its name when only one alert has it.
    async fn find(&self, which: &str) -> Result<Alert, Error> {
        let which = which.trim();
        let alerts = self.alerts().await?;
        if let Some(alert) = alerts.iter().find(|a| a.id.as_str() == which) {
            return Ok(alert.clone());
        }
        let named: Vec<&Alert> = alerts
            .iter()
            .filter(|a| a.name.as_str() == which && a.state != AlertState::Resolved)
            .collect();
        match named.as_slice() {
            [] => Err(Error::NotFound(format!("no active alert `{which}`"))),
            [one] => Ok((*one).clone()),
            many => Err(Error::Invalid(format!(
                "{} alerts are named `{which}`: name one by its id ({})",
                many.len(),
                many.iter()
                    .map(|a| a.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Acknowledges an alert for `duration_ms`: a silence matching all its labels, created by
    /// the acting user with `reason`. Needs operator or above.
    pub async fn acknowledge(
        &self,
        which: &str,
        duration_ms: i64,
        reason: &str,
    ) -> Result<Alert, Error> {
        self.require(format!("alert {}", which.trim())).await?;
        let reason = reason_text(reason)?;
        if !(MIN_ACK_MS..=MAX_ACK_MS).contains(&duration_ms) {
            return Err(Error::Invalid(format!(
                "an acknowledgement lasts from {} to {}; {} is out of range",
                format_duration(MIN_ACK_MS),
                format_duration(MAX_ACK_MS),
                format_duration(duration_ms)
            )));
        }
        let alert = self.find(which).await?;
        match alert.state {
            AlertState::Firing => {}
            AlertState::Acknowledged => {
                let by = alert
                    .acknowledgement
                    .as_ref()
                    .map(|a| format!(" by {}", a.by))
                    .unwrap_or_default();
                return Err(Error::Invalid(format!(
                    "{} is already acknowledged{by}: un-acknowledge it first",
                    alert.target()
                )));
            }
            AlertState::Resolved => {
                return Err(Error::Invalid(format!(
                    "{} is resolved: nothing to acknowledge",
                    alert.target()
                )))
            }
        }
        let silence = NewSilence {
            matchers: alert
                .labels
                .iter()
                .map(|(k, v)| Matcher::equal(k, v))
                .collect(),
            created_by: self.actor.clone(),
            comment: reason.clone(),
            starts_at: self.now,
            ends_at: Timestamp(self.now.0 + duration_ms),
        };
        let id = self.source.acknowledge(&silence).await?;
        let draft = AuditDraft {
            before: Some(AlertState::Firing.id().into()),
            after: Some(AlertState::Acknowledged.id().into()),
            reason: Some(reason.clone()),
            response: Some(format!("silence {id} for {}", format_duration(duration_ms))),
            ..self.draft(AuditAction::Acknowledged, alert.target())
        };
        self.audit.append_audit(draft).await?;
        Ok(Alert {
            state: AlertState::Acknowledged,
            acknowledgement: Some(Acknowledgement {
                silence: id,
                by: self.actor.to_string(),
                reason,
                since: self.now,
                until: silence.ends_at,
                remaining_ms: duration_ms,
            }),
            ..alert
        })
    }

    /// Un-acknowledges an alert: expires every silence in force over it. Needs operator or above.
    pub async fn unacknowledge(&self, which: &str, reason: Option<&str>) -> Result<Alert, Error> {
        self.require(format!("alert {}", which.trim())).await?;
        let reason = match reason.map(str::trim) {
            None | Some("") => None,
            Some(r) => Some(reason_text(r)?),
        };
        let alert = self.find(which).await?;
        let snapshot = self.source.list().await?;
        let silences: Vec<&Silence> = snapshot
            .alerts
            .iter()
            .filter(|a| a.id == alert.id)
            .flat_map(|a| a.silenced_by.iter())
            .filter_map(|id| snapshot.silences.iter().find(|s| s.id == *id))
            .filter(|s| in_force(s, self.now))
            .collect();
        if silences.is_empty() {
            return Err(Error::Invalid(format!(
                "{} is not acknowledged",
                alert.target()
            )));
        }
        let mut expired = Vec::new();
        for silence in &silences {
            self.source.unacknowledge(&silence.id).await?;
            expired.push(silence.id.to_string());
        }
        let draft = AuditDraft {
            before: Some(AlertState::Acknowledged.id().into()),
            after: Some(AlertState::Firing.id().into()),
            reason,
            response: Some(format!("expired silence {}", expired.join(", "))),
            ..self.draft(AuditAction::Unacknowledged, alert.target())
        };
        self.audit.append_audit(draft).await?;
        Ok(Alert {
            state: AlertState::Firing,
            acknowledgement: None,
            ..alert
        })
    }
}

fn reason_text(reason: &str) -> Result<String, Error> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Invalid("an acknowledgement needs a reason".into()));
    }
    if reason.chars().count() > MAX_REASON {
        return Err(Error::Invalid(format!(
            "the reason is longer than {MAX_REASON} characters"
        )));
    }
    Ok(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::POLICY;

    fn policy() -> Policy {
        Policy::parse(POLICY, "gatehouse.toml").unwrap()
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn check_owner(
        pairs: &[(&str, &str)],
        receivers: &[&str],
        expected: (Option<&str>, Ownership),
    ) {
        let receivers: Vec<String> = receivers.iter().map(|r| r.to_string()).collect();
        let (owner, how) = resolve_owner(&policy(), &labels(pairs), &receivers);
        assert_eq!((owner.map(|o| o.id.0).as_deref(), how), expected);
    }

    #[test]
    fn owners_come_from_labels_then_receivers() {
        check_owner(
            &[("team", "serving-sre")],
            &[],
            (Some("serving-sre"), Ownership::Label),
        );
        // `owner` wins over `team`.
        check_owner(
            &[("team", "serving-sre"), ("owner", "ml-oncall")],
            &["data-platform"],
            (Some("ml-oncall"), Ownership::Label),
        );
        // An unknown label falls through to the receiver.
        check_owner(
            &[("team", "nobody")],
            &["default", "data-platform"],
            (Some("data-platform"), Ownership::Receiver),
        );
        check_owner(
            &[("team", "nobody")],
            &["default"],
            (None, Ownership::Unowned),
        );
        check_owner(&[], &[], (None, Ownership::Unowned));
    }

    #[test]
    fn a_user_hears_once_of_alerts_of_their_owners_that_start_firing() {
        let policy = policy();
        let now = Timestamp(10_000);
        let alert = |id: &str, team: &str| ObservedAlert {
            id: AlertId::from(id),
            labels: labels(&[("alertname", "X"), ("team", team)]),
            annotations: BTreeMap::new(),
            starts_at: Timestamp(0),
            ends_at: None,
            receivers: Vec::new(),
            silenced_by: Vec::new(),
        };
        let snapshot = AlertSnapshot {
            alerts: vec![alert("a", "serving-sre"), alert("b", "data-platform")],
            silences: Vec::new(),
        };
        let alerts = resolve_alerts(&policy, &snapshot, now);
        let marco = UserName::from("marco");
        let none = std::collections::BTreeSet::new();
        let new: Vec<&str> = newly_firing_for(&alerts, &none, &marco)
            .iter()
            .map(|a| a.id.as_str())
            .collect();
        // marco is in serving-sre, not in data-platform.
        assert_eq!(new, ["a"]);
        let seen = [AlertId::from("a")].into_iter().collect();
        assert!(newly_firing_for(&alerts, &seen, &marco).is_empty());
        assert!(newly_firing_for(&alerts, &none, &UserName::from("erin")).is_empty());
    }

    #[test]
    fn the_ownership_map_names_owners_by_alert_name_then_by_model() {
        // The demo policy maps `HighErrorRate` to serving-sre and the churn model to churn-models.
        check_owner(
            &[("alertname", "HighErrorRate"), ("model", "churn")],
            &["data-platform"],
            (Some("serving-sre"), Ownership::AlertName),
        );
        // A label still wins over the map.
        check_owner(
            &[("alertname", "HighErrorRate"), ("team", "ml-oncall")],
            &[],
            (Some("ml-oncall"), Ownership::Label),
        );
        // The receiver wins over the model's owner: routing is the more specific choice.
        check_owner(
            &[("alertname", "ScoreShift"), ("model", "churn")],
            &["data-platform"],
            (Some("data-platform"), Ownership::Receiver),
        );
        check_owner(
            &[("alertname", "ScoreShift"), ("model", "churn")],
            &["default"],
            (Some("churn-models"), Ownership::Model),
        );
        check_owner(
            &[("alertname", "ScoreShift"), ("model", "fraud")],
            &["default"],
            (None, Ownership::Unowned),
        );
    }

    fn observed(id: &str, name: &str, silenced_by: &[&str], ends_at: Option<i64>) -> ObservedAlert {
        ObservedAlert {
            id: AlertId::from(id),
            labels: labels(&[
                ("alertname", name),
                ("severity", "critical"),
                ("team", "serving-sre"),
            ]),
            annotations: labels(&[("runbook_url", "https://runbooks/x"), ("summary", " ")]),
            starts_at: Timestamp(1_000),
            ends_at: ends_at.map(Timestamp),
            receivers: vec![],
            silenced_by: silenced_by.iter().map(|s| SilenceId::from(*s)).collect(),
        }
    }

    fn silence(id: &str, state: SilenceState, ends_at: i64) -> Silence {
        Silence {
            id: SilenceId::from(id),
            matchers: vec![],
            created_by: "dana".into(),
            comment: "on it".into(),
            starts_at: Timestamp(2_000),
            ends_at: Timestamp(ends_at),
            state,
        }
    }

    #[test]
    fn state_follows_end_time_and_silences() {
        let now = Timestamp(10_000);
        let snapshot = AlertSnapshot {
            alerts: vec![
                observed("a", "Firing", &[], Some(20_000)),
                observed("b", "Acked", &["s1", "s2"], None),
                observed("c", "Gone", &[], Some(9_000)),
                observed("d", "ExpiredSilence", &["s3"], None),
            ],
            silences: vec![
                silence("s1", SilenceState::Active, 50_000),
                silence("s2", SilenceState::Active, 70_000),
                silence("s3", SilenceState::Expired, 70_000),
            ],
        };
        let alerts = resolve_alerts(&policy(), &snapshot, now);
        let states: Vec<(&str, AlertState)> =
            alerts.iter().map(|a| (a.name.as_str(), a.state)).collect();
        assert_eq!(
            states,
            [
                ("Firing", AlertState::Firing),
                ("ExpiredSilence", AlertState::Firing),
                ("Acked", AlertState::Acknowledged),
                ("Gone", AlertState::Resolved),
            ]
        );
        let ack = alerts[2].acknowledgement.as_ref().unwrap();
        assert_eq!((ack.silence.as_str(), ack.remaining_ms), ("s2", 60_000));
        assert_eq!(alerts[0].runbook.as_deref(), Some("https://runbooks/x"));
        assert_eq!(alerts[0].summary, None, "a blank summary is no summary");
        assert_eq!(alerts[0].severity, Severity::Critical);
    }

    #[test]
    fn durations_parse_and_print() {
        let check = |text: &str, expected: Option<i64>| {
            assert_eq!(parse_duration(text).ok(), expected, "{text}");
        };
        check("2h", Some(2 * Timestamp::HOUR_MS));
        check("1h30m", Some(90 * 60_000));
        check("45s", Some(45_000));
        check(" 1d ", Some(24 * Timestamp::HOUR_MS));
        check("1w", Some(7 * 24 * Timestamp::HOUR_MS));
        for bad in [
            "",
            "2",
            "h",
            "2x",
            "-2h",
            "1.5h",
            "99999999999999999999h",
            "2h3",
        ] {
            check(bad, None);
        }
        assert_eq!(format_duration(90 * 60_000), "1h30m");
        assert_eq!(format_duration(26 * Timestamp::HOUR_MS + 5_000), "1d2h5s");
        assert_eq!(format_duration(-5), "0s");
    }

    #[test]
    fn durations_never_panic() {
        // A cheap fuzz: every string of up to three characters over an alphabet of digits,
        // units and junk.
        let alphabet: Vec<char> = "09hmsdwx.-9 ".chars().collect();
        let mut inputs = vec![String::new()];
        for _ in 0..3 {
            let mut next = Vec::new();
            for s in &inputs {
                for c in &alphabet {
                    next.push(format!("{s}{c}"));
                }
            }
            inputs.extend(next);
        }
        for s in inputs {
            let _ = parse_duration(&s);
        }
        let _ = parse_duration(&"9".repeat(30).to_string());
    }
}

/// Gatehouse's own rules, for a workspace without Alertmanager: a blocked gate, a gate whose
/// source went quiet, and a feature drifting in the latest serving window each raise an alert
/// owned by the gate's owner (drift: the retrain trigger's owner), with the gate's runbook.
pub mod rules {
    use std::collections::BTreeMap;

    use super::{AlertId, ObservedAlert};
    use crate::gate::{CheckOutcome, GateState, GateStatus};
    use crate::monitor::DriftBoard;
    use crate::policy::Policy;
    use crate::status::LoopStatus;

    fn observed(
        id: String,
        labels: &[(&str, String)],
        summary: String,
        runbook: Option<&str>,
        starts_at: crate::time::Timestamp,
    ) -> ObservedAlert {
        let mut annotations = BTreeMap::from([("summary".to_owned(), summary)]);
        if let Some(r) = runbook {
            annotations.insert("runbook_url".to_owned(), r.to_owned());
        }
        ObservedAlert {
            id: AlertId(id),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            annotations,
            starts_at,
            ends_at: None,
            receivers: Vec::new(),
            silenced_by: Vec::new(),
        }
    }

    fn owner_label(gate: &GateStatus) -> Option<String> {
        gate.owner.assigned.then(|| gate.owner.id.to_string())
    }

    /// The alerts the rules raise for `status` and, when given, the drift `board`.
    pub fn evaluate(
        policy: &Policy,
        status: &LoopStatus,
        board: Option<&DriftBoard>,
    ) -> Vec<ObservedAlert> {
        let runbook = |gate: &str| {
            policy
                .gates
                .iter()
                .find(|g| g.id.as_str() == gate)
                .and_then(|g| g.runbook.as_deref())
        };
        let mut alerts = Vec::new();
        for gate in &status.gates {
            let (name, severity, outcome) = match gate.state {
                GateState::Blocked => ("GateBlocked", "critical", CheckOutcome::Unmet),
                GateState::Unknown => ("GateSourceQuiet", "warning", CheckOutcome::Stale),
                GateState::Passed | GateState::Pending | GateState::Overridden => continue,
            };
            let since = gate
                .evidence
                .iter()
                .filter(|e| e.outcome == outcome)
                .filter_map(|e| e.read_at)
                .min()
                .unwrap_or(status.evaluated_at);
            let mut labels = vec![
                ("alertname", name.to_owned()),
                ("severity", severity.to_owned()),
                ("model", status.model.to_string()),
                ("gate", gate.id.to_string()),
            ];
            if let Some(owner) = owner_label(gate) {
                labels.push(("owner", owner));
            }
            alerts.push(observed(
                format!("gatehouse/{name}/{}", gate.id),
                &labels,
                format!(
                    "{} gate is {}: {}",
                    gate.title,
                    gate.state.id(),
                    gate.summary
                ),
                runbook(gate.id.as_str()),
                since,
            ));
        }
        if let Some(board) = board {
            let trigger = status
                .gates
                .iter()
                .find(|g| g.id.as_str() == "retrain-trigger");
            for f in &board.features {
                let Some(last) = f.points.last() else {
                    continue;
                };
                if !last.drifted {
                    continue;
                }
                // Onset: the first window of the run of drifting windows that reaches now.
                let onset = f
                    .points
                    .iter()
                    .rev()
                    .take_while(|p| p.drifted)
                    .last()
                    .map(|p| p.at)
                    .unwrap_or(last.at);
                let mut labels = vec![
                    ("alertname", "FeatureDrift".to_owned()),
                    ("severity", "warning".to_owned()),
                    ("model", board.model.to_string()),
                    ("feature", f.name.clone()),
                ];
                if let Some(owner) = trigger.and_then(owner_label) {
                    labels.push(("owner", owner));
                }
                let direction = if f.is_test { "≤" } else { "≥" };
                alerts.push(observed(
                    format!("gatehouse/FeatureDrift/{}/{}", board.model, f.name),
                    &labels,
                    format!(
                        "{} drifts: {} {} {direction} {}",
                        f.name,
                        f.method,
                        crate::gate::fmt_num(last.score),
                        crate::gate::fmt_num(f.threshold)
                    ),
                    runbook("retrain-trigger"),
                    onset,
                ));
            }
        }
        alerts
    }
}
