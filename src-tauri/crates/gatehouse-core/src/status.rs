//! The loop's status: every stage and gate with its state, owner and evidence. This is what the
//! Loop view draws and what `gatehouse status` prints.

use std::convert::Infallible;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorReport};
use crate::gate::{evaluate_gate, GateState, GateStatus};
use crate::policy::Policy;
use crate::ports::{PromotionStore, Registry, WorkspaceRead};
use crate::reading::ModelName;
use crate::registry::{Model, PointerName, VersionId};
use crate::rollout::{MetricQuery, MetricsBackend, ReadingHistory};
use crate::rollout_view::{judge_rollout_gate, live_analysis, LiveAnalysis, ROLLOUT_GATE};
use crate::stage::Stage;
use crate::time::Timestamp;

/// The state of a stage, derived from the gates that lead into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum StageState {
    /// Work may flow in: every gate into it passed (or none stands before it).
    Open,
    /// A gate into it blocks.
    Held,
    /// A gate into it waits for data or a person.
    Waiting,
    /// A gate into it cannot be read.
    Unknown,
}

/// A stage as it stands now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct StageStatus {
    /// Which stage.
    pub id: Stage,
    /// A name for people.
    pub title: String,
    /// Its state.
    pub state: StageState,
    /// What it produces.
    pub produces: String,
    /// What it holds now, such as `production → 3`; empty when nothing is known.
    pub detail: String,
}

/// The whole loop of one model as it stands at `evaluated_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct LoopStatus {
    /// The workspace's name.
    pub workspace: String,
    /// Whether it is a demo or training workspace.
    pub demo: bool,
    /// The model followed.
    pub model: ModelName,
    /// When the status was computed.
    pub evaluated_at: Timestamp,
    /// The seven stages in loop order.
    pub stages: Vec<StageStatus>,
    /// Every gate, defaults first.
    pub gates: Vec<GateStatus>,
}

/// Evaluates the loop of the policy's model against the workspace at `now`.
pub async fn loop_status(
    policy: &Policy,
    workspace: &impl WorkspaceRead,
    now: Timestamp,
) -> Result<LoopStatus, Error> {
    let latest = workspace.latest_readings(&policy.model).await?;
    let overrides = workspace.overrides().await?;
    let models = workspace.models().await?;
    let gates: Vec<GateStatus> = policy
        .gates
        .iter()
        .map(|spec| evaluate_gate(spec, policy.owner_of(spec), &latest, &overrides, now))
        .collect();
    let model = models.iter().find(|m| m.name == policy.model);
    let stages = Stage::ALL
        .into_iter()
        .map(|stage| StageStatus {
            id: stage,
            title: stage.title().into(),
            state: stage_state(stage, &gates),
            produces: stage.produces().into(),
            detail: model.map(|m| stage_detail(stage, m)).unwrap_or_default(),
        })
        .collect();
    Ok(LoopStatus {
        workspace: policy.name.clone(),
        demo: policy.demo,
        model: policy.model.clone(),
        evaluated_at: now,
        stages,
        gates,
    })
}

/// [`loop_status`], with the rollout gate judged by the live analysis of the rollout in progress
/// where the policy has `[rollout]`, from the measurements stored so far. An analysis that cannot
/// be made leaves that gate unknown, never the whole loop unreadable.
pub async fn live_loop_status<S, R>(
    policy: &Policy,
    store: &S,
    registry: &R,
    now: Timestamp,
) -> Result<LoopStatus, Error>
where
    S: PromotionStore + WorkspaceRead + ReadingHistory + Sync,
    R: Registry + Sync,
{
    judged_loop_status(
        policy,
        store,
        registry,
        None::<MetricsBackend<'_, Infallible>>,
        now,
    )
    .await
}

/// The loop as the panel and `gatehouse status` show it (through
/// `gatehouse_connectors::live::loop_status`): [`live_loop_status`], with the rollout's due
/// PromQL measurements first taken from `metrics`. Measurements that cannot be taken leave the
/// rollout gate unknown (or red, if the analysis already failed) and say why.
pub async fn measured_loop_status<S, R, M>(
    policy: &Policy,
    store: &S,
    registry: &R,
    metrics: MetricsBackend<'_, M>,
    now: Timestamp,
) -> Result<LoopStatus, Error>
where
    S: PromotionStore + WorkspaceRead + ReadingHistory + Sync,
    R: Registry + Sync,
    M: MetricQuery + Sync,
{
    judged_loop_status(policy, store, registry, Some(metrics), now).await
}

async fn judged_loop_status<S, R, M>(
    policy: &Policy,
    store: &S,
    registry: &R,
    metrics: Option<MetricsBackend<'_, M>>,
    now: Timestamp,
) -> Result<LoopStatus, Error>
where
    S: PromotionStore + WorkspaceRead + ReadingHistory + Sync,
    R: Registry + Sync,
    M: MetricQuery + Sync,
{
    let mut status = loop_status(policy, store, now).await?;
    match live_analysis(policy, store, registry, metrics, now).await {
        Ok(live) => with_rollout(&mut status, Ok(live.as_ref()), now),
        Err(e) => with_rollout(&mut status, Err(&e.report()), now),
    }
    Ok(status)
}

