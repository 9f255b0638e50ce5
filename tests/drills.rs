//! The Learn drills against the real embedded store: each default drill is started from a demo
//! workspace, its script changes the drill copy (SQLite) at its times, the trainee acts through
//! the core's use-cases, and the debrief read from the copy's audit log is checked, for the
//! runbook followed and for a wrong attempt. Then the safety rules: no drill on a workspace that
//! connects MLflow, no script on a workspace Gatehouse did not create as a drill copy.

use gatehouse_core::audit::AuditAction;
use gatehouse_core::drill::{ActionMark, Debrief, DrillId, DrillOutcome};
use gatehouse_core::gate::GateState;
use gatehouse_core::hook::NoHooks;
use gatehouse_core::policy::{OwnerId, Policy, UserName};
use gatehouse_core::ports::{PromotionStore, Registry, WorkspaceRead};
use gatehouse_core::promotion::{Desk, Quiet, RequestState};
use gatehouse_core::reading::{ModelName, SignalName};
use gatehouse_core::registry::{PointerName, VersionId};
use gatehouse_core::response::Responder;
use gatehouse_core::rollout::{Rollout, Verdict};
use gatehouse_core::time::Timestamp;
use gatehouse_core::ErrorCode;
use gatehouse_store::Workspace;

const T0: Timestamp = Timestamp(1_795_000_000_000);

/// `secs` seconds after the drill started at `start`.
fn at(start: Timestamp, secs: i64) -> Timestamp {
    Timestamp(start.0 + secs * 1000)
}

async fn origin() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let generated = gatehouse_core::demo::generate(gatehouse_core::demo::DEFAULT_SEED, T0);
    let ws = Workspace::create_demo(dir.path(), &generated)
        .await
        .unwrap();
    (dir, ws)
}

async fn gate_state(ws: &Workspace, gate: &str, now: Timestamp) -> GateState {
    let view = ws.loop_view(now).await.unwrap();
    view.status
        .gates
        .iter()
        .find(|g| g.id.as_str() == gate)
        .unwrap()
        .state
}

fn desk<'a>(
    ws: &'a Workspace,
    policy: &'a Policy,
    actor: &str,
    now: Timestamp,
) -> Desk<'a, Workspace, Workspace> {
    Desk {
        policy,
        actor: UserName::from(actor),
        now,
        store: ws,
        registry: ws,
        observer: &Quiet,
        hooks: &NoHooks,
    }
}

fn responder<'a>(
    ws: &'a Workspace,
    policy: &'a Policy,
    actor: &str,
    now: Timestamp,
) -> Responder<'a, Workspace> {
    Responder {
        policy,
        actor: UserName::from(actor),
        now,
        store: ws,
    }
}

/// The debrief's actions as (action, mark, runbook step).
fn marks(d: &Debrief) -> Vec<(AuditAction, ActionMark, Option<u32>)> {
    d.actions
        .iter()
        .map(|a| (a.action, a.mark, a.step))
        .collect()
}

