//! The rollout gate as `gatehouse rollout` drives it on the demo workspace: the canary passes
//! until its error rate degrades, then the analysis fails (exit 3) and proposes a rollback that a
//! person confirms; abort and override need a role (exit 4) and a reason.

use super::*;

fn record(ws: &Path, values: &[&str]) {
    for v in values {
        let out = gatehouse(
            ws,
            &[
                "record",
                "rollout.error_rate_ratio",
                v,
                "--source",
                "canary:churn-v3",
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
}

#[test]
fn a_degrading_canary_fails_its_analysis_and_proposes_a_rollback() {
    let ws = demo();
    let ws = ws.path();
    let doc = stdout_json(&gatehouse(ws, &["--json", "rollout", "analyze"]));
    assert_eq!(doc["rollout"]["analysis"]["verdict"], "successful");
    assert_eq!(doc["rollout"]["action"]["action"], "none");

    record(ws, &["2.4", "1.1", "2.1", "2.2"]);
    let out = gatehouse(ws, &["--json", "rollout", "analyze"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let report = &doc["rollout"];
    assert_eq!(report["analysis"]["verdict"], "failed");
    let error_rate = &report["analysis"]["metrics"][0];
    let outcomes: Vec<&str> = error_rate["measurements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["successful", "failed", "successful", "failed", "failed"]
    );
    assert_eq!(
        report["analysis"]["explanation"],
        "error rate of v3 met the failure condition `value > 2` in 3 of 5 checks (worst 2.4); limit 2"
    );
    assert_eq!(report["plan"]["from"], "3");
    assert_eq!(report["plan"]["to"], "2");
    assert_eq!(report["action"]["action"], "proposed");
    assert!(
        stderr(&out).contains("\"code\":\"blocked\""),
        "{}",
        stderr(&out)
    );

    // Aborting needs a role that may roll back; the refusal exits 4.
    let out = as_user(ws, "sam", &["rollout", "abort", "--reason", "timeouts"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let out = as_user(ws, "erin", &["rollout", "override", "--reason", " "]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = as_user(
        ws,
        "dana",
        &["rollout", "override", "--reason", "load test"],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));

    let doc = stdout_json(&as_user(
        ws,
        "dana",
        &[
            "--json",
            "rollout",
            "abort",
            "--reason",
            "customers report timeouts",
        ],
    ));
    assert_eq!(doc["request"]["version"], "2");
    assert_eq!(doc["request"]["state"], "done");
}