/// Judges the rollout gate of `status` by `live` (nothing to do without one) and derives the
/// stages' states again.
pub fn with_rollout(
    status: &mut LoopStatus,
    live: Result<Option<&LiveAnalysis>, &ErrorReport>,
    now: Timestamp,
) {
    let live = match live {
        Ok(None) => return,
        Ok(Some(live)) => Ok(live),
        Err(e) => Err(e),
    };
    if let Some(gate) = status
        .gates
        .iter_mut()
        .find(|g| g.id.as_str() == ROLLOUT_GATE)
    {
        judge_rollout_gate(gate, live, now);
    }
    for stage in &mut status.stages {
        stage.state = stage_state(stage.id, &status.gates);
    }
}

/// Shows the alerts about the followed model on the loop: the monitor stage says how many fire
/// and how many are acknowledged, and the retrain-trigger gate's summary names the ones firing,
/// since they are what its owner weighs before opening the loop again. States do not change: a
/// gate's state follows from its checks, and an alert's cause (drift, a blocked gate) is already
/// one of them.
pub fn with_alerts(status: &mut LoopStatus, alerts: &[crate::alert::Alert]) {
    use crate::alert::{AlertState, Severity, MODEL_LABEL};
    let about_model = |a: &&crate::alert::Alert| {
        a.labels
            .get(MODEL_LABEL)
            .is_none_or(|m| m.as_str() == status.model.as_str())
    };
    let firing: Vec<&crate::alert::Alert> = alerts
        .iter()
        .filter(about_model)
        .filter(|a| a.state == AlertState::Firing)
        .collect();
    let acknowledged = alerts
        .iter()
        .filter(about_model)
        .filter(|a| a.state == AlertState::Acknowledged)
        .count();
    let critical = firing
        .iter()
        .filter(|a| a.severity == Severity::Critical)
        .count();
    let mut words = match (firing.len(), critical) {
        (0, _) => "no alerts firing".to_owned(),
        (1, 0) => "1 alert firing".to_owned(),
        (1, _) => "1 alert firing (critical)".to_owned(),
        (n, 0) => format!("{n} alerts firing"),
        (n, c) => format!("{n} alerts firing ({c} critical)"),
    };
    if acknowledged > 0 {
        words.push_str(&format!(", {acknowledged} acknowledged"));
    }
    if let Some(stage) = status.stages.iter_mut().find(|s| s.id == Stage::Monitor) {
        stage.detail = if stage.detail.is_empty() {
            words
        } else {
            format!("{} · {words}", stage.detail)
        };
    }
    if firing.is_empty() {
        return;
    }
    let mut names: Vec<&str> = firing.iter().map(|a| a.name.as_str()).collect();
    names.dedup();
    if let Some(gate) = status
        .gates
        .iter_mut()
        .find(|g| g.id.as_str() == "retrain-trigger")
    {
        gate.summary = format!(
            "{} · firing on {}: {}",
            gate.summary,
            status.model,
            names.join(", ")
        );
    }
}

/// Describes the stages again from `models`: the loop of a workspace whose registry is remote
/// shows what that registry holds, not the workspace's own.
pub fn with_models(status: &mut LoopStatus, models: &[Model]) {
    let model = models.iter().find(|m| m.name == status.model);
    for stage in &mut status.stages {
        stage.detail = model.map(|m| stage_detail(stage.id, m)).unwrap_or_default();
    }
}

/// The most urgent state among the gates leading into `stage`.
fn stage_state(stage: Stage, gates: &[GateStatus]) -> StageState {
    gates
        .iter()
        .filter(|g| g.to == stage)
        .map(|g| match g.state {
            GateState::Passed | GateState::Overridden => StageState::Open,
            GateState::Blocked => StageState::Held,
            GateState::Pending => StageState::Waiting,
            GateState::Unknown => StageState::Unknown,
        })
        .max_by_key(|s| match s {
            StageState::Open => 0,
            StageState::Waiting => 1,
            StageState::Unknown => 2,
            StageState::Held => 3,
        })
        .unwrap_or(StageState::Open)
}