#[tokio::test]
async fn schema_break_the_gate_blocks_and_quarantining_the_batch_passes() {
    let (_dir, home) = origin().await;
    let drill = DrillId::from("schema-break");
    let newbie = UserName::from("newbie");
    let copy = home.start_drill(&drill, &newbie, T0).await.unwrap();
    assert!(copy.dir().starts_with(home.dir().join("drills")));
    let policy = copy.policy().unwrap();
    // The clean batch at the start lets the data through; the broken one blocks it.
    assert_eq!(
        gate_state(&copy, "data-quality", at(T0, 1)).await,
        GateState::Passed
    );
    assert_eq!(copy.advance_drill(at(T0, 12)).await.unwrap(), 1);
    assert_eq!(
        gate_state(&copy, "data-quality", at(T0, 12)).await,
        GateState::Blocked
    );

    // Mistakes the use-case refuses: an unknown batch (nothing recorded), a viewer (recorded).
    let unknown = responder(&copy, &policy, "newbie", at(T0, 14))
        .quarantine_batch("nightly-9999", "broken")
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::NotFound);
    assert!(
        unknown
            .to_string()
            .contains("current batches: nightly-0413"),
        "{unknown}"
    );
    let viewer = responder(&copy, &policy, "sam", at(T0, 14))
        .quarantine_batch("nightly-0413", "broken")
        .await
        .unwrap_err();
    assert_eq!(viewer.code(), ErrorCode::PermissionDenied);
    let no_reason = responder(&copy, &policy, "newbie", at(T0, 14))
        .quarantine_batch("nightly-0413", " ")
        .await
        .unwrap_err();
    assert_eq!(no_reason.code(), ErrorCode::Invalid);

    let event = responder(&copy, &policy, "newbie", at(T0, 20))
        .quarantine_batch("nightly-0413", "column plan arrived as integer codes")
        .await
        .unwrap();
    assert_eq!(event.target, "batch:nightly-0413");
    assert_eq!(event.before.as_deref(), Some("data.schema_violations = 4"));
    let d = copy.finish_drill(&newbie, false, at(T0, 25)).await.unwrap();
    assert_eq!(
        marks(&d),
        [(AuditAction::Quarantined, ActionMark::Expected, Some(1))]
    );
    assert_eq!(
        (d.score, d.outcome, d.seconds, d.hints_used),
        (100, DrillOutcome::Passed, 25, 0)
    );

    // The result is kept where the drill was started, and the team sees it.
    let cards = home.drill_cards(&newbie).await.unwrap();
    let card = cards.iter().find(|c| c.id == drill).unwrap();
    assert_eq!(
        card.best.as_ref().map(|b| (b.score, b.seconds)),
        Some((100, 25))
    );
    let team = home.team_progress_with_drills().await.unwrap();
    let me = team.iter().find(|m| m.user == newbie).unwrap();
    assert_eq!((me.drills_passed, me.drills_total), (1, 4));
    // Finishing again changes nothing.
    let again = copy.finish_drill(&newbie, false, at(T0, 90)).await.unwrap();
    assert_eq!(again, d);
    assert_eq!(home.drill_results().await.unwrap().len(), 1);
}

#[tokio::test]
async fn schema_break_a_wrong_batch_first_and_a_hint_cost_points() {
    let (_dir, home) = origin().await;
    let drill = DrillId::from("schema-break");
    let newbie = UserName::from("newbie");
    let copy = home.start_drill(&drill, &newbie, T0).await.unwrap();
    let policy = copy.policy().unwrap();
    // Before the broken batch lands, the trainee quarantines the clean one.
    responder(&copy, &policy, "newbie", at(T0, 5))
        .quarantine_batch("nightly-0412", "looks odd")
        .await
        .unwrap();
    copy.advance_drill(at(T0, 11)).await.unwrap();
    let status = copy.take_hint(&newbie, at(T0, 11)).await.unwrap();
    assert_eq!(status.hints_taken.len(), 1);
    assert_eq!(
        copy.take_hint(&UserName::from("sam"), at(T0, 12))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::PermissionDenied
    );
    responder(&copy, &policy, "newbie", at(T0, 30))
        .quarantine_batch("nightly-0413", "schema break")
        .await
        .unwrap();
    let d = copy.finish_drill(&newbie, false, at(T0, 40)).await.unwrap();
    assert_eq!(
        marks(&d),
        [
            (AuditAction::Quarantined, ActionMark::Unexpected, None),
            (AuditAction::Quarantined, ActionMark::Expected, Some(1)),
        ]
    );
    assert_eq!(d.actions[0].target, "batch:nightly-0412");
    assert_eq!(
        (d.score, d.hints_used, d.outcome),
        (85, 1, DrillOutcome::Passed)
    );
}

