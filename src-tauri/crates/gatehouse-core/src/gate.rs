//! Gates: the checks that stand between two stages, and how their state follows from the latest
//! readings. A gate is a red stop node when one of its blocking checks fails.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::policy::{CheckSpec, GateSpec, Owner, Unmet};
use crate::reading::{string_id, Reading, SignalName};
use crate::stage::Stage;
use crate::time::Timestamp;

string_id!(
    /// A gate's identifier, such as `data-quality`.
    GateId
);

/// The state of a gate. Ordered from the most to the least urgent for display and aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum GateState {
    /// Every check holds.
    Passed,
    /// A blocking check failed: the loop cannot pass here.
    Blocked,
    /// Waiting for data or for a person.
    Pending,
    /// Passed by a person with a reason, despite its checks.
    Overridden,
    /// Its source is unreachable or stale: shown, never guessed.
    Unknown,
}

impl GateState {
    /// The identifier used in JSON and the UI.
    pub fn id(self) -> &'static str {
        match self {
            GateState::Passed => "passed",
            GateState::Blocked => "blocked",
            GateState::Pending => "pending",
            GateState::Overridden => "overridden",
            GateState::Unknown => "unknown",
        }
    }
}

/// What a single check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// The latest reading is within bounds.
    Met,
    /// The latest reading is out of bounds.
    Unmet,
    /// No reading exists yet.
    Missing,
    /// The latest reading is older than the check allows.
    Stale,
}

/// A check's outcome with the numbers behind it: what was expected, what was read, when, where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Evidence {
    /// The check's identifier within its gate.
    pub check: String,
    /// What the check verifies, for a person.
    pub description: String,
    /// The signal it reads.
    pub signal: SignalName,
    /// The bounds in words, such as `≤ 0` or `≥ 0.8`.
    pub expected: String,
    /// The latest value read, if any.
    pub value: Option<f64>,
    /// What the check found.
    pub outcome: CheckOutcome,
    /// Whether an unmet outcome blocks the gate (otherwise it leaves the gate pending).
    pub blocking: bool,
    /// When the value was read.
    pub read_at: Option<Timestamp>,
    /// Where the value came from.
    pub source: Option<String>,
    /// Context recorded with the reading.
    pub note: Option<String>,
}

/// A person's decision to pass a gate despite its checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct GateOverride {
    /// The gate overridden.
    pub gate: GateId,
    /// Who overrode it.
    pub by: String,
    /// Why.
    pub reason: String,
    /// When.
    pub at: Timestamp,
    /// Until when the override holds; forever when absent.
    pub expires_at: Option<Timestamp>,
}

/// A gate as it stands now: its place in the loop, its state, owner and evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct GateStatus {
    /// The gate's identifier.
    pub id: GateId,
    /// A name for people.
    pub title: String,
    /// The stage before the gate.
    pub from: Stage,
    /// The stage after the gate.
    pub to: Stage,
    /// The state derived from the evidence.
    pub state: GateState,
    /// Who owns the gate.
    pub owner: Owner,
    /// What the gate protects against, in a sentence.
    pub protects: String,
    /// Why the gate is in its state, in one line.
    pub summary: String,
    /// One entry per check, in policy order.
    pub evidence: Vec<Evidence>,
    /// The override in force, if the state is `overridden`.
    pub active_override: Option<GateOverride>,
}

/// The latest reading of each signal.
pub type LatestReadings = BTreeMap<SignalName, Reading>;

/// Evaluates one check against the latest readings at `now`.
pub fn evaluate_check(check: &CheckSpec, latest: &LatestReadings, now: Timestamp) -> Evidence {
    let reading = latest.get(&check.signal);
    let outcome = match reading {
        None => CheckOutcome::Missing,
        Some(r) => match check.max_age_hours {
            Some(max_age) if now.hours_since(r.read_at) > max_age => CheckOutcome::Stale,
            _ if check.holds(r.value) => CheckOutcome::Met,
            _ => CheckOutcome::Unmet,
        },
    };
    Evidence {
        check: check.id.clone(),
        description: check.description.clone(),
        signal: check.signal.clone(),
        expected: check.expected(),
        value: reading.map(|r| r.value),
        outcome,
        blocking: check.when_unmet == Unmet::Block,
        read_at: reading.map(|r| r.read_at),
        source: reading.map(|r| r.source.clone()),
        note: reading.and_then(|r| r.note.clone()),
    }
}

