//! Declares every app command so that each is denied until a capability grants it.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "loop_view",
        "watch_loop",
        "loop_export",
        "session_info",
        "registry_models",
        "promotion_requests",
        "request_promotion",
        "approve_request",
        "reject_request",
        "rollback_plan",
        "rollback",
        "audit_events",
        "audit_verify",
        "alerts_list",
        "alert_ack",
        "alert_unack",
        "drift_board",
        "watch_drift",
        "drift_chart",
        "drift_heatmap",
        "drift_marks",
        "drift_export",
        "monitor_view",
        "monitor_chart",
        "rollout_view",
        "rollout_chart",
        "rollout_override",
        "rollout_abort",
        "learn_tour",
        "learn_complete",
        "learn_team",
        "drill_list",
        "drill_start",
        "drill_status",
        "drill_hint",
        "drill_finish",
        "drill_unfinished",
        "drill_resume",
        "quarantine_batch",
        "request_retraining",
        "policy_owners",
        "team_presence",
        "watch_team",
    ]);
    let attributes = tauri_build::Attributes::new().app_manifest(manifest);
    if let Err(e) = tauri_build::try_build(attributes) {
        println!("cargo::error=tauri build step failed: {e:#}");
    }
}
