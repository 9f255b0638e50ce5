//! `gatehouse alerts` on the embedded workspace: Gatehouse's own rules raise owned alerts, and
//! they clear when their cause does.

use super::*;

fn alerts(ws: &Path, args: &[&str]) -> Vec<Value> {
    let mut full = vec!["--json", "alerts"];
    full.extend_from_slice(args);
    stdout_json(&gatehouse(ws, &full))["alerts"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn own_rules_raise_owned_alerts_that_clear_with_their_cause() {
    let ws = demo();
    let all = alerts(ws.path(), &[]);
    let find = |name: &str, key: &str, value: &str| {
        all.iter()
            .find(|a| a["name"] == name && a["labels"][key] == value)
            .cloned()
    };
    let blocked = find("GateBlocked", "gate", "data-quality").expect("the blocked gate alerts");
    assert_eq!(blocked["owner"], "data-platform");
    assert_eq!(blocked["severity"], "critical");
    assert_eq!(blocked["state"], "firing");
    assert!(blocked["runbook"].as_str().unwrap().starts_with("https://"));
    for feature in ["tenure_months", "support_calls_30d"] {
        let drift = find("FeatureDrift", "feature", feature).expect("drifting features alert");
        assert_eq!(drift["owner"], "ml-oncall");
    }
    assert!(
        find("FeatureDrift", "feature", "region").is_none(),
        "stable features stay quiet"
    );

    let mine = alerts(ws.path(), &["--owner", "data-platform"]);
    assert!(mine.iter().all(|a| a["owner"] == "data-platform") && !mine.is_empty());

    assert!(
        gatehouse(ws.path(), &["record", "data.schema_violations", "0"])
            .status
            .success()
    );
    let after = alerts(ws.path(), &[]);
    assert!(
        !after.iter().any(|a| a["name"] == "GateBlocked"),
        "fixing the batch clears it"
    );
}