#[tokio::test]
async fn feature_drift_asking_the_model_owner_to_retrain_passes_and_the_wrong_owner_does_not() {
    let (_dir, home) = origin().await;
    let drill = DrillId::from("feature-drift");
    let newbie = UserName::from("newbie");
    let churn = ModelName::from("churn");

    let copy = home.start_drill(&drill, &newbie, T0).await.unwrap();
    let policy = copy.policy().unwrap();
    let drifted = SignalName::from("monitor.share_drifted");
    let before = copy.latest_readings(&churn).await.unwrap()[&drifted].clone();
    assert_eq!(copy.advance_drill(at(T0, 6)).await.unwrap(), 1);
    let after = copy.latest_readings(&churn).await.unwrap()[&drifted].clone();
    assert!(after.read_at > before.read_at);
    assert!(
        after.value > before.value,
        "{} → {}",
        before.value,
        after.value
    );
    // The new market shows in the region mix: a key feature drifts on the Drift view.
    let board = gatehouse_core::monitor::board(&policy, &copy)
        .await
        .unwrap();
    let region = board.features.iter().find(|f| f.name == "region").unwrap();
    assert!(region.points.last().unwrap().drifted);

    let unknown = responder(&copy, &policy, "newbie", at(T0, 20))
        .request_retraining(&churn, &OwnerId::from("nobody"), "drift")
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::NotFound);
    responder(&copy, &policy, "newbie", at(T0, 30))
        .request_retraining(
            &churn,
            &OwnerId::from("churn-models"),
            "region mix moved: apac doubled",
        )
        .await
        .unwrap();
    let d = copy.finish_drill(&newbie, false, at(T0, 45)).await.unwrap();
    assert_eq!(
        marks(&d),
        [(AuditAction::RetrainRequested, ActionMark::Expected, Some(1))]
    );
    assert_eq!((d.score, d.outcome), (100, DrillOutcome::Passed));

    // Another run: the data platform is asked instead of the model's owner.
    let copy = home
        .start_drill(&drill, &newbie, at(T0, 100))
        .await
        .unwrap();
    responder(&copy, &policy, "newbie", at(T0, 120))
        .request_retraining(&churn, &OwnerId::from("data-platform"), "drift")
        .await
        .unwrap();
    let d = copy
        .finish_drill(&newbie, false, at(T0, 130))
        .await
        .unwrap();
    assert_eq!(
        marks(&d),
        [(AuditAction::RetrainRequested, ActionMark::Unexpected, None)]
    );
    assert_eq!(d.actions[0].after.as_deref(), Some("data-platform"));
    assert_eq!(
        (d.score, d.outcome, d.missed.len()),
        (0, DrillOutcome::Incomplete, 1)
    );
    // The best of the two runs is the one shown.
    let cards = home.drill_cards(&newbie).await.unwrap();
    let card = cards.iter().find(|c| c.id == drill).unwrap();
    assert_eq!((card.runs, card.best.as_ref().unwrap().score), (2, 100));
}

