//! `gatehouse connect prometheus|alertmanager URL` against the real servers: the server is asked
//! its own status before anything is written, credentials go to the keyring and only the entry's
//! name to `gatehouse.toml`, and a server that is down or is something else exits 5 with nothing
//! written. Then `gatehouse alerts` reads the connected Alertmanager.

use std::io::Write as _;
use std::process::Stdio;

use gatehouse_tests::servers::{
    free_port, post_alerts, rfc3339_in_hours, start_alertmanager, start_prometheus, BasicAuth,
    AUTH_PASSWORD, AUTH_USER,
};

use super::*;

/// Runs `gatehouse --json connect …` with `secret` on standard input, if any.
fn connect(ws: &Path, args: &[&str], secret: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    cmd.arg("--workspace")
        .arg(ws)
        .args(["--json", "connect"])
        .args(args)
        .env_remove("GATEHOUSE_WORKSPACE")
        .env_remove("GATEHOUSE_USER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    if let Some(s) = secret {
        stdin.write_all(format!("{s}\n").as_bytes()).unwrap();
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

fn policy(ws: &Path) -> String {
    std::fs::read_to_string(ws.join("gatehouse.toml")).unwrap()
}

fn error_code(out: &Output) -> String {
    let v: Value =
        serde_json::from_slice(&out.stderr).unwrap_or_else(|_| panic!("{}", stderr(out)));
    v["error"]["code"].as_str().unwrap().to_owned()
}

#[test]
fn connecting_prometheus_checks_the_server_and_keeps_the_password_in_the_keyring() {
    let ws = demo();
    let before = policy(ws.path());
    let (server, _) = start_prometheus(BasicAuth::On);

    // Without a credential the server refuses: exit 4, nothing written.
    let refused = connect(ws.path(), &["prometheus", &server.url], None);
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    assert_eq!(error_code(&refused), "permission_denied");
    let wrong = connect(
        ws.path(),
        &[
            "prometheus",
            &server.url,
            "--username",
            AUTH_USER,
            "--password-stdin",
        ],
        Some("not the password"),
    );
    assert_eq!(wrong.status.code(), Some(4), "{}", stderr(&wrong));
    assert_eq!(policy(ws.path()), before);

    let done = connect(
        ws.path(),
        &[
            "prometheus",
            &server.url,
            "--username",
            AUTH_USER,
            "--password-stdin",
        ],
        Some(AUTH_PASSWORD),
    );
    let doc = stdout_json(&done);
    assert_eq!(doc["backend"], "prometheus");
    assert_eq!(doc["port"], "metrics");
    assert_eq!(doc["auth"], "basic");
    assert!(doc["version"].as_str().unwrap().starts_with('2'), "{doc}");
    let entry = doc["credential"].as_str().unwrap().to_owned();
    assert!(
        entry.starts_with("prometheus/gatehouse@127.0.0.1:"),
        "{entry}"
    );
    let after = policy(ws.path());
    assert!(after.contains(&format!(
        "[backends.metrics]\nkind = \"prometheus\"\nurl = \"{}\"\ncredential = \"{entry}\"\n",
        server.url
    )));
    assert!(!after.contains(AUTH_PASSWORD));
    // Only that table changed: the rest of the file is as it was.
    assert_eq!(
        after.replace(
            &format!(
                "kind = \"prometheus\"\nurl = \"{}\"\ncredential = \"{entry}\"\n",
                server.url
            ),
            "kind = \"embedded\"\n"
        ),
        before
    );
    // The workspace still opens, with the new back end.
    assert!(gatehouse(ws.path(), &["--json", "status"]).status.success());
}

#[test]
fn a_server_that_is_down_or_is_something_else_exits_5_and_writes_nothing() {
    let ws = demo();
    let before = policy(ws.path());
    let nobody = format!("http://127.0.0.1:{}", free_port());
    for target in ["prometheus", "alertmanager"] {
        let out = connect(ws.path(), &[target, &nobody], None);
        assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
        assert_eq!(error_code(&out), "unreachable");
        assert!(
            stderr(&out).contains(&format!("{target} is unreachable")),
            "{}",
            stderr(&out)
        );
    }
    // An Alertmanager is not a Prometheus, and the other way round.
    let am = start_alertmanager(BasicAuth::Off);
    let (prom, _) = start_prometheus(BasicAuth::Off);
    let out = connect(ws.path(), &["prometheus", &am.url], None);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a prometheus"),
        "{}",
        stderr(&out)
    );
    let out = connect(ws.path(), &["alertmanager", &prom.url], None);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not an alertmanager"),
        "{}",
        stderr(&out)
    );
    // Not a URL at all is a usage error.
    let out = connect(ws.path(), &["alertmanager", "ftp://x"], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(policy(ws.path()), before);
}

#[test]
fn a_connected_alertmanager_is_where_gatehouse_alerts_reads_and_acknowledges() {
    let ws = demo();
    let am = start_alertmanager(BasicAuth::Off);
    let done = stdout_json(&connect(ws.path(), &["alertmanager", &am.url], None));
    assert_eq!(done["port"], "alerts");
    assert_eq!(done["auth"], "none");
    assert!(done["credential"].is_null());
    assert!(policy(ws.path()).contains(&format!(
        "[backends.alerts]\nkind = \"alertmanager\"\nurl = \"{}\"\n",
        am.url
    )));

    let until = rfc3339_in_hours(1);
    post_alerts(
        &am.url,
        &format!(
            r#"[{{"labels": {{"alertname": "HighErrorRate", "severity": "critical", "model": "churn"}},
                 "annotations": {{"runbook_url": "https://runbooks.acme.example/errors"}}, "endsAt": "{until}"}},
                {{"labels": {{"alertname": "ScoreShift", "severity": "warning", "model": "churn"}}, "endsAt": "{until}"}},
                {{"labels": {{"alertname": "DiskAlmostFull", "severity": "info"}}, "endsAt": "{until}"}}]"#
        ),
    );
    let list = stdout_json(&gatehouse(ws.path(), &["--json", "alerts"]));
    let alerts = list["alerts"].as_array().unwrap();
    let find = |name: &str| alerts.iter().find(|a| a["name"] == name).unwrap();
    // Owners from the policy's ownership map: by alert name, then by model; else flagged.
    assert_eq!(find("HighErrorRate")["owner"], "serving-sre");
    assert_eq!(find("HighErrorRate")["owned_by"], "alert_name");
    assert_eq!(
        find("HighErrorRate")["runbook"],
        "https://runbooks.acme.example/errors"
    );
    assert_eq!(find("HighErrorRate")["state"], "firing");
    assert_eq!(find("ScoreShift")["owner"], "churn-models");
    assert_eq!(find("ScoreShift")["owned_by"], "model");
    assert!(find("DiskAlmostFull")["owner"].is_null());
    assert_eq!(find("DiskAlmostFull")["owned_by"], "unowned");

    let acked = stdout_json(&as_user(
        ws.path(),
        "marco",
        &[
            "--json",
            "ack",
            "HighErrorRate",
            "--for",
            "2h",
            "--reason",
            "rolling back",
        ],
    ));
    assert_eq!(acked["alert"]["state"], "acknowledged");
    let silences = gatehouse_tests::servers::http(&am.url, "GET", "/api/v2/silences", None)
        .unwrap()
        .1;
    let silences: Value = serde_json::from_str(&silences).unwrap();
    assert_eq!(silences[0]["createdBy"], "marco");
    assert_eq!(silences[0]["comment"], "rolling back");

    // The server goes away: the command says so and exits 5.
    drop(am);
    let out = gatehouse(ws.path(), &["--json", "alerts"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
}
