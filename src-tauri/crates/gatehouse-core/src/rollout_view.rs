//! What the panel and `gatehouse status` show of the rollout in progress: the rollout gate judged
//! by the live analysis, and the Rollout view (the analysis metric by metric, the rollback a
//! failed analysis proposes with its from → to, and what the acting user may do about it).
//!
//! The analysis itself is [`Rollout::analyze`]'s; this module only reads it, so the gate, the
//! view and `gatehouse rollout analyze` can never tell different stories.

use serde::{Deserialize, Serialize};

use crate::access::{authorize, Permission};
use crate::error::{Error, ErrorCode, ErrorReport};
use crate::gate::{
    fmt_num, state_from_evidence, CheckOutcome, Evidence, GateId, GateOverride, GateState,
    GateStatus,
};
use crate::hook::NoHooks;
use crate::policy::{Policy, UserName};
use crate::ports::{PromotionStore, Registry, WorkspaceRead};
use crate::promotion::{Desk, Quiet, RollbackPlan};
use crate::reading::{ModelName, SignalName};
use crate::registry::{PointerName, VersionId};
use crate::rollout::{
    analysis_override, rollout_start, Analysis, MetricAnalysis, MetricQuery, MetricSource,
    MetricsBackend, Outcome, ReadingHistory, Rollout, RolloutKind, Verdict, RULE_ACTOR,
};
use crate::status::{loop_status, with_rollout, LoopStatus};
use crate::time::Timestamp;

/// The gate the analysis judges: the default gate between deploy and monitor.
pub const ROLLOUT_GATE: &str = "rollout";

/// The analysis of the rollout in progress, with when it started and a person's override of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct LiveAnalysis {
    /// The analysis as [`Rollout::analyze`] makes it.
    pub analysis: Analysis,
    /// The version under analysis: where the pointer points now.
    pub canary: Option<VersionId>,
    /// When the pointer moved to it, as the audit log records; none when it was set elsewhere.
    pub started_at: Option<Timestamp>,
    /// An override of the analysis recorded since then: it passes the gate until the pointer
    /// moves again.
    pub overridden: Option<GateOverride>,
    /// Why the PromQL measurements that fell due could not be taken (the metrics back end is
    /// down, or the policy names none): the analysis is then as of the last one stored.
    pub unmeasured: Option<String>,
}

/// Analyses the rollout of the policy's model now, after taking the PromQL measurements that fell
/// due from `metrics` as `gatehouse rollout analyze` does (none: from the measurements stored so
/// far); none when the policy has no `[rollout]`. Measurements that cannot be taken leave the
/// analysis as of the last one stored, saying why in [`LiveAnalysis::unmeasured`].
pub async fn live_analysis<S, R, M>(
    policy: &Policy,
    store: &S,
    registry: &R,
    metrics: Option<MetricsBackend<'_, M>>,
    now: Timestamp,
) -> Result<Option<LiveAnalysis>, Error>
where
    S: PromotionStore + WorkspaceRead + ReadingHistory + Sync,
    R: Registry + Sync,
    M: MetricQuery + Sync,
{
    let Some(rules) = &policy.rollout else {
        return Ok(None);
    };
    let unmeasured = match metrics {
        Some(metrics) => measure_due(policy, store, registry, metrics, now).await,
        None => None,
    };
    let analysis = reader(policy, store, registry, now).analyze().await?;
    let target = format!("{}@{}", policy.model, rules.pointer);
    let canary = registry.pointer(&policy.model, &rules.pointer).await?;
    let log = store.audit_log().await?;
    let started_at = canary
        .as_ref()
        .and_then(|c| rollout_start(&log, &target, c));
    let overridden = analysis_override(&log, &target, started_at).map(|e| GateOverride {
        gate: GateId::from(ROLLOUT_GATE),
        by: e.actor.to_string(),
        reason: e.reason.unwrap_or_default(),
        at: e.at,
        expires_at: None,
    });
    Ok(Some(LiveAnalysis {
        analysis,
        canary,
        started_at,
        overridden,
        unmeasured,
    }))
}