#[tokio::test]
async fn segment_regression_the_gate_blocks_the_request_is_rejected_and_the_owner_asked_in_order() {
    let (_dir, home) = origin().await;
    let drill = DrillId::from("segment-regression");
    let newbie = UserName::from("newbie");
    let copy = home.start_drill(&drill, &newbie, T0).await.unwrap();
    let policy = copy.policy().unwrap();
    let churn = ModelName::from("churn");
    assert!(copy
        .version_exists(&churn, &VersionId::from("6"))
        .await
        .unwrap());
    assert_eq!(
        gate_state(&copy, "model-validation", at(T0, 1)).await,
        GateState::Blocked
    );
    assert!(copy
        .requests()
        .await
        .unwrap()
        .iter()
        .all(|r| r.version.as_str() != "6"));
    copy.advance_drill(at(T0, 5)).await.unwrap();
    let request = copy
        .requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.version.as_str() == "6")
        .unwrap();
    assert_eq!(
        (request.requester.as_str(), request.pointer.as_str()),
        ("dana", "champion")
    );

    // The runbook in order: reject, then ask the model's owner to fix the segment.
    desk(&copy, &policy, "newbie", at(T0, 30))
        .reject(
            request.id,
            "worse than the champion on apac × annual (0.712)",
        )
        .await
        .unwrap();
    responder(&copy, &policy, "newbie", at(T0, 40))
        .request_retraining(
            &churn,
            &OwnerId::from("churn-models"),
            "v6 lost 9 points of AUC on apac × annual",
        )
        .await
        .unwrap();
    let d = copy.finish_drill(&newbie, false, at(T0, 45)).await.unwrap();
    assert_eq!(
        marks(&d),
        [
            (AuditAction::Rejected, ActionMark::Expected, Some(1)),
            (AuditAction::RetrainRequested, ActionMark::Expected, Some(2)),
        ]
    );
    assert_eq!((d.score, d.outcome), (100, DrillOutcome::Passed));

    // Another run: an approval first, then the owner asked before the request is rejected.
    let copy = home.start_drill(&drill, &newbie, at(T0, 50)).await.unwrap();
    copy.advance_drill(at(T0, 55)).await.unwrap();
    let request = copy
        .requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.version.as_str() == "6")
        .unwrap();
    desk(&copy, &policy, "newbie", at(T0, 60))
        .approve(request.id, Some("auc is up"))
        .await
        .unwrap();
    responder(&copy, &policy, "newbie", at(T0, 65))
        .request_retraining(
            &churn,
            &OwnerId::from("churn-models"),
            "apac × annual regressed",
        )
        .await
        .unwrap();
    desk(&copy, &policy, "newbie", at(T0, 70))
        .reject(
            request.id,
            "worse than the champion on apac × annual (0.712)",
        )
        .await
        .unwrap();
    let d = copy.finish_drill(&newbie, false, at(T0, 80)).await.unwrap();
    assert_eq!(
        marks(&d),
        [
            (AuditAction::Approved, ActionMark::Unexpected, None),
            (
                AuditAction::RetrainRequested,
                ActionMark::OutOfOrder,
                Some(2)
            ),
            (AuditAction::Rejected, ActionMark::Expected, Some(1)),
        ]
    );
    assert_eq!(
        d.actions[1].comment,
        "step 2 (Ask the churn model's owner (Churn modelling) to retrain it for the segment, with a reason), taken before step 1"
    );
    // One step and a half of two, less 10 for the approval.
    assert_eq!(
        (d.score, d.outcome, d.seconds),
        (65, DrillOutcome::Passed, 30)
    );

    // Rejecting the demo's other open request is not the runbook's step.
    let copy = home
        .start_drill(&drill, &newbie, at(T0, 100))
        .await
        .unwrap();
    copy.advance_drill(at(T0, 110)).await.unwrap();
    let other = copy
        .requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.version.as_str() == "4" && r.state == RequestState::Requested)
        .unwrap();
    desk(&copy, &policy, "newbie", at(T0, 120))
        .reject(other.id, "not sure")
        .await
        .unwrap();
    let d = copy
        .finish_drill(&newbie, false, at(T0, 125))
        .await
        .unwrap();
    assert_eq!(
        marks(&d),
        [(AuditAction::Rejected, ActionMark::Unexpected, None)]
    );
    assert_eq!(
        (d.score, d.outcome, d.missed.len()),
        (0, DrillOutcome::Incomplete, 2)
    );
}

