//! The audit log: append-only events, one per action (who, what, when, target, before, after,
//! reason, back-end response). Each event holds the SHA-256 of the one before it and its own hash
//! over all its fields, so that [`verify`] finds any edited, inserted or deleted event and names
//! the first bad one.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::policy::UserName;
use crate::promotion::RequestId;
use crate::time::Timestamp;

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A promotion was requested.
    Requested,
    /// An approver approved a request.
    Approved,
    /// An approver rejected a request.
    Rejected,
    /// An admin passed a request's blocking gates with a reason.
    Overridden,
    /// A rollback was requested.
    RollbackRequested,
    /// A pointer was moved in the registry.
    Executed,
    /// Execution failed or was refused (stale request, back end error).
    Failed,
    /// An interrupted execution was settled against the registry on start-up.
    Reconciled,
    /// An action was refused for lack of a role or by the four-eyes rule.
    Denied,
    /// An alert was acknowledged: silenced with a reason until a time.
    Acknowledged,
    /// An acknowledgement was taken back: its silence expired.
    Unacknowledged,
    /// A deploy hook was called after a pointer moved and accepted the call.
    HookCalled,
    /// A deploy hook was called after a pointer moved and failed; the move stands.
    HookFailed,
    /// A data batch was quarantined: pipelines must not train or serve on it.
    Quarantined,
    /// A model's owner was asked to retrain it.
    RetrainRequested,
    /// A trainee started a drill (on a drill copy of the demo workspace).
    DrillStarted,
    /// A trainee asked a running drill for a hint.
    HintTaken,
    /// A trainee finished or gave up a drill.
    DrillFinished,
}

impl AuditAction {
    /// The identifier used in storage and JSON.
    pub fn id(self) -> &'static str {
        match self {
            AuditAction::Requested => "requested",
            AuditAction::Approved => "approved",
            AuditAction::Rejected => "rejected",
            AuditAction::Overridden => "overridden",
            AuditAction::RollbackRequested => "rollback_requested",
            AuditAction::Executed => "executed",
            AuditAction::Failed => "failed",
            AuditAction::Reconciled => "reconciled",
            AuditAction::Denied => "denied",
            AuditAction::Acknowledged => "acknowledged",
            AuditAction::Unacknowledged => "unacknowledged",
            AuditAction::HookCalled => "hook_called",
            AuditAction::HookFailed => "hook_failed",
            AuditAction::Quarantined => "quarantined",
            AuditAction::RetrainRequested => "retrain_requested",
            AuditAction::DrillStarted => "drill_started",
            AuditAction::HintTaken => "hint_taken",
            AuditAction::DrillFinished => "drill_finished",
        }
    }

    /// The action with this identifier.
    pub fn from_id(id: &str) -> Option<AuditAction> {
        [
            AuditAction::Requested,
            AuditAction::Approved,
            AuditAction::Rejected,
            AuditAction::Overridden,
            AuditAction::RollbackRequested,
            AuditAction::Executed,
            AuditAction::Failed,
            AuditAction::Reconciled,
            AuditAction::Denied,
            AuditAction::Acknowledged,
            AuditAction::Unacknowledged,
            AuditAction::HookCalled,
            AuditAction::HookFailed,
            AuditAction::Quarantined,
            AuditAction::RetrainRequested,
            AuditAction::DrillStarted,
            AuditAction::HintTaken,
            AuditAction::DrillFinished,
        ]
        .into_iter()
        .find(|a| a.id() == id)
    }
}

/// An event before the log gives it a place: everything but its sequence number and hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditDraft {
    /// When it happened.
    pub at: Timestamp,
    /// Who did it.
    pub actor: UserName,
    /// What was done.
    pub action: AuditAction,
    /// What it was done to, such as `churn@production`.
    pub target: String,
    /// The state before, such as the version a pointer held.
    pub before: Option<String>,
    /// The state after.
    pub after: Option<String>,
    /// Why, in the actor's words.
    pub reason: Option<String>,
    /// What the back end answered.
    pub response: Option<String>,
    /// The request it belongs to.
    pub request: Option<RequestId>,
}

impl AuditDraft {
    /// `actor` did `action` to `target` at `at`; before, after, reason, response and request
    /// are for the caller to fill in.
    pub fn new(at: Timestamp, actor: UserName, action: AuditAction, target: String) -> AuditDraft {
        AuditDraft {
            at,
            actor,
            action,
            target,
            before: None,
            after: None,
            reason: None,
            response: None,
            request: None,
        }
    }
}

/// An event in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct AuditEvent {
    /// Its place in the log, from 1 without gaps.
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub seq: i64,
    /// When it happened.
    pub at: Timestamp,
    /// Who did it.
    pub actor: UserName,
    /// What was done.
    pub action: AuditAction,
    /// What it was done to.
    pub target: String,
    /// The state before.
    pub before: Option<String>,
    /// The state after.
    pub after: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// What the back end answered.
    pub response: Option<String>,
    /// The request it belongs to.
    pub request: Option<RequestId>,
    /// The hash of the previous event ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// SHA-256 over this event's fields and `prev_hash`, hex-encoded.
    pub hash: String,
}

impl AuditEvent {
    /// Places a draft after the event with `prev_hash` at position `seq`, computing its hash.
    pub fn seal(draft: AuditDraft, seq: i64, prev_hash: String) -> AuditEvent {
        let mut event = AuditEvent {
            seq,
            at: draft.at,
            actor: draft.actor,
            action: draft.action,
            target: draft.target,
            before: draft.before,
            after: draft.after,
            reason: draft.reason,
            response: draft.response,
            request: draft.request,
            prev_hash,
            hash: String::new(),
        };
        event.hash = event.compute_hash();
        event
    }

