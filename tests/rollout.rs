//! The rollout gate against a real Prometheus: a canary (churn v2) and the stable version (v1)
//! serve traffic loaded with `promtool`, the canary's error rate degrades step by step, and the
//! analysis measures a PromQL ratio of the two at each interval. The expectations are computed
//! here from the loaded counters; the rollback, the deploy hooks (loopback listeners that check
//! the HMAC signature with their own HMAC) and the audit log are checked as they happen.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gatehouse_connectors::hooks::{self, Webhooks};
use gatehouse_connectors::live;
use gatehouse_connectors::prometheus::{LiveMetrics, Prometheus};
use gatehouse_connectors::secret::{self, Secret};
use gatehouse_connectors::ClientOptions;
use gatehouse_core::audit::{self, AuditAction};
use gatehouse_core::demo::DemoWorkspace;
use gatehouse_core::gate::{GateState, GateStatus};
use gatehouse_core::policy::{Policy, UserName};
use gatehouse_core::ports::{PromotionStore, Registry};
use gatehouse_core::promotion::{Desk, Quiet, RequestState};
use gatehouse_core::reading::{ModelName, Reading, SignalName};
use gatehouse_core::registry::{Model, ModelVersion, PointerName, VersionId};
use gatehouse_core::rollout::{Outcome, RollbackAction, Rollout, Verdict, RULE_ACTOR};
use gatehouse_core::rollout_view::rollout_view;
use gatehouse_core::status::LoopStatus;
use gatehouse_core::time::{Clock, SystemClock, Timestamp};
use gatehouse_core::ErrorCode;
use gatehouse_store::Workspace;
use gatehouse_tests::servers::{start_prometheus_over, BasicAuth, Server};
use serde_json::Value;
use sha2::{Digest, Sha256};

const MINUTE: i64 = 60_000;
/// Minutes of stable traffic before the canary starts.
const LEAD_MINUTES: i64 = 30;
/// Minutes of history after the canary starts.
const CANARY_MINUTES: i64 = 35;
/// Requests a minute, per version.
const REQUESTS: u64 = 100;
/// Failed requests a minute of the stable version.
const STABLE_ERRORS: u64 = 2;
/// Failed requests a minute of the canary in each five minutes after it starts: it degrades.
const CANARY_ERRORS: [u64; 7] = [2, 3, 4, 5, 6, 7, 8];
/// The analysis interval, in minutes.
const INTERVAL: i64 = 5;

/// The canary's error rate over the stable version's, over the five minutes before each
/// measurement.
const QUERY: &str = r#"(sum(rate(http_requests_total{model="{{model}}",version="{{canary}}",code=~"5.."}[5m])) / sum(rate(http_requests_total{model="{{model}}",version="{{canary}}"}[5m]))) / (sum(rate(http_requests_total{model="{{model}}",version="{{stable}}",code=~"5.."}[5m])) / sum(rate(http_requests_total{model="{{model}}",version="{{stable}}"}[5m])))"#;

/// Failed requests of `version` in minute `m` after the canary started (negative: before).
fn errors_in_minute(version: &str, m: i64) -> Option<u64> {
    match version {
        "1" => Some(STABLE_ERRORS),
        _ if m < 1 => None,
        _ => Some(CANARY_ERRORS[((m - 1) / INTERVAL) as usize]),
    }
}

/// `(failed, all)` requests of `version` counted from its first sample to minute `m` (the
/// counters Prometheus holds); none before the version served.
fn counters(version: &str, m: i64) -> Option<(u64, u64)> {
    let first = if version == "1" { -LEAD_MINUTES } else { 0 };
    if m < first {
        return None;
    }
    let minutes = (first + 1..=m).filter_map(|i| errors_in_minute(version, i));
    Some(minutes.fold((0, 0), |(e, a), errors| (e + errors, a + REQUESTS)))
}

/// The history as OpenMetrics, with the canary starting at `t0` (ms, a whole minute).
fn history(t0: Timestamp) -> String {
    let mut out = String::from("# TYPE http_requests counter\n");
    for m in -LEAD_MINUTES..=CANARY_MINUTES {
        let t = (t0.0 + m * MINUTE) / 1000;
        for version in ["1", "2"] {
            let Some((failed, all)) = counters(version, m) else {
                continue;
            };
            for (code, n) in [("200", all - failed), ("500", failed)] {
                writeln!(
                    out,
                    r#"http_requests_total{{model="churn",version="{version}",code="{code}"}} {n} {t}"#
                )
                .unwrap();
            }
        }
    }
    out.push_str("# EOF\n");
    out
}

