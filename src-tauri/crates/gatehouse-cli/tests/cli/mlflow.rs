//! The `gatehouse` command against a real `mlflow server` with basic auth: `connect mlflow` keeps
//! the password in the keyring only, `registry list` equals what MLflow's REST API returns on
//! hundreds of versions, approvals move the alias and `rollback` moves it back, a change made in
//! MLflow between approval and execution is refused, a READ-only user is refused by the server
//! (exit 4) with nothing moved, and a stopped server gives exit 5 with nothing half-done.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Stdio;

use gatehouse_connectors::secret;
use gatehouse_tests::mlflow_server::{runtime, Auth, MlflowServer, Rest, ADMIN_PASSWORD};
use serde_json::json;

use super::*;

const POLICY: &str = r##"# the team's policy
[workspace]
name = "mlflow team"
model = "churn"

[owners.models]
name = "Modelling"
members = ["priya"]

[users.priya]
name = "Priya"
roles = ["approver"]

[users.marco]
name = "Marco"
roles = ["approver", "operator"]

[users.erin]
name = "Erin"
roles = ["admin"]

[[gates]]
id = "model-validation"
owner = "models"

[[gates.checks]]
id = "auc"
signal = "model.auc"
min = 0.8

[promotion]
production_pointer = "champion"
request = ["approver", "admin"]
approve = ["approver", "admin"]
rollback = ["operator", "admin"]

[pointers.champion]
approvals = 2
"##;

