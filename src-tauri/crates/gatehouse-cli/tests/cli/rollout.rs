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
        "error rate of v3 was up to 2.4× stable: `value > 2` in 3 of 5 checks; limit 2"
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

/// Records `values` of `signal`, newest last.
fn record_signal(ws: &Path, signal: &str, values: &[&str]) {
    for v in values {
        let out = gatehouse(ws, &["record", signal, v, "--source", "canary:churn-v3"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
}

#[test]
fn an_inconclusive_analysis_waits_for_a_person_with_a_role_and_a_reason() {
    let ws = demo();
    let ws = ws.path();
    // Every error-rate check lands between the success and the failure condition; latency is fine.
    record_signal(
        ws,
        "rollout.error_rate_ratio",
        &["1.8", "1.7", "1.9", "1.8", "1.6"],
    );
    record_signal(
        ws,
        "rollout.p95_latency_ms",
        &["200", "210", "190", "205", "200"],
    );
    let doc = stdout_json(&gatehouse(ws, &["--json", "rollout", "analyze"]));
    assert_eq!(doc["rollout"]["analysis"]["verdict"], "inconclusive");
    assert_eq!(doc["rollout"]["action"]["action"], "none");
    assert_eq!(doc["rollout"]["plan"], Value::Null);
    let out = gatehouse(ws, &["rollout", "analyze"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("waiting for a person"), "{text}");

    // Nothing moved while it waits; a person decides, with a reason and the role for it.
    let registry = stdout_json(&gatehouse(
        ws,
        &["--json", "registry", "list", "--model", "churn"],
    ));
    assert_eq!(registry["models"][0]["pointers"]["production"], "3");
    let out = as_user(ws, "dana", &["rollout", "abort", "--reason", ""]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = as_user(
        ws,
        "priya",
        &["rollout", "override", "--reason", "seen this before"],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let doc = stdout_json(&as_user(
        ws,
        "erin",
        &[
            "--json",
            "rollout",
            "override",
            "--reason",
            "latency blip during a load test",
        ],
    ));
    assert_eq!(doc["overridden"]["verdict"], "inconclusive");
    let log = gatehouse(ws, &["audit", "export"]);
    let events: Vec<Value> = String::from_utf8_lossy(&log.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let last_two: Vec<(&str, &str)> = events[events.len() - 2..]
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(last_two, [("denied", "priya"), ("overridden", "erin")]);
    assert!(gatehouse(ws, &["audit", "verify"]).status.success());
}

#[test]
fn a_promql_metric_needs_a_prometheus_in_the_policy() {
    let ws = demo();
    let ws = ws.path();
    let policy = ws.join("gatehouse.toml");
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text.push_str(
        r#"
[[rollout.metrics]]
name = "error ratio from prometheus"
query = 'sum(rate(http_requests_total{version="{{canary}}",code=~"5.."}[5m])) / sum(rate(http_requests_total{version="{{canary}}"}[5m]))'
failure = "value > 0.05"
count = 3
"#,
    );
    std::fs::write(&policy, &text).unwrap();
    let out = gatehouse(ws, &["--json", "rollout", "analyze"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is a PromQL query, but [backends.metrics] names no prometheus"),
        "{}",
        stderr(&out)
    );

    // A placeholder the analysis cannot fill is a policy error naming its line.
    std::fs::write(
        &policy,
        text.replace("{{canary}}\",code", "{{args.hash}}\",code"),
    )
    .unwrap();
    let out = gatehouse(ws, &["rollout", "analyze"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("unknown placeholder `{{args.hash}}`"),
        "{}",
        stderr(&out)
    );
}

/// `gatehouse hooks secret ENTRY` with `input` on standard input.
fn store_hook_secret(ws: &Path, entry: &str, input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("--workspace")
        .arg(ws)
        .args(["--json", "hooks", "secret", entry])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn a_hook_secret_goes_from_standard_input_to_the_keyring_only() {
    let ws = demo();
    let ws = ws.path();
    let entry = format!("test/cli-hook-{}", std::process::id());
    let doc = stdout_json(&store_hook_secret(ws, &entry, "sign-with-this-9917\n"));
    assert_eq!(doc["stored"], entry.as_str());
    let stored = gatehouse_connectors::hooks::load_secret(&entry).unwrap();
    assert_eq!(stored.expose(), "sign-with-this-9917");
    let out = store_hook_secret(ws, &entry, "");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    gatehouse_connectors::secret::delete(&entry).unwrap();
}

#[test]
fn a_hook_that_cannot_be_reached_leaves_the_rollback_done_and_says_so() {
    let ws = demo();
    let ws = ws.path();
    // Nobody listens on a port just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let policy = ws.join("gatehouse.toml");
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text.push_str(&format!(
        "\n[[hooks]]\nurl = \"http://127.0.0.1:{port}/deploy\"\nevents = [\"rollback\"]\n"
    ));
    std::fs::write(&policy, text).unwrap();

    let out = as_user(
        ws,
        "dana",
        &[
            "--json",
            "rollback",
            "churn",
            "--reason",
            "error rate doubled",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["request"]["state"], "done");
    assert!(
        stderr(&out).contains(&format!(
            "deploy hook http://127.0.0.1:{port}/deploy failed; the pointer moved all the same"
        )),
        "{}",
        stderr(&out)
    );
    let registry = stdout_json(&gatehouse(
        ws,
        &["--json", "registry", "list", "--model", "churn"],
    ));
    assert_eq!(registry["models"][0]["pointers"]["production"], "2");
    let log = gatehouse(ws, &["audit", "export"]);
    let last: Value =
        serde_json::from_str(String::from_utf8_lossy(&log.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "hook_failed");
    assert_eq!(last["request"], doc["request"]["id"]);
    assert!(
        last["response"]
            .as_str()
            .unwrap()
            .ends_with("connection failed after 3 tries"),
        "{last}"
    );
    assert!(gatehouse(ws, &["audit", "verify"]).status.success());
}

/// A deploy-hook receiver on loopback answering 200; returns its URL and the bodies it got.
fn hook_receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/deploy", listener.local_addr().unwrap());
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&bodies);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_ok() {
                seen.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    (url, bodies)
}

#[test]
fn a_move_interrupted_before_its_outcome_calls_its_hooks_when_it_is_reconciled() {
    let ws = demo();
    let ws = ws.path();
    let (url, bodies) = hook_receiver();
    let policy = ws.join("gatehouse.toml");
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text.push_str(&format!(
        "\n[[hooks]]\nurl = \"{url}\"\nevents = [\"rollback\"]\n"
    ));
    std::fs::write(&policy, text).unwrap();

    // The process dies after the registry moved the pointer, before anything else.
    let out = gatehouse_with(
        ws,
        &[
            "--user",
            "dana",
            "rollback",
            "churn",
            "--reason",
            "error rate doubled",
        ],
        &[("GATEHOUSE_FAILPOINT", "after-move")],
    );
    assert!(!out.status.success());
    assert!(bodies.lock().unwrap().is_empty());

    // The next command settles the move as done, and only then are the hooks told.
    let out = as_user(ws, "sam", &["requests"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let got = bodies.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (
            got[0]["event"].as_str(),
            got[0]["version"].as_str(),
            got[0]["actor"].as_str()
        ),
        (Some("rollback"), Some("2"), Some("dana"))
    );
    let log = gatehouse(ws, &["audit", "export"]);
    let actions: Vec<String> = String::from_utf8_lossy(&log.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(actions[actions.len() - 2..], ["reconciled", "hook_called"]);

    // Nothing is called twice.
    let out = as_user(ws, "sam", &["requests"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(bodies.lock().unwrap().len(), 1);
}

/// Runs `gatehouse --workspace W ARGS…` with `input` on standard input.
fn with_stdin(ws: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .env_remove("GATEHOUSE_WORKSPACE")
        .env_remove("GATEHOUSE_USER")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// A workspace with churn v1 in production and v2 validated, following `policy`.
fn canary_workspace(dir: &Path, policy: &str) {
    use std::collections::BTreeMap;

    use gatehouse_core::demo::DemoWorkspace;
    use gatehouse_core::reading::{ModelName, Reading, SignalName};
    use gatehouse_core::registry::{Model, ModelVersion, PointerName, VersionId};
    use gatehouse_core::time::{Clock, SystemClock, Timestamp};

    let now = SystemClock.now();
    let version = |v: &str| ModelVersion {
        version: VersionId::from(v),
        run_id: format!("run-{v}"),
        created_at: now.hours_before(2.0),
        metrics: BTreeMap::new(),
        tags: BTreeMap::new(),
        data_version: None,
        code_commit: None,
    };
    let demo = DemoWorkspace {
        policy: policy.to_owned(),
        models: vec![Model {
            name: ModelName::from("churn"),
            description: "churn".into(),
            pointers: [(PointerName::from("production"), VersionId::from("1"))].into(),
            versions: vec![version("1"), version("2")],
        }],
        readings: vec![Reading::new(
            ModelName::from("churn"),
            SignalName::from("model.auc"),
            0.86,
            Timestamp(now.0 - 60_000),
            "validation".into(),
            None,
        )
        .unwrap()],
        reference: BTreeMap::new(),
        windows: Vec::new(),
        history: Vec::new(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let ws = gatehouse_store::Workspace::create_demo(dir, &demo)
            .await
            .unwrap();
        ws.close().await;
    });
}

#[test]
fn rollout_analyze_measures_promql_in_the_connected_prometheus() {
    use gatehouse_tests::servers::{start_prometheus_over, BasicAuth, AUTH_PASSWORD, AUTH_USER};

    // The last half hour, a sample a minute: the canary (v2) fails three times as often as v1.
    let now_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut history = String::from("# TYPE served_error_ratio gauge\n");
    for m in (1..=30).rev() {
        let t = (now_s / 60 - m) * 60;
        for (version, ratio) in [("1", "0.01"), ("2", "0.03")] {
            history.push_str(&format!(
                "served_error_ratio{{model=\"churn\",version=\"{version}\"}} {ratio} {t}\n"
            ));
        }
    }
    history.push_str("# EOF\n");
    let mut server = start_prometheus_over(&history, BasicAuth::On);

    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    canary_workspace(
        ws,
        r#"[workspace]
name = "Canary against Prometheus"
demo = true
model = "churn"

[users.priya]
roles = ["approver"]
[users.marco]
roles = ["approver"]

[[gates]]
id = "model-validation"
[[gates.checks]]
id = "auc"
signal = "model.auc"
min = 0.8

[rollout]
kind = "canary"
auto_rollback = false

[[rollout.metrics]]
name = "error ratio"
query = 'max(served_error_ratio{model="{{model}}",version="{{canary}}"}) / max(served_error_ratio{model="{{model}}",version="{{stable}}"})'
success = "value <= 1.5"
failure = "value > 2"
interval = "1s"
count = 3
"#,
    );
    // The metrics back end, with its password in the keyring.
    let out = with_stdin(
        ws,
        &[
            "--json",
            "connect",
            "prometheus",
            &server.url,
            "--username",
            AUTH_USER,
            "--password-stdin",
        ],
        &format!("{AUTH_PASSWORD}\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let asked = stdout_json(&as_user(
        ws,
        "priya",
        &[
            "--json",
            "promote",
            "churn",
            "2",
            "--to",
            "production",
            "--reason",
            "canary",
        ],
    ));
    let id = asked["request"]["id"].to_string();
    let done = stdout_json(&as_user(ws, "marco", &["--json", "approve", &id]));
    assert_eq!(done["request"]["state"], "done");

    std::thread::sleep(std::time::Duration::from_millis(1200));
    let out = gatehouse(ws, &["--json", "rollout", "analyze"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let report = &doc["rollout"];
    let measured: Vec<f64> = report["analysis"]["metrics"][0]["measurements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_f64().unwrap())
        .collect();
    // The first measurement, at the moment v2 went out, already fails: 0.03 / 0.01.
    assert_eq!(measured.len(), 1);
    assert!((measured[0] - 3.0).abs() < 1e-9, "{measured:?}");
    assert_eq!(report["analysis"]["verdict"], "failed");
    assert_eq!(
        (
            report["plan"]["from"].as_str(),
            report["plan"]["to"].as_str()
        ),
        (Some("2"), Some("1"))
    );
    assert_eq!(report["action"]["action"], "proposed");

    // With Prometheus gone the verdict stands on what was measured: nothing is due any more.
    server.kill();
    let out = gatehouse(ws, &["--json", "rollout", "analyze"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let again: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(again["rollout"]["analysis"], report["analysis"]);
}

#[test]
fn an_unreachable_prometheus_stops_the_analysis_and_records_no_error() {
    let port = gatehouse_tests::servers::free_port();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    canary_workspace(
        ws,
        &format!(
            r#"[workspace]
name = "Canary, Prometheus down"
demo = true
model = "churn"

[backends.metrics]
kind = "prometheus"
url = "http://127.0.0.1:{port}"

[users.priya]
roles = ["approver"]
[users.marco]
roles = ["approver"]

[[gates]]
id = "model-validation"
[[gates.checks]]
id = "auc"
signal = "model.auc"
min = 0.8

[rollout]
kind = "shadow"

[[rollout.metrics]]
name = "error ratio"
query = 'max(served_error_ratio{{version="{{{{canary}}}}"}})'
failure = "value > 0.05"
count = 3
"#
        ),
    );
    let asked = stdout_json(&as_user(
        ws,
        "priya",
        &[
            "--json",
            "promote",
            "churn",
            "2",
            "--to",
            "production",
            "--reason",
            "shadow",
        ],
    ));
    let id = asked["request"]["id"].to_string();
    stdout_json(&as_user(ws, "marco", &["--json", "approve", &id]));
    for _ in 0..2 {
        let out = gatehouse(ws, &["--json", "rollout", "analyze"]);
        assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
        assert!(stderr(&out).contains("unreachable"), "{}", stderr(&out));
    }
    // Had the failures been stored as measurements without value, the analysis would count them
    // as errors.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let stored = runtime.block_on(async {
        use gatehouse_core::rollout::ReadingHistory;
        let store = gatehouse_store::Workspace::open(ws).await.unwrap();
        store
            .measurements(
                &"churn".into(),
                &"production".into(),
                &"2".into(),
                "error ratio",
                gatehouse_core::time::Timestamp(0),
            )
            .await
            .unwrap()
    });
    assert!(stored.is_empty(), "{stored:?}");
}