    /// The hash this event's fields imply: SHA-256 of a JSON array of every field but `hash`, in
    /// a fixed order.
    pub fn compute_hash(&self) -> String {
        let canonical = serde_json::json!([
            "gatehouse-audit-v1",
            self.seq,
            self.at.0,
            self.actor.as_str(),
            self.action.id(),
            self.target,
            self.before,
            self.after,
            self.reason,
            self.response,
            self.request.map(|r| r.0),
            self.prev_hash,
        ]);
        let digest = Sha256::digest(canonical.to_string().as_bytes());
        hex(&digest)
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// What is wrong with the first bad event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AuditProblem {
    /// Its fields do not match its hash: it was edited.
    Edited,
    /// It does not follow on from the event before (one was deleted or inserted there).
    BrokenLink,
    /// Its sequence number skips or repeats (an event was deleted or inserted).
    Gap,
}

/// The outcome of verifying the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Verification {
    /// How many events were read.
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub events: u64,
    /// The hash of the last event: publish it to anchor the log against truncation.
    pub head: String,
    /// The first bad event and what is wrong with it; none when the log is intact.
    pub first_bad: Option<BadEvent>,
}

/// The first event that fails verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct BadEvent {
    /// Its sequence number as stored.
    #[cfg_attr(feature = "bindings", ts(type = "number"))]
    pub seq: i64,
    /// What is wrong.
    pub problem: AuditProblem,
}

impl Verification {
    /// Whether the log is intact.
    pub fn ok(&self) -> bool {
        self.first_bad.is_none()
    }
}

/// Checks a log in sequence order: numbering without gaps from 1, each link to the previous hash,
/// and each event's own hash. Stops at the first bad event.
pub fn verify<'a>(events: impl IntoIterator<Item = &'a AuditEvent>) -> Verification {
    let mut count = 0u64;
    let mut prev = GENESIS.to_owned();
    for (expected_seq, event) in (1i64..).zip(events) {
        count += 1;
        let problem = if event.seq != expected_seq {
            Some(AuditProblem::Gap)
        } else if event.prev_hash != prev {
            Some(AuditProblem::BrokenLink)
        } else if event.compute_hash() != event.hash {
            Some(AuditProblem::Edited)
        } else {
            None
        };
        if let Some(problem) = problem {
            return Verification {
                events: count,
                head: prev,
                first_bad: Some(BadEvent {
                    seq: event.seq,
                    problem,
                }),
            };
        }
        prev.clone_from(&event.hash);
    }
    Verification {
        events: count,
        head: prev,
        first_bad: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut out: Vec<AuditEvent> = Vec::new();
        for seq in 1..=n {
            let prev = out.last().map(|e| e.hash.clone()).unwrap_or(GENESIS.into());
            let draft = AuditDraft {
                at: Timestamp(seq * 1000),
                actor: UserName::from("priya"),
                action: AuditAction::Approved,
                target: "churn@production".into(),
                before: Some("3".into()),
                after: Some("4".into()),
                reason: Some(format!("reason {seq}")),
                response: None,
                request: Some(RequestId(seq)),
            };
            out.push(AuditEvent::seal(draft, seq, prev));
        }
        out
    }

    fn check(events: &[AuditEvent], expected: Option<(i64, AuditProblem)>) {
        let v = verify(events);
        assert_eq!(v.first_bad.map(|b| (b.seq, b.problem)), expected);
    }

    #[test]
    fn an_intact_chain_verifies() {
        let events = chain(5);
        check(&events, None);
        assert_eq!(verify(&events).head, events[4].hash);
        check(&[], None);
    }

    #[test]
    fn an_edited_event_is_named() {
        let mut events = chain(5);
        events[2].reason = Some("nobody will notice".into());
        check(&events, Some((3, AuditProblem::Edited)));
        let mut events = chain(5);
        events[3].actor = UserName::from("mallory");
        check(&events, Some((4, AuditProblem::Edited)));
    }

    #[test]
    fn a_deleted_or_inserted_event_is_named() {
        let mut events = chain(5);
        events.remove(1);
        check(&events, Some((3, AuditProblem::Gap)));

        // A deletion with the numbers rewritten still breaks the link.
        let mut events = chain(5);
        events.remove(1);
        for (i, e) in events.iter_mut().enumerate() {
            e.seq = i as i64 + 1;
        }
        check(&events, Some((2, AuditProblem::BrokenLink)));

        // Even a forged event with a correct own hash breaks the next link.
        let mut events = chain(4);
        let forged = AuditEvent::seal(
            AuditDraft {
                reason: Some("forged".into()),
                ..AuditDraft {
                    at: Timestamp(1),
                    actor: UserName::from("mallory"),
                    action: AuditAction::Executed,
                    target: "churn@production".into(),
                    before: None,
                    after: None,
                    reason: None,
                    response: None,
                    request: None,
                }
            },
            2,
            events[0].hash.clone(),
        );
        events[1] = forged;
        check(&events, Some((3, AuditProblem::BrokenLink)));
    }

    #[test]
    fn actions_round_trip_through_their_ids() {
        for a in [
            AuditAction::Requested,
            AuditAction::Denied,
            AuditAction::RollbackRequested,
            AuditAction::Acknowledged,
            AuditAction::Unacknowledged,
            AuditAction::Quarantined,
            AuditAction::RetrainRequested,
            AuditAction::DrillStarted,
            AuditAction::HintTaken,
            AuditAction::DrillFinished,
        ] {
            assert_eq!(AuditAction::from_id(a.id()), Some(a));
        }
        assert_eq!(AuditAction::from_id("deleted"), None);
    }
}