/// `gatehouse connect mlflow URL --username USER --password-stdin`, the password on stdin.
fn connect(ws: &Path, url: &str, user: &str, password: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("--workspace")
        .arg(ws)
        .args(["--json", "connect", "mlflow", url, "--username", user])
        .arg("--password-stdin")
        .env_remove("GATEHOUSE_WORKSPACE")
        .env_remove("GATEHOUSE_USER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The audit log as `audit export` writes it.
fn audit(ws: &Path) -> Vec<Value> {
    let out = gatehouse(ws, &["audit", "export"]);
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Runs a promotion of `churn` to `version` through its two approvals; returns the request id
/// and the output of the approval that executes it.
fn promote_and_approve(ws: &Path, version: &str, before_last: impl FnOnce()) -> (i64, Output) {
    let doc = stdout_json(&as_user(
        ws,
        "priya",
        &[
            "--json", "promote", "churn", version, "--to", "champion", "--reason", "it wins",
        ],
    ));
    let id = doc["request"]["id"].as_i64().unwrap();
    stdout_json(&as_user(
        ws,
        "marco",
        &["--json", "approve", &id.to_string()],
    ));
    before_last();
    let out = as_user(ws, "erin", &["--json", "approve", &id.to_string()]);
    (id, out)
}

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn connect_list_promote_and_roll_back_against_a_real_mlflow() {
    let mut server = MlflowServer::start(Auth::BasicAuth);
    let rt = runtime();
    let admin = Rest::new(&server.url, Some(("admin", ADMIN_PASSWORD)));
    let editor_pw = format!("editor-cli-{}-pw", std::process::id());
    let reader_pw = format!("reader-cli-{}-pw", std::process::id());
    let runs = rt.block_on(async {
        for (user, pw) in [("editor", &editor_pw), ("reader", &reader_pw)] {
            admin
                .post("users/create", json!({"username": user, "password": pw}))
                .await;
        }
        let runs = admin.seed_runs(12).await;
        admin
            .seed_models(&[("aaa-first", 15), ("churn", 240), ("fraud", 60)], &runs)
            .await;
        admin.set_alias("churn", "champion", "1").await;
        admin.set_alias("churn", "challenger", "200").await;
        admin.set_alias("fraud", "champion", "3").await;
        admin
            .transition("fraud", "2", "Staging", false)
            .await;
        for model in ["aaa-first", "churn", "fraud"] {
            admin
                .post(
                    "api/3.0/mlflow/users/permissions/grant",
                    json!({"username": "editor", "resource_type": "registered_model", "resource_id": model, "permission": "EDIT"}),
                )
                .await;
        }
        runs
    });

    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    std::fs::write(ws.join("gatehouse.toml"), POLICY).unwrap();
    let out = gatehouse(ws, &["record", "model.auc", "0.9"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // connect: the credential goes to the keyring, the policy names only the entry.
    let done = stdout_json(&connect(ws, &server.url, "editor", &editor_pw));
    assert_eq!(done["backend"], "mlflow");
    assert_eq!(done["auth"], "basic");
    let editor_entry = done["credential"]
        .as_str()
        .unwrap_or_else(|| panic!("no keyring entry in {done}"))
        .to_owned();
    assert!(!done.to_string().contains(&editor_pw));
    let policy = std::fs::read_to_string(ws.join("gatehouse.toml")).unwrap();
    assert!(policy.starts_with("# the team's policy\n"), "{policy}");
    assert!(
        policy.contains(&format!(
            "[backends.registry]\nkind = \"mlflow\"\nurl = \"{}\"\ncredential = \"{editor_entry}\"\n",
            server.url
        )),
        "{policy}"
    );

    // registry list equals the REST API, model for model, version for version, alias for alias.
    let listed = stdout_json(&gatehouse(ws, &["--json", "registry", "list"]));
    let truth = rt.block_on(admin.registry());
    let metrics: BTreeMap<String, BTreeMap<String, f64>> = rt.block_on(async {
        let mut m = BTreeMap::new();
        for run in &runs {
            m.insert(run.clone(), admin.run_metrics(run).await);
        }
        m
    });
    let models = listed["models"].as_array().unwrap();
    let names: Vec<&str> = models.iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, truth.keys().map(String::as_str).collect::<Vec<_>>());
    let mut versions_seen = 0;
    for m in models {
        let name = m["name"].as_str().unwrap();
        let want = &truth[name];
        assert_eq!(m["description"], want.description.as_str(), "{name}");
        let pointers: BTreeMap<String, String> =
            serde_json::from_value(m["pointers"].clone()).unwrap();
        assert_eq!(pointers, want.aliases, "{name}");
        let versions = m["versions"].as_array().unwrap();
        let numbers: Vec<&str> = versions
            .iter()
            .map(|v| v["version"].as_str().unwrap())
            .collect();
        let mut expected: Vec<&str> = want.versions.keys().map(String::as_str).collect();
        expected.sort_by_key(|v| v.parse::<u64>().unwrap());
        assert_eq!(numbers, expected, "{name}: versions oldest first");
        for v in versions {
            let id = v["version"].as_str().unwrap();
            let rest = &want.versions[id];
            assert_eq!(v["run_id"], rest.run_id.as_str(), "{name} {id}");
            assert_eq!(v["created_at"], rest.created_at, "{name} {id}");
            assert_eq!(v["description"], rest.description.as_str(), "{name} {id}");
            assert_eq!(v["status"], "ready", "{name} {id}");
            let stage = (rest.stage != "None").then_some(rest.stage.as_str());
            assert_eq!(v["stage"].as_str(), stage, "{name} {id}");
            let tags: BTreeMap<String, String> = serde_json::from_value(v["tags"].clone()).unwrap();
            assert_eq!(tags, rest.tags, "{name} {id}");
            let got: BTreeMap<String, f64> = serde_json::from_value(v["metrics"].clone()).unwrap();
            assert_eq!(got, metrics[&rest.run_id], "{name} {id}");
            versions_seen += 1;
        }
    }
    assert_eq!(versions_seen, 315);

    // status shows the MLflow registry in the loop's stages.
    let status = stdout_json(&gatehouse(ws, &["--json", "status"]));
    let detail = |status: &Value, stage: &str| {
        status["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == stage)
            .unwrap()["detail"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(detail(&status, "register"), "240 versions, latest 240");
    assert_eq!(detail(&status, "deploy"), "challenger → 200, champion → 1");

    // Two approvals move the alias; the executing approval reads it back; rollback moves it back.
    let (id, out) = promote_and_approve(ws, "5", || {});
    let doc = stdout_json(&out);
    assert_eq!(doc["request"]["state"], "done", "{doc}");
    assert_eq!(
        rt.block_on(admin.alias("churn", "champion")).as_deref(),
        Some("5")
    );
    let tags = rt.block_on(admin.version_tags("churn", "5"));
    assert_eq!(tags["gatehouse.promoted_by"], "erin");
    assert_eq!(tags["gatehouse.request"], id.to_string());
    let executed = audit(ws)
        .into_iter()
        .find(|e| e["request"] == id && e["action"] == "executed")
        .unwrap_or_else(|| panic!("no executed event for #{id}"));
    assert!(
        executed["response"]
            .as_str()
            .unwrap()
            .contains("churn@champion 1 → 5, read back 5"),
        "{executed}"
    );
    let back = stdout_json(&as_user(
        ws,
        "marco",
        &["--json", "rollback", "churn", "--reason", "v5 regressed"],
    ));
    assert_eq!(back["request"]["state"], "done", "{back}");
    assert_eq!(back["request"]["version"], "1");
    assert_eq!(
        rt.block_on(admin.alias("churn", "champion")).as_deref(),
        Some("1")
    );
    let back_id = back["request"]["id"].clone();
    let executed = audit(ws)
        .into_iter()
        .find(|e| e["request"] == back_id && e["action"] == "executed")
        .unwrap_or_else(|| panic!("no executed event for the rollback {back_id}"));
    assert!(
        executed["response"]
            .as_str()
            .unwrap()
            .contains("churn@champion 5 → 1, read back 1"),
        "{executed}"
    );

    // An alias moved directly in MLflow between approval and execution: refused, not moved.
    let (id, out) = promote_and_approve(ws, "7", || {
        rt.block_on(admin.set_alias("churn", "champion", "9"));
    });
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("moved from 1 to 9"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        rt.block_on(admin.alias("churn", "champion")).as_deref(),
        Some("9")
    );
    assert!(audit(ws)
        .iter()
        .any(|e| e["request"] == id && e["action"] == "failed"));

    // READ-only credentials: MLflow refuses, exit 4 with its reason, the alias stays, the audit
    // log records the refusal.
    let out = connect(ws, &server.url, "reader", &reader_pw);
    let reader_entry = stdout_json(&out)["credential"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_default();
    let (id, out) = promote_and_approve(ws, "3", || {});
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["code"], "permission_denied");
    assert_eq!(
        err["error"]["message"],
        "mlflow refused: user `reader` may not edit model `churn` (403)"
    );
    assert_eq!(
        rt.block_on(admin.alias("churn", "champion")).as_deref(),
        Some("9")
    );
    let refused = audit(ws)
        .into_iter()
        .find(|e| e["request"] == id && e["action"] == "failed")
        .unwrap_or_else(|| panic!("no failed event for #{id}"));
    assert!(
        refused["response"].as_str().unwrap().contains("(403)"),
        "{refused}"
    );
    let out = gatehouse(ws, &["audit", "verify"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // The passwords are in no file of the workspace.
    for file in files(ws) {
        let bytes = std::fs::read(&file).unwrap();
        for pw in [&editor_pw, &reader_pw] {
            assert!(
                !bytes.windows(pw.len()).any(|w| w == pw.as_bytes()),
                "a password is in {}",
                file.display()
            );
        }
    }

    // The server stops: reads and actions fail with exit 5, and nothing is half-done.
    let requests_before = stdout_json(&gatehouse(ws, &["--json", "requests", "--all"]));
    let audit_before = audit(ws).len();
    server.stop();
    for args in [
        vec!["--json", "registry", "list"],
        vec!["--json", "status"],
        vec![
            "--json", "--user", "priya", "promote", "churn", "4", "--to", "champion", "--reason",
            "r",
        ],
        vec![
            "--json", "--user", "marco", "rollback", "churn", "--to", "2", "--reason", "r",
        ],
    ] {
        let out = gatehouse(ws, &args);
        assert_eq!(out.status.code(), Some(5), "{args:?}: {}", stderr(&out));
        let err: Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(err["error"]["code"], "unreachable", "{args:?}");
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&server.url),
            "{err}"
        );
    }
    let requests_after = stdout_json(&gatehouse(ws, &["--json", "requests", "--all"]));
    assert_eq!(requests_after, requests_before);
    assert_eq!(audit(ws).len(), audit_before);

    for entry in [editor_entry, reader_entry] {
        if !entry.is_empty() {
            let _ = secret::delete(&entry);
        }
    }
}
