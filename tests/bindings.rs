//! The TypeScript bindings of every type that crosses the IPC boundary, generated from the Rust
//! types into one committed file. The test fails when the file is stale; run it with
//! `UPDATE_BINDINGS=1` to rewrite the file.

use std::path::Path;

use gatehouse_core as core;
use ts_rs::{Config, TS};

/// Declarations in dependency order (ts-rs emits one `type` per Rust type).
fn declarations() -> String {
    let cfg = Config::new();
    let decls = [
        core::time::Timestamp::decl(&cfg),
        core::error::ErrorCode::decl(&cfg),
        core::error::ErrorReport::decl(&cfg),
        core::stage::Stage::decl(&cfg),
        core::reading::SignalName::decl(&cfg),
        core::reading::ModelName::decl(&cfg),
        core::registry::VersionId::decl(&cfg),
        core::registry::PointerName::decl(&cfg),
        core::registry::Model::decl(&cfg),
        core::registry::ModelVersion::decl(&cfg),
        core::registry::RegistryView::decl(&cfg),
        core::policy::OwnerId::decl(&cfg),
        core::policy::UserName::decl(&cfg),
        core::policy::Owner::decl(&cfg),
        core::policy::Role::decl(&cfg),
        core::gate::GateId::decl(&cfg),
        core::gate::GateState::decl(&cfg),
        core::gate::CheckOutcome::decl(&cfg),
        core::gate::Evidence::decl(&cfg),
        core::gate::GateOverride::decl(&cfg),
        core::gate::GateStatus::decl(&cfg),
        core::status::StageState::decl(&cfg),
        core::status::StageStatus::decl(&cfg),
        core::status::LoopStatus::decl(&cfg),
        core::layout::Point::decl(&cfg),
        core::layout::StageBox::decl(&cfg),
        core::layout::EdgePath::decl(&cfg),
        core::layout::Anchor::decl(&cfg),
        core::layout::GateNode::decl(&cfg),
        core::layout::LoopLayout::decl(&cfg),
        core::view::LoopView::decl(&cfg),
        core::view::LoopUpdate::decl(&cfg),
        core::access::Session::decl(&cfg),
        core::promotion::RequestId::decl(&cfg),
        core::promotion::RequestKind::decl(&cfg),
        core::promotion::RequestState::decl(&cfg),
        core::promotion::Approval::decl(&cfg),
        core::promotion::Decision::decl(&cfg),
        core::promotion::PromotionRequest::decl(&cfg),
        core::promotion::RequestView::decl(&cfg),
        core::promotion::RollbackPlan::decl(&cfg),
        core::presence::Looking::decl(&cfg),
        core::hook::HookEvent::decl(&cfg),
        core::hook::HookDelivery::decl(&cfg),
        core::audit::AuditAction::decl(&cfg),
        core::audit::AuditEvent::decl(&cfg),
        core::audit::AuditProblem::decl(&cfg),
        core::audit::BadEvent::decl(&cfg),
        core::audit::Verification::decl(&cfg),
        core::alert::AlertId::decl(&cfg),
        core::alert::AlertName::decl(&cfg),
        core::alert::SilenceId::decl(&cfg),
        core::alert::Severity::decl(&cfg),
        core::alert::AlertState::decl(&cfg),
        core::alert::Ownership::decl(&cfg),
        core::alert::Acknowledgement::decl(&cfg),
        core::alert::Alert::decl(&cfg),
        core::monitor::FeatureKind::decl(&cfg),
        core::monitor::DriftPoint::decl(&cfg),
        core::monitor::Histogram::decl(&cfg),
        core::monitor::FeatureDrift::decl(&cfg),
        core::monitor::WindowDrift::decl(&cfg),
        core::monitor::DriftBoard::decl(&cfg),
        core::monitor::DriftUpdate::decl(&cfg),
        core::monitor::ChartMark::decl(&cfg),
        core::signals::SystemSignal::decl(&cfg),
        core::signals::Unit::decl(&cfg),
        core::signals::SignalPoint::decl(&cfg),
        core::signals::SignalSeries::decl(&cfg),
        core::signals::SignalSource::decl(&cfg),
        core::signals::DriftSummary::decl(&cfg),
        core::signals::QualityProxy::decl(&cfg),
        core::signals::MonitorView::decl(&cfg),
        core::rollout::RolloutKind::decl(&cfg),
        core::rollout::MetricSource::decl(&cfg),
        core::rollout::MetricSpec::decl(&cfg),
        core::rollout::Outcome::decl(&cfg),
        core::rollout::Verdict::decl(&cfg),
        core::rollout::Measurement::decl(&cfg),
        core::rollout::Tally::decl(&cfg),
        core::rollout::MetricAnalysis::decl(&cfg),
        core::rollout::Analysis::decl(&cfg),
        core::rollout_view::LiveAnalysis::decl(&cfg),
        core::rollout_view::RolloutView::decl(&cfg),
        core::learn::StepId::decl(&cfg),
        core::learn::TourTarget::decl(&cfg),
        core::learn::TourSource::decl(&cfg),
        core::learn::StepLive::decl(&cfg),
        core::learn::StepView::decl(&cfg),
        core::learn::TourView::decl(&cfg),
        core::learn::Completion::decl(&cfg),
        core::learn::LearnProgress::decl(&cfg),
        core::learn::MemberProgress::decl(&cfg),
        core::drill::DrillId::decl(&cfg),
        core::drill::DrillOutcome::decl(&cfg),
        core::drill::DrillResult::decl(&cfg),
        core::drill::DrillCard::decl(&cfg),
        core::drill::DrillStatus::decl(&cfg),
        core::drill::ActionMark::decl(&cfg),
        core::drill::DebriefAction::decl(&cfg),
        core::drill::MissedStep::decl(&cfg),
        core::drill::Debrief::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust types by `tests/bindings.rs`; do not edit.\n\
         // Regenerate: UPDATE_BINDINGS=1 cargo test -p gatehouse-tests --test tests bindings\n\n",
    );
    for decl in decls {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[test]
fn bindings_are_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/api/bindings.ts");
    let expected = declarations();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "{} is stale: run UPDATE_BINDINGS=1 cargo test -p gatehouse-tests --test tests bindings",
        path.display()
    );
}