/// What the query should give at `at`, from the loaded counters: none while the canary has
/// fewer than two samples in the window.
fn expected_ratio(t0: Timestamp, at: Timestamp) -> Option<f64> {
    let m = (at.0 - t0.0) / MINUTE;
    let window = |version: &str| {
        let (e1, a1) = counters(version, m)?;
        let (e0, a0) = counters(version, m - INTERVAL)?;
        Some((e1 - e0) as f64 / (a1 - a0) as f64)
    };
    Some(window("2")? / window("1")?)
}

/// The outcome the policy's conditions (`value <= success`, `value > failure`) give a value.
fn expected_outcome(value: Option<f64>, success: f64, failure: f64) -> Outcome {
    match value {
        None => Outcome::Error,
        Some(v) if v > failure => Outcome::Failed,
        Some(v) if v <= success => Outcome::Successful,
        Some(_) => Outcome::Inconclusive,
    }
}

/// Argo's verdict over outcomes, written out again here so the test does not lean on the code
/// it checks.
fn expected_verdict(
    outcomes: &[Outcome],
    count: usize,
    failure_limit: usize,
    inconclusive_limit: usize,
) -> Verdict {
    let n = |o: Outcome| outcomes.iter().filter(|x| **x == o).count();
    let trailing_errors = outcomes
        .iter()
        .rev()
        .take_while(|o| **o == Outcome::Error)
        .count();
    if n(Outcome::Failed) > failure_limit {
        Verdict::Failed
    } else if n(Outcome::Inconclusive) > inconclusive_limit {
        Verdict::Inconclusive
    } else if trailing_errors > 4 {
        Verdict::Error
    } else if outcomes.len() >= count {
        Verdict::Successful
    } else {
        Verdict::Running
    }
}