fn stage_detail(stage: Stage, model: &Model) -> String {
    match stage {
        Stage::Register => match model.versions.last() {
            Some(latest) => format!(
                "{} versions, latest {}",
                model.versions.len(),
                latest.version
            ),
            None => "no versions yet".into(),
        },
        Stage::Deploy => {
            // Production first: it is what the stage is about; the rest alphabetically.
            let mut pointers: Vec<(&PointerName, &VersionId)> = model.pointers.iter().collect();
            pointers.sort_by_key(|(name, _)| (name.as_str() != "production", *name));
            let pointers: Vec<String> = pointers
                .into_iter()
                .map(|(name, version)| format!("{name} → {version}"))
                .collect();
            if pointers.is_empty() {
                "no pointers set".into()
            } else {
                pointers.join(", ")
            }
        }
        Stage::Data | Stage::Train | Stage::Validate | Stage::Monitor | Stage::Retrain => {
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::{GateOverride, LatestReadings};
    use crate::reading::{Reading, SignalName};

    struct Fixed {
        latest: LatestReadings,
    }

    impl WorkspaceRead for Fixed {
        async fn latest_readings(&self, _: &ModelName) -> Result<LatestReadings, Error> {
            Ok(self.latest.clone())
        }
        async fn overrides(&self) -> Result<Vec<GateOverride>, Error> {
            Ok(Vec::new())
        }
        async fn models(&self) -> Result<Vec<Model>, Error> {
            Ok(Vec::new())
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        // The futures here never wait on anything, so a no-op waker polled once suffices.
        let mut f = std::pin::pin!(f);
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the fixed workspace never waits"),
        }
    }

    #[test]
    fn firing_alerts_about_the_model_show_on_the_monitor_stage_and_the_retrain_trigger() {
        use crate::alert::{resolve_alerts, AlertId, AlertSnapshot, ObservedAlert};
        let policy = Policy::parse(crate::demo::POLICY, "gatehouse.toml").unwrap();
        let now = Timestamp(1_000_000);
        let ws = Fixed {
            latest: LatestReadings::new(),
        };
        let mut status = block_on(loop_status(&policy, &ws, now)).unwrap();
        let states: Vec<_> = status.gates.iter().map(|g| g.state).collect();
        let observed = |id: &str, name: &str, severity: &str, model: &str| ObservedAlert {
            id: AlertId::from(id),
            labels: [
                ("alertname".to_owned(), name.to_owned()),
                ("severity".to_owned(), severity.to_owned()),
                ("model".to_owned(), model.to_owned()),
            ]
            .into_iter()
            .collect(),
            annotations: Default::default(),
            starts_at: Timestamp(0),
            ends_at: None,
            receivers: Vec::new(),
            silenced_by: Vec::new(),
        };
        let snapshot = AlertSnapshot {
            alerts: vec![
                observed("a", "HighErrorRate", "critical", "churn"),
                observed("b", "FeatureDrift", "warning", "churn"),
                observed("c", "HighErrorRate", "critical", "fraud"),
            ],
            silences: Vec::new(),
        };
        with_alerts(&mut status, &resolve_alerts(&policy, &snapshot, now));
        let monitor = status
            .stages
            .iter()
            .find(|s| s.id == Stage::Monitor)
            .unwrap();
        assert_eq!(monitor.detail, "2 alerts firing (1 critical)");
        let retrain = status
            .gates
            .iter()
            .find(|g| g.id.as_str() == "retrain-trigger")
            .unwrap();
        assert!(
            retrain
                .summary
                .ends_with("· firing on churn: HighErrorRate, FeatureDrift"),
            "{}",
            retrain.summary
        );
        // States follow from the checks alone.
        assert_eq!(
            status.gates.iter().map(|g| g.state).collect::<Vec<_>>(),
            states
        );
        let mut quiet = block_on(loop_status(&policy, &ws, now)).unwrap();
        with_alerts(&mut quiet, &[]);
        let monitor = quiet
            .stages
            .iter()
            .find(|s| s.id == Stage::Monitor)
            .unwrap();
        assert_eq!(monitor.detail, "no alerts firing");
    }

    #[test]
    fn a_blocked_gate_holds_the_stage_after_it() {
        let text = r#"
[workspace]
name = "t"
model = "m"
[[gates]]
id = "data-quality"
[[gates.checks]]
id = "schema"
signal = "data.schema_violations"
max = 0
"#;
        let policy = Policy::parse(text, "gatehouse.toml").unwrap();
        let now = Timestamp(1_000_000);
        let reading = Reading {
            model: ModelName::from("m"),
            signal: SignalName::from("data.schema_violations"),
            value: 2.0,
            read_at: now,
            source: "test".into(),
            note: None,
        };
        let ws = Fixed {
            latest: [(reading.signal.clone(), reading)].into_iter().collect(),
        };
        let status = block_on(loop_status(&policy, &ws, now)).unwrap();
        let states: Vec<(Stage, StageState)> =
            status.stages.iter().map(|s| (s.id, s.state)).collect();
        assert_eq!(states[0], (Stage::Data, StageState::Open));
        assert_eq!(states[1], (Stage::Train, StageState::Held));
        // Gates without checks are unknown, so the stages behind them are too.
        assert_eq!(states[3], (Stage::Register, StageState::Unknown));
        assert_eq!(status.gates[0].state, GateState::Blocked);
        assert_eq!(status.gates.len(), 5);
    }
}