/// Takes the rollout's PromQL measurements that fell due by `now` from `metrics`, through
/// [`Rollout::measure`] as `gatehouse rollout analyze` does, and says why they could not be
/// taken, if they could not. Nothing to do when the policy has no PromQL metrics.
pub async fn measure_due<S, R, M>(
    policy: &Policy,
    store: &S,
    registry: &R,
    metrics: MetricsBackend<'_, M>,
    now: Timestamp,
) -> Option<String>
where
    S: PromotionStore + WorkspaceRead + ReadingHistory + Sync,
    R: Registry + Sync,
    M: MetricQuery + Sync,
{
    let queries = policy.rollout.as_ref().is_some_and(|rules| {
        rules
            .metrics
            .iter()
            .any(|m| matches!(m.source, MetricSource::Query(_)))
    });
    match metrics {
        _ if !queries => None,
        Ok(metrics) => reader(policy, store, registry, now)
            .measure(metrics)
            .await
            .err()
            .map(|e| e.to_string()),
        Err(e) => Some(e.message),
    }
}

/// The rollout use-cases for reading and measuring, which change no pointer: nobody acts, so the
/// rule's name stands in.
fn reader<'a, S, R>(
    policy: &'a Policy,
    store: &'a S,
    registry: &'a R,
    now: Timestamp,
) -> Rollout<'a, S, R> {
    Rollout {
        policy,
        actor: UserName::from(RULE_ACTOR),
        now,
        store,
        registry,
        observer: &Quiet,
        hooks: &NoHooks,
    }
}

/// Judges the rollout gate by the analysis: one evidence entry per metric (its verdict as the
/// outcome, its explanation, its measurements), before the gate's own checks if the policy lists
/// any. A failed analysis blocks the gate, an inconclusive one or one still running leaves it
/// pending, a successful one passes it; an override of the analysis passes it as overridden. When
/// the analysis could not be made, the gate is unknown and says why.
pub fn judge_rollout_gate(
    gate: &mut GateStatus,
    live: Result<&LiveAnalysis, &ErrorReport>,
    now: Timestamp,
) {
    let live = match live {
        Ok(live) => live,
        Err(error) => {
            gate.evidence.insert(0, unreadable(error));
            gate.state = GateState::Unknown;
            gate.active_override = None;
            gate.summary = format!("the rollout analysis cannot be made: {}", error.message);
            return;
        }
    };
    let subject = live
        .canary
        .as_ref()
        .map(version_label)
        .unwrap_or_else(|| "the canary".into());
    let metrics = live
        .analysis
        .metrics
        .iter()
        .map(|m| metric_evidence(m, &subject));
    let checks = std::mem::take(&mut gate.evidence);
    let unmeasured = live.unmeasured.as_deref().map(unmeasured_evidence);
    gate.evidence = metrics.chain(unmeasured).chain(checks).collect();
    let derived = state_from_evidence(&gate.evidence);
    let overridden = match derived {
        GateState::Passed => None,
        GateState::Blocked | GateState::Pending | GateState::Unknown | GateState::Overridden => {
            live.overridden
                .clone()
                .or_else(|| gate.active_override.clone().filter(|o| o.at <= now))
        }
    };
    gate.state = if overridden.is_some() {
        GateState::Overridden
    } else {
        derived
    };
    gate.summary = match &overridden {
        Some(o) => format!(
            "{} overrode the {} analysis of {subject}: {}",
            o.by,
            live.analysis.verdict.id(),
            o.reason
        ),
        None if live.analysis.metrics.is_empty() => {
            "the rollout policy lists no metrics to analyse".into()
        }
        None if derived == GateState::Unknown && live.unmeasured.is_some() => format!(
            "the rollout's measurements cannot be taken, so its analysis is stale: {}",
            live.unmeasured.as_deref().unwrap_or_default()
        ),
        None => live.analysis.explanation.clone(),
    };
    gate.active_override = overridden;
}

/// `v8` for registries that number versions, the version itself otherwise.
pub fn version_label(version: &VersionId) -> String {
    if version.as_str().chars().all(|c| c.is_ascii_digit()) {
        format!("v{version}")
    } else {
        version.to_string()
    }
}