/// HMAC-SHA256 as RFC 2104 defines it, over SHA-256 alone: the listener's own check.
fn hmac_sha256(key: &[u8], message: &[u8]) -> String {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|k| k ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

/// A call a listener received.
#[derive(Debug, Clone)]
struct Call {
    signature: Option<String>,
    body: Vec<u8>,
}

/// A deploy-hook receiver on loopback that answers every call with `status`.
struct Listener {
    url: String,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Listener {
    fn start(status: u16) -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/deploy", listener.local_addr().unwrap());
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&calls);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let (mut length, mut signature) = (0, None);
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':') {
                        match name.to_ascii_lowercase().as_str() {
                            "content-length" => length = value.trim().parse().unwrap_or(0),
                            "x-gatehouse-signature" => signature = Some(value.trim().to_owned()),
                            _ => {}
                        }
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    continue;
                }
                seen.lock().unwrap().push(Call { signature, body });
                let answer = if status < 300 {
                    "{\"sync\":\"started\"}"
                } else {
                    "deploy controller down"
                };
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
        Listener { url, calls }
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

/// Conditions and limits of the analysis in one scenario.
struct Rules {
    success: f64,
    failure: f64,
    count: usize,
    failure_limit: usize,
    inconclusive_limit: usize,
    auto_rollback: bool,
}

fn policy_text(
    prometheus: &str,
    rules: &Rules,
    cd: &Listener,
    broken: &Listener,
    secret_entry: &str,
) -> String {
    format!(
        r#"[workspace]
name = "Rollout against Prometheus"
demo = true
model = "churn"

[backends.metrics]
kind = "prometheus"
url = "{prometheus}"

[users.priya]
roles = ["approver"]
[users.marco]
roles = ["approver", "operator"]
[users.dana]
roles = ["operator"]
[users.sam]
roles = ["viewer"]
[users.erin]
roles = ["admin"]

[[gates]]
id = "model-validation"
[[gates.checks]]
id = "auc"
signal = "model.auc"
min = 0.8

[rollout]
kind = "canary"
pointer = "production"
auto_rollback = {auto}

[[rollout.metrics]]
name = "error rate"
query = '{QUERY}'
success = "value <= {success}"
failure = "value > {failure}"
interval = "{INTERVAL}m"
count = {count}
failure_limit = {failure_limit}
inconclusive_limit = {inconclusive_limit}

[[hooks]]
url = "{cd}"
events = ["promotion", "rollback", "abort"]
secret = "{secret_entry}"

[[hooks]]
url = "{broken}"
events = ["rollback"]
"#,
        auto = rules.auto_rollback,
        success = rules.success,
        failure = rules.failure,
        count = rules.count,
        failure_limit = rules.failure_limit,
        inconclusive_limit = rules.inconclusive_limit,
        cd = cd.url,
        broken = broken.url,
    )
}

/// A workspace whose registry holds churn v1 (in production) and v2, with v2's validation
/// passed, and its policy.
async fn workspace(dir: &std::path::Path, policy: String, t0: Timestamp) -> (Workspace, Policy) {
    let version = |v: &str, minutes_before: i64| ModelVersion {
        version: VersionId::from(v),
        run_id: format!("run-{v}"),
        created_at: Timestamp(t0.0 - minutes_before * MINUTE),
        metrics: BTreeMap::new(),
        tags: BTreeMap::new(),
        data_version: None,
        code_commit: None,
    };
    let churn = Model {
        name: ModelName::from("churn"),
        description: "churn".into(),
        pointers: [(PointerName::from("production"), VersionId::from("1"))].into(),
        versions: vec![version("1", 600), version("2", 90)],
    };
    let auc = Reading::new(
        ModelName::from("churn"),
        SignalName::from("model.auc"),
        0.86,
        Timestamp(t0.0 - 60 * MINUTE),
        "validation".into(),
        None,
    )
    .unwrap();
    let demo = DemoWorkspace {
        policy,
        models: vec![churn],
        readings: vec![auc],
        reference: BTreeMap::new(),
        windows: Vec::new(),
        history: Vec::new(),
    };
    let ws = Workspace::create_demo(dir, &demo).await.unwrap();
    let policy = ws.policy().unwrap();
    (ws, policy)
}

/// Hooks with short pauses between retries, so the broken receiver costs milliseconds.
fn webhooks() -> Webhooks {
    Webhooks::new(ClientOptions {
        timeout: Duration::from_secs(5),
        retry_pause: Duration::from_millis(20),
        ..ClientOptions::default()
    })
}

/// The canary goes out: priya asks for churn v2 in production and marco's approval moves it at
/// `t0`, calling the promotion hook.
async fn promote_canary(ws: &Workspace, policy: &Policy, sink: &Webhooks, t0: Timestamp) {
    let desk = |who: &str, now: Timestamp| Desk {
        policy,
        actor: UserName::from(who),
        now,
        store: ws,
        registry: ws,
        observer: &Quiet,
        hooks: sink,
    };
    let asked = desk("priya", Timestamp(t0.0 - MINUTE))
        .request(
            &ModelName::from("churn"),
            &VersionId::from("2"),
            &PointerName::from("production"),
            "canary of v2",
        )
        .await
        .unwrap();
    let done = desk("marco", t0).approve(asked.id, None).await.unwrap();
    assert_eq!(done.state, RequestState::Done, "{:?}", done.outcome);
}

fn rollout<'a>(
    ws: &'a Workspace,
    policy: &'a Policy,
    sink: &'a Webhooks,
    actor: &str,
    now: Timestamp,
) -> Rollout<'a, Workspace, Workspace> {
    Rollout {
        policy,
        actor: UserName::from(actor),
        now,
        store: ws,
        registry: ws,
        observer: &Quiet,
        hooks: sink,
    }
}

/// The canary starts 50 minutes ago (a whole minute), with history on both sides.
fn canary_start() -> Timestamp {
    let now = SystemClock.now().0;
    Timestamp((now / MINUTE - 1 - CANARY_MINUTES - 15) * MINUTE)
}

fn start(t0: Timestamp) -> (Server, Prometheus) {
    let server = start_prometheus_over(&history(t0), BasicAuth::Off);
    let prom = Prometheus::new(&server.url, ClientOptions::default()).unwrap();
    (server, prom)
}