/// The state that a gate's evidence implies, before any override: blocked beats unknown beats
/// pending beats passed. A gate with no checks is unknown: nothing tells us it is safe.
pub fn state_from_evidence(evidence: &[Evidence]) -> GateState {
    if evidence.is_empty() {
        return GateState::Unknown;
    }
    let mut state = GateState::Passed;
    for e in evidence {
        let this = match (e.outcome, e.blocking) {
            (CheckOutcome::Met, _) => GateState::Passed,
            (CheckOutcome::Unmet, true) => return GateState::Blocked,
            (CheckOutcome::Unmet, false) | (CheckOutcome::Missing, _) => GateState::Pending,
            (CheckOutcome::Stale, _) => GateState::Unknown,
        };
        state = match (state, this) {
            (GateState::Unknown, _) | (_, GateState::Unknown) => GateState::Unknown,
            (GateState::Pending, _) | (_, GateState::Pending) => GateState::Pending,
            _ => GateState::Passed,
        };
    }
    state
}

/// Evaluates a gate: its checks against the latest readings, then any override still in force.
pub fn evaluate_gate(
    spec: &GateSpec,
    owner: Owner,
    latest: &LatestReadings,
    overrides: &[GateOverride],
    now: Timestamp,
) -> GateStatus {
    let evidence: Vec<Evidence> = spec
        .checks
        .iter()
        .map(|c| evaluate_check(c, latest, now))
        .collect();
    let derived = state_from_evidence(&evidence);
    let active_override = match derived {
        GateState::Passed => None,
        GateState::Blocked | GateState::Pending | GateState::Unknown | GateState::Overridden => {
            overrides
                .iter()
                .filter(|o| o.gate == spec.id && o.at <= now)
                .filter(|o| o.expires_at.is_none_or(|end| end > now))
                .max_by_key(|o| o.at)
                .cloned()
        }
    };
    let state = if active_override.is_some() {
        GateState::Overridden
    } else {
        derived
    };
    let summary = summarize(state, &evidence, active_override.as_ref(), now);
    GateStatus {
        id: spec.id.clone(),
        title: spec.title.clone(),
        from: spec.from,
        to: spec.to,
        state,
        owner,
        protects: spec.protects.clone(),
        summary,
        evidence,
        active_override,
    }
}

fn summarize(
    state: GateState,
    evidence: &[Evidence],
    active: Option<&GateOverride>,
    now: Timestamp,
) -> String {
    let describe = |e: &Evidence| match (e.outcome, e.value, e.read_at) {
        (CheckOutcome::Missing, _, _) | (_, None, _) | (_, _, None) => {
            format!("{} has no reading yet", e.check)
        }
        (CheckOutcome::Stale, Some(_), Some(at)) => format!(
            "{} is stale: its last reading is {} h old",
            e.check,
            fmt_num(now.hours_since(at).round())
        ),
        (CheckOutcome::Met | CheckOutcome::Unmet, Some(v), Some(_)) => {
            format!("{} is {}, must be {}", e.check, fmt_num(v), e.expected)
        }
    };
    let first = |pred: &dyn Fn(&Evidence) -> bool| evidence.iter().find(|e| pred(e)).map(describe);
    match state {
        GateState::Passed => format!("all {} checks hold", evidence.len()),
        GateState::Blocked => first(&|e| e.outcome == CheckOutcome::Unmet && e.blocking)
            .unwrap_or_else(|| "a blocking check failed".into()),
        GateState::Pending => first(&|e| {
            e.outcome == CheckOutcome::Missing || (e.outcome == CheckOutcome::Unmet && !e.blocking)
        })
        .map(|s| format!("waiting: {s}"))
        .unwrap_or_else(|| "waiting for data or a person".into()),
        GateState::Unknown if evidence.is_empty() => "no checks configured".into(),
        GateState::Unknown => first(&|e| e.outcome == CheckOutcome::Stale)
            .unwrap_or_else(|| "its source is unreachable".into()),
        GateState::Overridden => match active {
            Some(o) => format!("overridden by {}: {}", o.by, o.reason),
            None => "overridden".into(),
        },
    }
}

