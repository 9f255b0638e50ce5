//! `gatehouse alerts [--owner O]`, `gatehouse ack ALERT --for 2h --reason TEXT` and
//! `gatehouse unack ALERT [--reason TEXT]`: the alerts of the workspace's alert back end with
//! owner, runbook and state, and acknowledgement as a silence (DESIGN §5).

use std::collections::BTreeMap;

use gatehouse_connectors::alerts::AlertBackend;
use gatehouse_core::alert::{format_duration, parse_duration, Alert, AlertDesk, Ownership};
use gatehouse_core::policy::{OwnerId, Policy, UserName};
use gatehouse_core::ports::PromotionStore;
use gatehouse_core::time::Timestamp;
use gatehouse_core::{Error, ErrorCode};
use serde::Serialize;

/// An alert in the CLI's JSON: DESIGN §5's keys, then what a person needs to act on it.
#[derive(Debug, Serialize)]
pub struct AlertDoc {
    /// `alertname`.
    pub name: String,
    /// critical, warning, info or unknown.
    pub severity: &'static str,
    /// The owner's key in the policy; null when unowned.
    pub owner: Option<String>,
    /// The runbook link.
    pub runbook: Option<String>,
    /// firing, acknowledged or resolved.
    pub state: &'static str,
    /// When it started firing (milliseconds since the epoch, like every time in the contract).
    pub since: Timestamp,
    /// All its labels.
    pub labels: BTreeMap<String, String>,
    /// Its fingerprint, to name it when several alerts share a name.
    pub id: String,
    /// label, alert_name, receiver, model or unowned: how the owner was found (unowned flags an
    /// alert that reaches nobody).
    pub owned_by: &'static str,
    /// What it is about.
    pub summary: Option<String>,
    /// Who acknowledged it, why, and until when.
    pub acknowledged: Option<AckDoc>,
}

/// An acknowledgement in the CLI's JSON.
#[derive(Debug, Serialize)]
pub struct AckDoc {
    /// Who.
    pub by: String,
    /// Why.
    pub reason: String,
    /// Until when.
    pub until: Timestamp,
    /// Milliseconds left.
    pub remaining_ms: i64,
    /// The silence that carries it.
    pub silence: String,
}

impl From<&Alert> for AlertDoc {
    fn from(a: &Alert) -> AlertDoc {
        AlertDoc {
            name: a.name.to_string(),
            severity: a.severity.id(),
            owner: a.owner.as_ref().map(|o| o.id.to_string()),
            runbook: a.runbook.clone(),
            state: a.state.id(),
            since: a.since,
            labels: a.labels.clone(),
            id: a.id.to_string(),
            owned_by: match a.ownership {
                Ownership::Label => "label",
                Ownership::AlertName => "alert_name",
                Ownership::Receiver => "receiver",
                Ownership::Model => "model",
                Ownership::Unowned => "unowned",
            },
            summary: a.summary.clone(),
            acknowledged: a.acknowledgement.as_ref().map(|k| AckDoc {
                by: k.by.clone(),
                reason: k.reason.clone(),
                until: k.until,
                remaining_ms: k.remaining_ms,
                silence: k.silence.to_string(),
            }),
        }
    }
}

/// `gatehouse alerts [--owner O]`: every alert, or those `owner` owns.
pub async fn list(
    policy: &Policy,
    store: &gatehouse_store::Workspace,
    actor: &UserName,
    now: Timestamp,
    owner: Option<&str>,
) -> Result<Vec<Alert>, Error> {
    let source = AlertBackend::for_workspace(policy, store, now).await?;
    let desk = AlertDesk {
        policy,
        actor: actor.clone(),
        now,
        source: &source,
        audit: store,
    };
    match owner {
        Some(o) => desk.alerts_of(&OwnerId::from(o)).await,
        None => desk.alerts().await,
    }
}

/// `gatehouse ack ALERT --for DURATION --reason TEXT`.
pub async fn ack<S: PromotionStore + Sync>(
    policy: &Policy,
    store: &S,
    actor: &UserName,
    now: Timestamp,
    alert: &str,
    duration: &str,
    reason: &str,
) -> Result<Alert, Error> {
    let duration_ms = parse_duration(duration)?;
    let source = AlertBackend::from_policy(policy)?;
    AlertDesk {
        policy,
        actor: actor.clone(),
        now,
        source: &source,
        audit: store,
    }
    .acknowledge(alert, duration_ms, reason)
    .await
}

/// `gatehouse unack ALERT [--reason TEXT]`.
pub async fn unack<S: PromotionStore + Sync>(
    policy: &Policy,
    store: &S,
    actor: &UserName,
    now: Timestamp,
    alert: &str,
    reason: Option<&str>,
) -> Result<Alert, Error> {
    let source = AlertBackend::from_policy(policy)?;
    AlertDesk {
        policy,
        actor: actor.clone(),
        now,
        source: &source,
        audit: store,
    }
    .unacknowledge(alert, reason)
    .await
}

fn print_json(value: &impl Serialize) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Port {
        code: ErrorCode::Internal,
        message: format!("cannot encode the result: {e}"),
    })?;
    println!("{text}");
    Ok(())
}

fn line(a: &Alert, now: Timestamp) -> String {
    let owner = match &a.owner {
        Some(o) => o.id.to_string(),
        None => "UNOWNED".into(),
    };
    let mut text = format!(
        "{:<12} {:<8} {:<24} {:<16} {:>7}  {}",
        a.state.id(),
        a.severity.id(),
        a.name,
        owner,
        format_duration(now.0 - a.since.0),
        a.runbook.as_deref().unwrap_or("(no runbook)")
    );
    if let Some(k) = &a.acknowledgement {
        text.push_str(&format!(
            "\n{:<12} by {}: {} ({} left)",
            "",
            k.by,
            k.reason,
            format_duration(k.remaining_ms)
        ));
    }
    text
}

/// Prints `{"alerts": [...]}`, or a table grouped by nothing but sorted by urgency.
pub fn print_alerts(json: bool, alerts: &[Alert], now: Timestamp) -> Result<(), Error> {
    if json {
        #[derive(Serialize)]
        struct Doc {
            alerts: Vec<AlertDoc>,
        }
        return print_json(&Doc {
            alerts: alerts.iter().map(AlertDoc::from).collect(),
        });
    }
    if alerts.is_empty() {
        println!("no alerts");
        return Ok(());
    }
    println!(
        "{:<12} {:<8} {:<24} {:<16} {:>7}  RUNBOOK",
        "STATE", "SEVERITY", "ALERT", "OWNER", "AGE"
    );
    for a in alerts {
        println!("{}", line(a, now));
    }
    let unowned = alerts
        .iter()
        .filter(|a| a.ownership == Ownership::Unowned)
        .count();
    if unowned > 0 {
        println!("{unowned} alert(s) reach nobody: give them an `owner` or `team` label the policy knows");
    }
    Ok(())
}

/// Prints `{"alert": {...}}` after an acknowledgement or its withdrawal.
pub fn print_alert(json: bool, alert: &Alert, now: Timestamp) -> Result<(), Error> {
    if json {
        #[derive(Serialize)]
        struct Doc {
            alert: AlertDoc,
        }
        return print_json(&Doc {
            alert: AlertDoc::from(alert),
        });
    }
    println!("{}", line(alert, now));
    Ok(())
}