/// Where churn@production points now.
async fn production(ws: &Workspace) -> VersionId {
    ws.pointer(&ModelName::from("churn"), &PointerName::from("production"))
        .await
        .unwrap()
        .unwrap()
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_degrading_canary_fails_measurement_by_measurement_and_the_rule_rolls_back() {
    let t0 = canary_start();
    let (_server, prom) = start(t0);
    let (cd, broken) = (Listener::start(202), Listener::start(500));
    let entry = format!("test/rollout-hook-{}", std::process::id());
    let shared = "hook-secret-never-on-disk-71";
    hooks::store_secret(&entry, Secret::new(shared)).unwrap();
    let rules = Rules {
        success: 1.6,
        failure: 2.2,
        count: 6,
        failure_limit: 1,
        inconclusive_limit: 1,
        auto_rollback: false,
    };
    let dir = tempfile::tempdir().unwrap();
    let text = policy_text(prom.url(), &rules, &cd, &broken, &entry);
    let (ws, mut policy) = workspace(dir.path(), text, t0).await;
    let sink = webhooks();
    promote_canary(&ws, &policy, &sink, t0).await;
    assert_eq!(cd.calls().len(), 1, "the promotion called its hook");
    assert_eq!(json(&cd.calls()[0].body)["event"], "promotion");

    // The analysis runs now and then; each run measures what fell due since the last.
    let mut expected: Vec<(Timestamp, Option<f64>)> = Vec::new();
    let mut verdict = Verdict::Running;
    for minutes in [12, 17, 31] {
        let now = Timestamp(t0.0 + minutes * MINUTE);
        let gate = rollout(&ws, &policy, &sink, "dana", now);
        gate.measure(Some(&prom)).await.unwrap();
        let analysis = gate.analyze().await.unwrap();
        let metric = &analysis.metrics[0];
        // What should have been measured by now: every interval from the start, until the
        // verdict is in.
        while expected.len() < rules.count && verdict == Verdict::Running {
            let at = Timestamp(t0.0 + expected.len() as i64 * INTERVAL * MINUTE);
            if at > now {
                break;
            }
            expected.push((at, expected_ratio(t0, at)));
            let outcomes: Vec<Outcome> = expected
                .iter()
                .map(|(_, v)| expected_outcome(*v, rules.success, rules.failure))
                .collect();
            verdict = expected_verdict(
                &outcomes,
                rules.count,
                rules.failure_limit,
                rules.inconclusive_limit,
            );
        }
        assert_eq!(
            metric.measurements.len(),
            expected.len(),
            "at +{minutes} min"
        );
        for (got, (at, value)) in metric.measurements.iter().zip(&expected) {
            assert_eq!(got.at, *at);
            match (got.value, value) {
                (Some(g), Some(e)) => {
                    assert!((g - e).abs() <= 1e-9 * e.abs(), "{g} vs {e} at {at:?}")
                }
                (g, e) => assert_eq!(g, *e, "at {at:?}"),
            }
            assert_eq!(
                got.outcome,
                expected_outcome(*value, rules.success, rules.failure)
            );
        }
        assert_eq!(metric.verdict, verdict, "at +{minutes} min");
        assert_eq!(analysis.verdict, verdict);
    }
    // The history degrades through every kind of measurement before it fails.
    let outcomes: Vec<Outcome> = expected
        .iter()
        .map(|(_, v)| expected_outcome(*v, rules.success, rules.failure))
        .collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Error,
            Outcome::Successful,
            Outcome::Successful,
            Outcome::Inconclusive,
            Outcome::Failed,
            Outcome::Failed
        ]
    );
    assert_eq!(verdict, Verdict::Failed);

    // Without automatic rollback the failed analysis proposes v2 → v1 and waits.
    let now = Timestamp(t0.0 + 31 * MINUTE);
    let report = rollout(&ws, &policy, &sink, "dana", now)
        .evaluate()
        .await
        .unwrap();
    let plan = report.plan.clone().unwrap();
    assert_eq!((plan.from.as_str(), plan.to.as_str()), ("2", "1"));
    assert!(
        matches!(report.action, RollbackAction::Proposed { .. }),
        "{:?}",
        report.action
    );
    assert_eq!(production(&ws).await, VersionId::from("2"));
    assert_eq!(cd.calls().len(), 1, "a proposal calls no hook");

    // Where the policy allows it, the rule rolls back by itself.
    policy.rollout.as_mut().unwrap().auto_rollback = true;
    let report = rollout(&ws, &policy, &sink, "dana", now)
        .evaluate()
        .await
        .unwrap();
    let RollbackAction::Executed { request } = &report.action else {
        panic!("expected a rollback, got {:?}", report.action);
    };
    assert_eq!(request.state, RequestState::Done);
    assert_eq!(production(&ws).await, VersionId::from("1"));

    // The CD system heard of it, signed; the broken receiver's failure is on record and the
    // move stands.
    let calls = cd.calls();
    assert_eq!(calls.len(), 2);
    let call = &calls[1];
    let given = call.signature.as_deref().unwrap();
    assert_eq!(
        given,
        format!("sha256={}", hmac_sha256(shared.as_bytes(), &call.body))
    );
    assert_eq!(
        json(&call.body),
        serde_json::json!({"event": "rollback", "model": "churn", "version": "1",
            "previous": "2", "pointer": "production", "request": request.id.0,
            "actor": RULE_ACTOR, "at": now.0})
    );
    assert_eq!(broken.calls().len(), 3, "a 500 is tried three times");
    assert!(
        broken.calls()[0].signature.is_none(),
        "a hook without a secret is not signed"
    );
    let delivered: Vec<(bool, &str)> = report
        .hooks
        .iter()
        .map(|h| (h.delivered, h.url.as_str()))
        .collect();
    assert_eq!(
        delivered,
        [(true, cd.url.as_str()), (false, broken.url.as_str())]
    );
    assert!(
        report.hooks[1]
            .response
            .contains("(500): deploy controller down after 3 tries"),
        "{}",
        report.hooks[1].response
    );

    // Everything is in the audit log, whose chain holds.
    let log = ws.audit_log().await.unwrap();
    assert!(audit::verify(&log).first_bad.is_none());
    let of_rollback: Vec<(AuditAction, &str)> = log
        .iter()
        .filter(|e| e.request == Some(request.id))
        .map(|e| (e.action, e.actor.as_str()))
        .collect();
    assert_eq!(
        of_rollback,
        [
            (AuditAction::RollbackRequested, RULE_ACTOR),
            (AuditAction::Executed, RULE_ACTOR),
            (AuditAction::HookCalled, RULE_ACTOR),
            (AuditAction::HookFailed, RULE_ACTOR),
        ]
    );
    let asked = log
        .iter()
        .find(|e| e.action == AuditAction::RollbackRequested)
        .unwrap();
    let reason = asked.reason.as_deref().unwrap();
    assert!(reason.starts_with("rollout analysis failed: error rate of v2 met the failure condition `value > 2.2` in 2 of 6 checks"), "{reason}");
    assert!(
        reason.contains("[measured none, 1, 1.5, 2, 2.5, 3]"),
        "{reason}"
    );
    let called = log
        .iter()
        .find(|e| e.action == AuditAction::HookCalled && e.request == Some(request.id))
        .unwrap();
    assert!(called
        .response
        .as_deref()
        .unwrap()
        .contains("answered 202 after 1 try"));
    assert!(log.iter().any(|e| e.action == AuditAction::HookCalled
        && e.reason.as_deref() == Some("promotion")
        && e.actor == UserName::from("marco")));

    // The hook's secret is in the keyring only: in no file of the workspace.
    ws.close().await;
    for file in std::fs::read_dir(dir.path()).unwrap() {
        let path = file.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(shared.len()).any(|w| w == shared.as_bytes()),
                "the secret is in {}",
                path.display()
            );
        }
    }
    secret::delete(&entry).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inconclusive_analysis_waits_for_a_person_who_needs_a_role_and_a_reason() {
    let t0 = canary_start();
    let (_server, prom) = start(t0);
    let (cd, broken) = (Listener::start(200), Listener::start(500));
    let entry = format!("test/rollout-abort-{}", std::process::id());
    hooks::store_secret(&entry, Secret::new("abort-secret")).unwrap();
    // 1.5 is neither a success (≤ 1.2) nor a failure (> 5), and one such is too many.
    let rules = Rules {
        success: 1.2,
        failure: 5.0,
        count: 6,
        failure_limit: 0,
        inconclusive_limit: 0,
        auto_rollback: true,
    };
    let dir = tempfile::tempdir().unwrap();
    let text = policy_text(prom.url(), &rules, &cd, &broken, &entry);
    let (ws, policy) = workspace(dir.path(), text, t0).await;
    let sink = webhooks();
    promote_canary(&ws, &policy, &sink, t0).await;

    let now = Timestamp(t0.0 + 12 * MINUTE);
    let gate = rollout(&ws, &policy, &sink, "dana", now);
    assert_eq!(gate.measure(Some(&prom)).await.unwrap(), 3);
    let report = gate.evaluate().await.unwrap();
    let outcomes: Vec<Outcome> = (0..3)
        .map(|k| {
            let at = Timestamp(t0.0 + k * INTERVAL * MINUTE);
            expected_outcome(expected_ratio(t0, at), rules.success, rules.failure)
        })
        .collect();
    assert_eq!(
        outcomes,
        [Outcome::Error, Outcome::Successful, Outcome::Inconclusive]
    );
    let got: Vec<Outcome> = report.analysis.metrics[0]
        .measurements
        .iter()
        .map(|m| m.outcome)
        .collect();
    assert_eq!(got, outcomes);
    assert_eq!(report.analysis.verdict, Verdict::Inconclusive);
    // Even with automatic rollback allowed, an inconclusive analysis moves nothing.
    assert_eq!(report.action, RollbackAction::None);
    assert_eq!(production(&ws).await, VersionId::from("2"));
    // Measuring again later takes nothing more: the verdict is in.
    let later = rollout(&ws, &policy, &sink, "dana", Timestamp(now.0 + 30 * MINUTE));
    assert_eq!(later.measure(Some(&prom)).await.unwrap(), 0);

    // Overriding needs an admin; aborting needs a role that may roll back, and a reason.
    let denied = rollout(&ws, &policy, &sink, "dana", now)
        .override_analysis("ship it")
        .await
        .unwrap_err();
    assert_eq!(denied.code(), ErrorCode::PermissionDenied);
    let denied = rollout(&ws, &policy, &sink, "sam", now)
        .abort("stop it")
        .await
        .unwrap_err();
    assert_eq!(denied.code(), ErrorCode::PermissionDenied);
    let empty = rollout(&ws, &policy, &sink, "dana", now)
        .abort("  ")
        .await
        .unwrap_err();
    assert_eq!(empty.code(), ErrorCode::Invalid);
    assert_eq!(production(&ws).await, VersionId::from("2"));

    let aborted = rollout(&ws, &policy, &sink, "dana", now)
        .abort("checkout latency complaints")
        .await
        .unwrap();
    assert_eq!(aborted.version, VersionId::from("1"));
    assert_eq!(production(&ws).await, VersionId::from("1"));
    // The abort's hooks: the CD receiver hears `abort`; the broken one, subscribed to
    // `rollback` only, is not called.
    let calls = cd.calls();
    assert_eq!(calls.len(), 2);
    let body = json(&calls[1].body);
    assert_eq!(
        (body["event"].as_str(), body["actor"].as_str()),
        (Some("abort"), Some("dana"))
    );
    assert_eq!(
        calls[1].signature.as_deref(),
        Some(format!("sha256={}", hmac_sha256(b"abort-secret", &calls[1].body)).as_str())
    );
    assert!(broken.calls().is_empty());

    let log = ws.audit_log().await.unwrap();
    assert!(audit::verify(&log).first_bad.is_none());
    let denials = log
        .iter()
        .filter(|e| e.action == AuditAction::Denied)
        .count();
    assert_eq!(denials, 2, "both refusals are on record");
    secret::delete(&entry).unwrap();
}