fn metric_evidence(m: &MetricAnalysis, subject: &str) -> Evidence {
    let (outcome, blocking) = match m.verdict {
        Verdict::Successful => (CheckOutcome::Met, true),
        Verdict::Running => (CheckOutcome::Missing, true),
        Verdict::Inconclusive => (CheckOutcome::Unmet, false),
        Verdict::Failed | Verdict::Error => (CheckOutcome::Unmet, true),
    };
    let last = m.measurements.last();
    Evidence {
        check: m.spec.name.clone(),
        description: m.explanation.clone(),
        signal: match &m.spec.source {
            MetricSource::Signal(signal) => signal.clone(),
            MetricSource::Query(_) => SignalName::from("prometheus query"),
        },
        expected: conditions_text(m),
        value: last.and_then(|x| x.value),
        outcome,
        blocking,
        read_at: last.map(|x| x.at),
        source: Some(format!("rollout analysis of {subject}: {}", m.verdict.id())),
        note: Some(measurements_text(m)),
    }
}

/// The metric's conditions and limits, as short as the evidence table needs.
fn conditions_text(m: &MetricAnalysis) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &m.spec.success {
        parts.push(format!("pass {s}"));
    }
    if let Some(f) = &m.spec.failure {
        parts.push(format!("fail {f}"));
    }
    parts.push(format!(
        "≤ {} of {} failed",
        m.spec.failure_limit, m.spec.count
    ));
    parts.join(" · ")
}

/// The measurements in order, each with what it said: `1.05 ok, 2.31 failed, …`.
fn measurements_text(m: &MetricAnalysis) -> String {
    if m.measurements.is_empty() {
        return "no measurements yet".into();
    }
    let each: Vec<String> = m
        .measurements
        .iter()
        .map(|x| {
            let value = x.value.map(fmt_num).unwrap_or_else(|| "no value".into());
            let said = match x.outcome {
                Outcome::Successful => "ok",
                Outcome::Failed => "failed",
                Outcome::Inconclusive => "inconclusive",
                Outcome::Error => "error",
            };
            format!("{value} {said}")
        })
        .collect();
    format!("measured {}", each.join(", "))
}

/// The measurements that fell due and could not be taken: stale evidence, so a running analysis
/// shows unknown rather than a pending it cannot finish (a failed one still blocks).
fn unmeasured_evidence(why: &str) -> Evidence {
    Evidence {
        check: "measurements".into(),
        description: "the PromQL measurements that fell due, taken from the metrics back end"
            .into(),
        signal: SignalName::from("prometheus query"),
        expected: "every due measurement taken".into(),
        value: None,
        outcome: CheckOutcome::Stale,
        blocking: true,
        read_at: None,
        source: None,
        note: Some(why.to_owned()),
    }
}

fn unreadable(error: &ErrorReport) -> Evidence {
    Evidence {
        check: "analysis".into(),
        description: "the rollout analysis over the canary's measurements".into(),
        signal: SignalName::from("rollout.analysis"),
        expected: "an analysis".into(),
        value: None,
        outcome: CheckOutcome::Stale,
        blocking: true,
        read_at: None,
        source: None,
        note: Some(error.message.clone()),
    }
}

/// The Rollout view: the rollout in progress, its analysis metric by metric, the gate it decides,
/// the rollback a failed analysis proposes and what the acting user may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct RolloutView {
    /// The model.
    pub model: ModelName,
    /// Canary or shadow.
    pub kind: RolloutKind,
    /// The pointer being rolled out.
    pub pointer: PointerName,
    /// Whether a failed analysis rolls back by itself.
    pub auto_rollback: bool,
    /// The analysis, when it started, and any override.
    pub live: LiveAnalysis,
    /// The version a rollback or an abort returns to (the one the pointer held before).
    pub stable: Option<VersionId>,
    /// Why there is none, when there is none.
    pub no_stable_because: Option<String>,
    /// The rollout gate as the loop shows it.
    pub gate: GateStatus,
    /// The rollback a failed analysis proposes, waiting for a person to confirm it.
    pub proposal: Option<RollbackPlan>,
    /// The acting user.
    pub user: UserName,
    /// Why the acting user may not roll back or abort, if they may not.
    pub cannot_roll_back_because: Option<String>,
    /// Why the acting user may not override the analysis, if they may not.
    pub cannot_override_because: Option<String>,
    /// When the view was computed.
    pub evaluated_at: Timestamp,
}