/// Formats a number without float noise: integers without decimals, others with up to 4.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Owner;
    use crate::reading::ModelName;

    fn check(id: &str, min: Option<f64>, max: Option<f64>, unmet: Unmet) -> CheckSpec {
        CheckSpec {
            id: id.into(),
            description: String::new(),
            signal: SignalName(format!("s.{id}")),
            min,
            max,
            when_unmet: unmet,
            max_age_hours: Some(24.0),
        }
    }

    fn reading(id: &str, value: f64, hours_ago: f64) -> (SignalName, Reading) {
        let signal = SignalName(format!("s.{id}"));
        let r = Reading {
            model: ModelName::from("m"),
            signal: signal.clone(),
            value,
            read_at: NOW.hours_before(hours_ago),
            source: "test".into(),
            note: None,
        };
        (signal, r)
    }

    const NOW: Timestamp = Timestamp(1_800_000_000_000);

    fn gate(checks: Vec<CheckSpec>) -> GateSpec {
        GateSpec {
            id: GateId::from("g"),
            title: "G".into(),
            from: Stage::Data,
            to: Stage::Train,
            owner: "o".into(),
            protects: String::new(),
            runbook: None,
            checks,
        }
    }

    /// Evaluates a gate of the given checks over `(check id, value, hours ago)` readings.
    fn state_of(checks: Vec<CheckSpec>, readings: &[(&str, f64, f64)]) -> GateState {
        let latest: LatestReadings = readings
            .iter()
            .map(|(id, v, h)| reading(id, *v, *h))
            .collect();
        evaluate_gate(&gate(checks), Owner::unassigned("o"), &latest, &[], NOW).state
    }

    #[test]
    fn checks_decide_the_state_by_urgency() {
        let block = |id| check(id, None, Some(0.0), Unmet::Block);
        let wait = |id| check(id, Some(2.0), None, Unmet::Wait);
        assert_eq!(
            state_of(vec![block("a")], &[("a", 0.0, 1.0)]),
            GateState::Passed
        );
        assert_eq!(
            state_of(vec![block("a")], &[("a", 3.0, 1.0)]),
            GateState::Blocked
        );
        assert_eq!(
            state_of(vec![wait("a")], &[("a", 1.0, 1.0)]),
            GateState::Pending
        );
        assert_eq!(state_of(vec![block("a")], &[]), GateState::Pending);
        assert_eq!(
            state_of(vec![block("a")], &[("a", 0.0, 30.0)]),
            GateState::Unknown
        );
        assert_eq!(state_of(vec![], &[]), GateState::Unknown);
        // A failing blocking check wins over a stale one, wherever it stands.
        assert_eq!(
            state_of(
                vec![block("a"), block("b")],
                &[("a", 0.0, 30.0), ("b", 5.0, 1.0)]
            ),
            GateState::Blocked
        );
        // Stale beats waiting: an unreachable source is more urgent than a missing approval.
        assert_eq!(
            state_of(
                vec![wait("a"), block("b")],
                &[("a", 1.0, 1.0), ("b", 0.0, 48.0)]
            ),
            GateState::Unknown
        );
    }

    #[test]
    fn an_override_in_force_passes_a_blocked_gate_and_says_who() {
        let spec = gate(vec![check("a", None, Some(0.0), Unmet::Block)]);
        let latest: LatestReadings = [reading("a", 4.0, 1.0)].into_iter().collect();
        let ov = GateOverride {
            gate: GateId::from("g"),
            by: "erin".into(),
            reason: "known upstream fix".into(),
            at: NOW.hours_before(2.0),
            expires_at: Some(NOW.hours_before(-1.0)),
        };
        let status = evaluate_gate(
            &spec,
            Owner::unassigned("o"),
            &latest,
            std::slice::from_ref(&ov),
            NOW,
        );
        assert_eq!(status.state, GateState::Overridden);
        assert_eq!(status.summary, "overridden by erin: known upstream fix");

        let expired = GateOverride {
            expires_at: Some(NOW.hours_before(1.0)),
            ..ov
        };
        let status = evaluate_gate(&spec, Owner::unassigned("o"), &latest, &[expired], NOW);
        assert_eq!(status.state, GateState::Blocked);
        assert_eq!(status.summary, "a is 4, must be ≤ 0");
    }

    #[test]
    fn numbers_print_without_float_noise() {
        assert_eq!(fmt_num(3.0), "3");
        assert_eq!(fmt_num(0.1 + 0.2), "0.3");
        assert_eq!(fmt_num(0.8412), "0.8412");
        assert_eq!(fmt_num(-0.005), "-0.005");
    }
}