/// The rollout gate of a loop.
fn rollout_gate(status: &LoopStatus) -> &GateStatus {
    status
        .gates
        .iter()
        .find(|g| g.id.as_str() == "rollout")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_views_take_due_measurements_and_a_stopped_prometheus_leaves_the_gate_unknown() {
    let t0 = canary_start();
    let (mut server, _) = start(t0);
    let (cd, broken) = (Listener::start(202), Listener::start(500));
    let entry = format!("test/rollout-live-{}", std::process::id());
    hooks::store_secret(&entry, Secret::new("live-secret")).unwrap();
    let rules = Rules {
        success: 1.6,
        failure: 2.2,
        count: 6,
        failure_limit: 1,
        inconclusive_limit: 1,
        auto_rollback: false,
    };
    let text = policy_text(&server.url, &rules, &cd, &broken, &entry);
    let sink = webhooks();
    let measured = |status: &LoopStatus| rollout_gate(status).evidence[0].note.clone().unwrap();

    // One canary is followed to its verdict by `gatehouse status` (the loop the panel's Loop
    // also computes) and the Rollout view alone: nobody runs `gatehouse rollout analyze`.
    let dir = tempfile::tempdir().unwrap();
    let (ws, policy) = workspace(dir.path(), text.clone(), t0).await;
    promote_canary(&ws, &policy, &sink, t0).await;
    let status = live::loop_status(&policy, &ws, None, Timestamp(t0.0 + 12 * MINUTE))
        .await
        .unwrap();
    // Due at +0, +5 and +10: none (the canary has one sample), 1, 1.5.
    assert_eq!(measured(&status), "measured no value error, 1 ok, 1.5 ok");
    assert_eq!(rollout_gate(&status).state, GateState::Pending);
    let metrics = LiveMetrics::for_policy(&policy);
    let now = Timestamp(t0.0 + 31 * MINUTE);
    let view = rollout_view(
        &policy,
        &ws,
        &ws,
        metrics.backend(),
        &UserName::from("dana"),
        now,
    )
    .await
    .unwrap();
    let values: Vec<Option<f64>> = view.live.analysis.metrics[0]
        .measurements
        .iter()
        .map(|m| m.value)
        .collect();
    let expected: Vec<Option<f64>> = (0..6)
        .map(|k| expected_ratio(t0, Timestamp(t0.0 + k * INTERVAL * MINUTE)))
        .collect();
    assert_eq!(values.len(), expected.len());
    for (got, want) in values.iter().zip(&expected) {
        match (got, want) {
            (Some(g), Some(e)) => assert!((g - e).abs() <= 1e-9 * e.abs(), "{g} vs {e}"),
            (g, e) => assert_eq!(g, e),
        }
    }
    assert_eq!(view.live.analysis.verdict, Verdict::Failed);
    assert_eq!(view.gate.state, GateState::Blocked);
    assert_eq!(view.live.unmeasured, None);
    let plan = view.proposal.unwrap();
    assert_eq!((plan.from.as_str(), plan.to.as_str()), ("2", "1"));
    let status = live::loop_status(&policy, &ws, None, now).await.unwrap();
    assert_eq!(rollout_gate(&status).state, GateState::Blocked);
    assert_eq!(rollout_gate(&status).summary, view.gate.summary);
    ws.close().await;

    // Another canary's measurements fall due after Prometheus stops: its gate turns unknown and
    // says why, the rest of the loop and the Rollout view stay readable, and what was measured
    // before stays on record.
    let dir = tempfile::tempdir().unwrap();
    let (ws, policy) = workspace(dir.path(), text, t0).await;
    promote_canary(&ws, &policy, &sink, t0).await;
    let status = live::loop_status(&policy, &ws, None, Timestamp(t0.0 + 12 * MINUTE))
        .await
        .unwrap();
    assert_eq!(rollout_gate(&status).state, GateState::Pending);
    server.kill();
    let later = Timestamp(t0.0 + 17 * MINUTE);
    let status = live::loop_status(&policy, &ws, None, later).await.unwrap();
    let gate = rollout_gate(&status);
    assert_eq!(gate.state, GateState::Unknown);
    assert!(
        gate.summary
            .starts_with("the rollout's measurements cannot be taken, so its analysis is stale: ")
            && gate.summary.contains(&server.url),
        "{}",
        gate.summary
    );
    assert_eq!(measured(&status), "measured no value error, 1 ok, 1.5 ok");
    let validation = status
        .gates
        .iter()
        .find(|g| g.id.as_str() == "model-validation")
        .unwrap();
    assert_eq!(validation.state, GateState::Passed);
    let metrics = LiveMetrics::for_policy(&policy);
    let view = rollout_view(
        &policy,
        &ws,
        &ws,
        metrics.backend(),
        &UserName::from("dana"),
        later,
    )
    .await
    .unwrap();
    assert!(view.live.unmeasured.unwrap().contains(&server.url));
    assert_eq!(view.gate.state, GateState::Unknown);
    assert_eq!(view.live.analysis.metrics[0].measurements.len(), 3);
    secret::delete(&entry).unwrap();
}

#[test]
fn the_readme_rollout_example_is_a_valid_policy() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = &readme[readme
        .find("### Rollout analysis and deploy hooks")
        .unwrap()..];
    let start = section.find("```toml\n").unwrap() + "```toml\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let text = format!("[workspace]\nname = \"readme\"\nmodel = \"churn\"\n\n{example}");
    let policy = Policy::parse(&text, "gatehouse.toml").unwrap();
    let rollout = policy.rollout.unwrap();
    assert_eq!(rollout.metrics[0].count, 5);
    assert_eq!(policy.hooks[0].secret.as_deref(), Some("gatehouse/cd-hook"));
}