#[tokio::test]
async fn canary_rollback_the_analysis_fails_and_rolling_back_with_a_reason_passes() {
    let (_dir, home) = origin().await;
    let drill = DrillId::from("canary-rollback");
    let newbie = UserName::from("newbie");
    let copy = home.start_drill(&drill, &newbie, T0).await.unwrap();
    let policy = copy.policy().unwrap();
    let rollout = |now| Rollout {
        policy: &policy,
        actor: newbie.clone(),
        now,
        store: &copy,
        registry: &copy,
        observer: &Quiet,
        hooks: &NoHooks,
    };
    assert_eq!(
        rollout(at(T0, 1)).analyze().await.unwrap().verdict,
        Verdict::Successful
    );
    // Two callers at once (a panel polling, a CLI) apply each event once between them.
    let (a, b) = tokio::join!(
        copy.advance_drill(at(T0, 14)),
        copy.advance_drill(at(T0, 14))
    );
    assert_eq!(a.unwrap() + b.unwrap(), 3);
    let analysis = rollout(at(T0, 14)).analyze().await.unwrap();
    assert_eq!(
        analysis.verdict,
        Verdict::Failed,
        "{}",
        analysis.explanation
    );
    assert!(
        analysis.explanation.contains("in 3 of 5 checks"),
        "{}",
        analysis.explanation
    );
    let status = copy.drill_status(at(T0, 14)).await.unwrap();
    assert_eq!(
        (
            status.events_applied,
            status.events_total,
            status.elapsed_secs
        ),
        (3, 3, 14)
    );

    let no_reason = desk(&copy, &policy, "newbie", at(T0, 20))
        .rollback(&ModelName::from("churn"), None, None, "")
        .await;
    assert_eq!(no_reason.unwrap_err().code(), ErrorCode::Invalid);
    desk(&copy, &policy, "newbie", at(T0, 22))
        .rollback(
            &ModelName::from("churn"),
            None,
            None,
            "error rate 2.9× the stable version's",
        )
        .await
        .unwrap();
    let production = copy
        .pointer(&ModelName::from("churn"), &PointerName::from("production"))
        .await
        .unwrap();
    assert_eq!(production, Some(VersionId::from("2")));
    let d = copy.finish_drill(&newbie, false, at(T0, 30)).await.unwrap();
    assert_eq!(
        marks(&d),
        [(
            AuditAction::RollbackRequested,
            ActionMark::Expected,
            Some(1)
        )]
    );
    assert_eq!(
        d.actions[0].reason.as_deref(),
        Some("error rate 2.9× the stable version's")
    );
    assert_eq!(
        (d.score, d.outcome, d.seconds),
        (100, DrillOutcome::Passed, 30)
    );
}

#[tokio::test]
async fn canary_rollback_a_refused_approval_then_giving_up_is_debriefed() {
    let (_dir, home) = origin().await;
    let drill = DrillId::from("canary-rollback");
    let newbie = UserName::from("newbie");
    let copy = home.start_drill(&drill, &newbie, T0).await.unwrap();
    let policy = copy.policy().unwrap();
    // An operator may not approve: the refusal is in the log, and in the debrief.
    let open = copy
        .requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.state == RequestState::Requested)
        .unwrap();
    let refused = desk(&copy, &policy, "newbie", at(T0, 9))
        .approve(open.id, None)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::PermissionDenied);
    let d = copy.finish_drill(&newbie, true, at(T0, 15)).await.unwrap();
    assert_eq!(
        marks(&d),
        [(AuditAction::Denied, ActionMark::Unexpected, None)]
    );
    assert!(
        d.actions[0]
            .comment
            .starts_with("refused: newbie may not approve"),
        "{}",
        d.actions[0].comment
    );
    assert_eq!((d.outcome, d.score), (DrillOutcome::GaveUp, 0));
    assert_eq!(
        d.missed[0].title,
        "Roll production back to v2, with a reason"
    );
    // After the finish, the script stops: the copy stays as the trainee left it.
    assert_eq!(copy.advance_drill(at(T0, 600)).await.unwrap(), 0);
    let cards = home.drill_cards(&newbie).await.unwrap();
    let card = cards.iter().find(|c| c.id == drill).unwrap();
    assert_eq!(card.best.as_ref().unwrap().outcome, DrillOutcome::GaveUp);
}

