//! The loop as `status`, `record`, `registry list` and `diagram` show it; broken policies.

use super::*;

#[test]
fn status_reports_seven_stages_and_owned_gates_with_one_blocked() {
    let ws = demo();
    let status = stdout_json(&gatehouse(ws.path(), &["--json", "status"]));
    let stages: Vec<&str> = status["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        ["data", "train", "validate", "register", "deploy", "monitor", "retrain"]
    );
    let gates = status["gates"].as_array().unwrap();
    assert!(gates.len() >= 5);
    for gate in gates {
        for key in ["id", "from", "to", "state", "owner", "evidence"] {
            assert!(!gate[key].is_null(), "gate {} lacks {key}", gate["id"]);
        }
        assert!(gate["owner"]["name"]
            .as_str()
            .is_some_and(|n| !n.is_empty()));
    }
    let states: Vec<&str> = gates.iter().map(|g| g["state"].as_str().unwrap()).collect();
    assert!(states.contains(&"blocked"), "{states:?}");
    assert!(states.contains(&"pending"), "{states:?}");
    let blocked = gates.iter().find(|g| g["state"] == "blocked").unwrap();
    let unmet = blocked["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["outcome"] == "unmet")
        .expect("a blocked gate shows the check that failed");
    assert!(unmet["value"].is_number() && unmet["read_at"].is_number());
}

#[test]
fn a_recorded_reading_changes_the_gate() {
    let ws = demo();
    let out = gatehouse(
        ws.path(),
        &[
            "record",
            "data.schema_violations",
            "0",
            "--source",
            "batch:fixed",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = stdout_json(&gatehouse(ws.path(), &["--json", "status"]));
    let gate = &status["gates"][0];
    assert_eq!(gate["id"], "data-quality");
    assert_eq!(gate["state"], "passed");

    let bad = gatehouse(ws.path(), &["record", "data.schema_violations", "NaN"]);
    assert_eq!(
        bad.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[test]
fn broken_policies_fail_with_the_line_and_never_panic() {
    let cases = [
        (
            "max = 0.05",
            "maximum = 0.05",
            "line 96",
            "unknown field `maximum`",
        ),
        ("max = 0.05", "max = \"low\"", "line 96", "invalid type"),
        (
            "id = \"data-quality\"\n",
            "id = \"data-quality\"\nfrom = \"dta\"\n",
            "line 83",
            "names no stage `dta`",
        ),
    ];
    for (from, to, line, needle) in cases {
        let ws = demo();
        let policy = ws.path().join("gatehouse.toml");
        let text = std::fs::read_to_string(&policy).unwrap();
        std::fs::write(&policy, text.replacen(from, to, 1)).unwrap();

        let out = gatehouse(ws.path(), &["status"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(line) && stderr.contains(needle), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");

        let out = gatehouse(ws.path(), &["--json", "status"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            out.stdout.is_empty(),
            "errors never go to standard output with --json"
        );
        let err: Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(err["error"]["code"], "policy");
        assert!(err["error"]["message"].as_str().unwrap().contains(needle));
    }
}

#[test]
fn a_missing_workspace_and_bad_usage_have_their_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = gatehouse(&dir.path().join("nowhere"), &["status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gatehouse demo"));

    let out = gatehouse(dir.path(), &["status", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    let out = gatehouse(dir.path(), &["diagram", "--out", "loop.gif"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn demo_resets_itself_but_refuses_a_real_workspace() {
    let ws = demo();
    let again = gatehouse(ws.path(), &["demo"]);
    assert!(again.status.success());

    let real = tempfile::tempdir().unwrap();
    let text = "[workspace]\nname = \"prod\"\nmodel = \"churn\"\n";
    std::fs::write(real.path().join("gatehouse.toml"), text).unwrap();
    let out = gatehouse(real.path(), &["demo"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(real.path().join("gatehouse.toml")).unwrap(),
        text
    );
}

#[test]
fn registry_list_uses_the_contract_keys() {
    let ws = demo();
    let doc = stdout_json(&gatehouse(
        ws.path(),
        &["--json", "registry", "list", "--model", "churn"],
    ));
    let models = doc["models"].as_array().unwrap();
    assert_eq!(models.len(), 1);
    let churn = &models[0];
    assert_eq!(churn["name"], "churn");
    assert_eq!(churn["pointers"]["production"], "3");
    let versions = churn["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 5);
    assert!(versions[0]["metrics"]["auc"].is_number() && versions[0]["run_id"].is_string());

    let out = gatehouse(ws.path(), &["registry", "list", "--model", "nope"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn the_diagram_names_every_stage_and_draws_a_red_stop_node() {
    let ws = demo();
    let svg_path = ws.path().join("loop.svg");
    let out = gatehouse(ws.path(), &["diagram", "--out", svg_path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    for stage in [
        "Data", "Train", "Validate", "Register", "Deploy", "Monitor", "Retrain",
    ] {
        assert!(svg.lines().any(|l| l.trim() == stage), "{stage} missing");
    }
    let red = gatehouse_charts::gate_colour(
        gatehouse_core::gate::GateState::Blocked,
        gatehouse_charts::Theme::Light,
    );
    let hex = format!("#{:02X}{:02X}{:02X}", red.0, red.1, red.2);
    let polygons_in_red = svg
        .lines()
        .filter(|l| l.contains("<polygon") && l.to_uppercase().contains(&hex))
        .count();
    assert!(polygons_in_red >= 1, "no polygon filled {hex}");

    let png_path = ws.path().join("loop.png");
    let out = gatehouse(
        ws.path(),
        &[
            "diagram",
            "--out",
            png_path.to_str().unwrap(),
            "--theme",
            "dark",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&png_path).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}