/// The Rollout view of the policy's model as `user` sees it at `now`.
pub async fn rollout_view<S, R, M>(
    policy: &Policy,
    store: &S,
    registry: &R,
    metrics: MetricsBackend<'_, M>,
    user: &UserName,
    now: Timestamp,
) -> Result<RolloutView, Error>
where
    S: PromotionStore + WorkspaceRead + ReadingHistory + Sync,
    R: Registry + Sync,
    M: MetricQuery + Sync,
{
    let Some(rules) = &policy.rollout else {
        return Err(Error::NotFound(
            "the policy has no [rollout] section, so no rollout is analysed".into(),
        ));
    };
    let Some(live) = live_analysis(policy, store, registry, Some(metrics), now).await? else {
        return Err(Error::NotFound(
            "the policy has no [rollout] section".into(),
        ));
    };
    let mut status: LoopStatus = loop_status(policy, store, now).await?;
    with_rollout(&mut status, Ok(Some(&live)), now);
    let gate = status
        .gates
        .into_iter()
        .find(|g| g.id.as_str() == ROLLOUT_GATE)
        .ok_or_else(|| Error::NotFound("the loop has no rollout gate".into()))?;
    let desk = Desk {
        policy,
        actor: user.clone(),
        now,
        store,
        registry,
        observer: &Quiet,
        hooks: &NoHooks,
    };
    let (stable, no_stable_because) = match desk
        .rollback_plan(&policy.model, Some(&rules.pointer), None)
        .await
    {
        Ok(plan) => (Some(plan), None),
        Err(e) if matches!(e.code(), ErrorCode::Invalid | ErrorCode::NotFound) => {
            (None, Some(e.to_string()))
        }
        Err(e) => return Err(e),
    };
    let proposal = stable.clone().filter(|_| {
        matches!(live.analysis.verdict, Verdict::Failed | Verdict::Error)
            && gate.state == GateState::Blocked
    });
    Ok(RolloutView {
        model: policy.model.clone(),
        kind: rules.kind,
        pointer: rules.pointer.clone(),
        auto_rollback: rules.auto_rollback,
        stable: stable.map(|p| p.to),
        no_stable_because,
        gate,
        proposal,
        user: user.clone(),
        cannot_roll_back_because: authorize(policy, user, Permission::Rollback).err(),
        cannot_override_because: authorize(policy, user, Permission::OverrideGates).err(),
        evaluated_at: now,
        live,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::evaluate_gate;
    use crate::policy::Owner;
    use crate::rollout::{analyze_metric, overall, Condition, MetricSpec};

    const NOW: Timestamp = Timestamp(1_800_000_000_000);

    fn spec(name: &str) -> MetricSpec {
        MetricSpec {
            name: name.into(),
            source: MetricSource::Signal(SignalName::from("rollout.error_rate_ratio")),
            success: Some(Condition::parse("value <= 1.5").unwrap()),
            failure: Some(Condition::parse("value > 2").unwrap()),
            interval_seconds: 60,
            count: 5,
            failure_limit: 2,
            inconclusive_limit: 2,
            ratio_to_stable: false,
        }
    }

    fn live(values: &[f64], overridden: Option<GateOverride>) -> LiveAnalysis {
        let series: Vec<(Timestamp, Option<f64>)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    Timestamp(NOW.0 - 60_000 * (values.len() - i) as i64),
                    Some(*v),
                )
            })
            .collect();
        let metric = analyze_metric(&spec("error rate"), &series, "v3");
        LiveAnalysis {
            analysis: Analysis {
                model: ModelName::from("churn"),
                kind: RolloutKind::Canary,
                pointer: PointerName::from("production"),
                verdict: overall([metric.verdict]),
                explanation: metric.explanation.clone(),
                metrics: vec![metric],
            },
            canary: Some(VersionId::from("3")),
            started_at: Some(Timestamp(NOW.0 - 3_600_000)),
            overridden,
            unmeasured: None,
        }
    }

    fn rollout_gate() -> GateStatus {
        let policy = Policy::parse(crate::demo::POLICY, "gatehouse.toml").unwrap();
        let spec = policy
            .gates
            .iter()
            .find(|g| g.id.as_str() == ROLLOUT_GATE)
            .unwrap()
            .clone();
        evaluate_gate(
            &spec,
            Owner::unassigned("release owner"),
            &Default::default(),
            &[],
            NOW,
        )
    }

    /// The gate's state and summary after judging it by an analysis of `values`.
    fn check(values: &[f64], state: GateState, summary: &str) {
        let mut gate = rollout_gate();
        judge_rollout_gate(&mut gate, Ok(&live(values, None)), NOW);
        assert_eq!(
            (gate.state, gate.summary.as_str()),
            (state, summary),
            "{values:?}"
        );
        assert_eq!(gate.evidence[0].check, "error rate");
    }

    #[test]
    fn the_verdict_decides_the_rollout_gate() {
        check(
            &[1.0, 1.1, 1.0, 1.2, 1.4],
            GateState::Passed,
            "error rate of v3 passed: 5 of 5 checks successful, 0 failed (limit 2), 0 inconclusive (limit 2)",
        );
        check(
            &[1.0, 2.4, 2.1, 1.2, 2.2],
            GateState::Blocked,
            "error rate of v3 met the failure condition `value > 2` in 3 of 5 checks (worst 2.4); limit 2",
        );
        check(
            &[1.8, 1.7, 1.9],
            GateState::Pending,
            "error rate of v3 met neither `value <= 1.5` nor `value > 2` in 3 of 3 checks; limit 2: a person decides",
        );
        check(
            &[1.0, 2.4],
            GateState::Pending,
            "error rate of v3: 2 of 5 checks in, 1 failed (limit 2), 0 inconclusive (limit 2)",
        );
    }

    #[test]
    fn the_evidence_lists_every_measurement_with_its_outcome() {
        let mut gate = rollout_gate();
        judge_rollout_gate(&mut gate, Ok(&live(&[1.05, 1.8, 2.31], None)), NOW);
        let e = &gate.evidence[0];
        assert_eq!(
            e.note.as_deref(),
            Some("measured 1.05 ok, 1.8 inconclusive, 2.31 failed")
        );
        assert_eq!(e.value, Some(2.31));
        assert_eq!(
            e.expected,
            "pass value <= 1.5 · fail value > 2 · ≤ 2 of 5 failed"
        );
    }

    #[test]
    fn an_override_passes_a_failed_analysis_and_says_who() {
        let mut gate = rollout_gate();
        let o = GateOverride {
            gate: GateId::from(ROLLOUT_GATE),
            by: "erin".into(),
            reason: "load test noise".into(),
            at: NOW,
            expires_at: None,
        };
        judge_rollout_gate(&mut gate, Ok(&live(&[2.4, 2.5, 2.6], Some(o))), NOW);
        assert_eq!(gate.state, GateState::Overridden);
        assert_eq!(
            gate.summary,
            "erin overrode the failed analysis of v3: load test noise"
        );
    }

    #[test]
    fn measurements_that_cannot_be_taken_leave_a_running_analysis_unknown_and_a_failed_one_red() {
        let why = "prometheus at http://127.0.0.1:9 is unreachable";
        let mut gate = rollout_gate();
        let mut running = live(&[1.0, 2.4], None);
        running.unmeasured = Some(why.into());
        judge_rollout_gate(&mut gate, Ok(&running), NOW);
        assert_eq!(gate.state, GateState::Unknown);
        assert_eq!(
            gate.summary,
            format!("the rollout's measurements cannot be taken, so its analysis is stale: {why}")
        );
        assert_eq!(gate.evidence[1].outcome, CheckOutcome::Stale);
        assert_eq!(gate.evidence[1].note.as_deref(), Some(why));

        let mut gate = rollout_gate();
        let mut failed = live(&[2.4, 2.5, 2.6], None);
        failed.unmeasured = Some(why.into());
        judge_rollout_gate(&mut gate, Ok(&failed), NOW);
        assert_eq!(gate.state, GateState::Blocked);
    }

    #[test]
    fn an_analysis_that_cannot_be_made_leaves_the_gate_unknown() {
        let mut gate = rollout_gate();
        let error = Error::Port {
            code: ErrorCode::Unreachable,
            message: "registry at http://127.0.0.1:9 is unreachable".into(),
        }
        .report();
        judge_rollout_gate(&mut gate, Err(&error), NOW);
        assert_eq!(gate.state, GateState::Unknown);
        assert_eq!(
            gate.summary,
            "the rollout analysis cannot be made: registry at http://127.0.0.1:9 is unreachable"
        );
    }
}