#[tokio::test]
async fn a_drill_refuses_a_workspace_that_connects_mlflow_unless_it_is_the_drill_s_own_copy() {
    let (dir, home) = origin().await;
    let newbie = UserName::from("newbie");
    let drill = DrillId::from("canary-rollback");
    let text = std::fs::read_to_string(home.policy_path()).unwrap();
    let mlflow = text.replace(
        "[backends.registry]\nkind = \"embedded\"",
        "[backends.registry]\nkind = \"mlflow\"\nurl = \"http://127.0.0.1:5000\"",
    );
    assert_ne!(text, mlflow);
    std::fs::write(home.policy_path(), &mlflow).unwrap();
    let refused = home.start_drill(&drill, &newbie, T0).await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Blocked);
    assert!(
        refused
            .to_string()
            .contains("a drill never runs against a connected back end")
            && refused
                .to_string()
                .contains("registry is mlflow at http://127.0.0.1:5000"),
        "{refused}"
    );
    assert!(!dir.path().join("drills").exists(), "no copy was made");

    // A policy that says `demo = true` does not make a drill copy: the mark is in the database.
    std::fs::write(home.policy_path(), &text).unwrap();
    let not_a_copy = home.advance_drill(T0).await.unwrap_err();
    assert!(
        not_a_copy.to_string().contains("is not a drill copy"),
        "{not_a_copy}"
    );
    assert!(home.drill_run().await.unwrap().is_none());

    // The drill's own copy runs; one whose policy was edited to connect MLflow no longer does.
    let copy = home.start_drill(&drill, &newbie, T0).await.unwrap();
    assert_eq!(copy.drill_run().await.unwrap().unwrap().drill, drill);
    copy.advance_drill(at(T0, 4)).await.unwrap();
    let copy_text = std::fs::read_to_string(copy.policy_path()).unwrap();
    std::fs::write(
        copy.policy_path(),
        copy_text.replace(
            "[backends.registry]\nkind = \"embedded\"",
            "[backends.registry]\nkind = \"mlflow\"\nurl = \"http://127.0.0.1:5000\"",
        ),
    )
    .unwrap();
    let edited = copy.advance_drill(at(T0, 9)).await.unwrap_err();
    assert_eq!(edited.code(), ErrorCode::Blocked);
    assert!(
        edited
            .to_string()
            .contains("drill copy's policy was changed"),
        "{edited}"
    );
    // And no drill starts from inside a copy.
    let nested = copy
        .start_drill(&drill, &newbie, at(T0, 10))
        .await
        .unwrap_err();
    assert!(nested.to_string().contains("is a drill copy"), "{nested}");
}

#[tokio::test]
async fn a_drill_left_unfinished_can_be_resumed_by_its_trainee_only() {
    let (_dir, home) = origin().await;
    let newbie = UserName::from("newbie");
    let drill = DrillId::from("canary-rollback");
    let copy = home.start_drill(&drill, &newbie, T0).await.unwrap();
    let name = copy.dir().file_name().unwrap().to_str().unwrap().to_owned();
    copy.close().await;
    let done = home
        .start_drill(&DrillId::from("schema-break"), &newbie, at(T0, 1))
        .await
        .unwrap();
    done.finish_drill(&newbie, true, at(T0, 2)).await.unwrap();

    let open = home.unfinished_drills(&newbie, at(T0, 5)).await.unwrap();
    assert_eq!(open.len(), 1, "the finished one is not listed");
    assert_eq!(
        (open[0].drill.as_str(), open[0].elapsed_secs),
        ("canary-rollback", 5)
    );
    assert!(home
        .unfinished_drills(&UserName::from("sam"), at(T0, 5))
        .await
        .unwrap()
        .is_empty());

    let resumed = home.resume_drill(&name, &newbie, at(T0, 20)).await.unwrap();
    assert_eq!(resumed.advance_drill(at(T0, 20)).await.unwrap(), 3);
    let not_sams = home
        .resume_drill(&name, &UserName::from("sam"), at(T0, 20))
        .await
        .unwrap_err();
    assert_eq!(not_sams.code(), ErrorCode::NotFound);
    for bad in ["../ws", "", ".hidden"] {
        let refused = home
            .resume_drill(bad, &newbie, at(T0, 20))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), ErrorCode::NotFound, "{bad}");
    }
    let over = done.dir().file_name().unwrap().to_str().unwrap().to_owned();
    let refused = home
        .resume_drill(&over, &newbie, at(T0, 20))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("is over"), "{refused}");
}
