//! Monitoring against the real servers: Debian's `prometheus` with three hours of history loaded
//! by `promtool tsdb create-blocks-from openmetrics`, and `prometheus-alertmanager` with alerts
//! posted to its API. Both are started by `gatehouse_tests::servers` and killed when the test
//! ends, passed or failed.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use gatehouse_connectors::alertmanager::Alertmanager;
use gatehouse_connectors::prometheus::{Prometheus, SignalQueries};
use gatehouse_connectors::ClientOptions;
use gatehouse_core::alert::{AlertDesk, AlertSource, AlertState, Ownership, Severity};
use gatehouse_core::audit::AuditAction;
use gatehouse_core::policy::UserName;
use gatehouse_core::ports::PromotionStore;
use gatehouse_core::time::{Clock, SystemClock, Timestamp};
use gatehouse_core::ErrorCode;
use gatehouse_store::Workspace;
use gatehouse_tests::servers::{
    free_port, post_alerts, require_binary, start_alertmanager, start_prometheus, BasicAuth,
    LATENCY_EDGES, MINUTES, TENURE_AFTER, TENURE_BEFORE, TENURE_EDGES, TRAFFIC,
};
use serde_json::{json, Value};

/// Prometheus's `histogram_quantile` over per-bin rates: the rank's bin, linearly interpolated
/// (from 0 for the first bin; the last finite bound when the rank falls into `+Inf`).
fn expected_quantile(q: f64, edges: &[f64], per_bin: &[f64]) -> f64 {
    let cumulative: Vec<f64> = per_bin
        .iter()
        .scan(0.0, |sum, n| {
            *sum += n;
            Some(*sum)
        })
        .collect();
    let rank = q * cumulative[cumulative.len() - 1];
    let b = cumulative.iter().position(|&c| c >= rank).unwrap();
    if b == edges.len() - 1 {
        return edges[edges.len() - 2];
    }
    let (lower, below) = if b == 0 {
        (0.0, 0.0)
    } else {
        (edges[b - 1], cumulative[b - 1])
    };
    lower + (edges[b] - lower) * (rank - below) / (cumulative[b] - below)
}

fn close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{what}: got {actual}, expected {expected}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_signals_match_the_loaded_history() {
    let (server, start_s) = start_prometheus(BasicAuth::Off);
    let prom = Prometheus::new(&server.url, ClientOptions::default()).unwrap();
    let end = Timestamp((start_s + MINUTES * 60) * 1000);
    let q = SignalQueries::default();
    let window = Duration::from_secs(300);

    let latency = prom
        .latency_quantiles(&q, "churn", window, end)
        .await
        .unwrap();
    assert_eq!(latency.keys().collect::<Vec<_>>(), ["4", "5"]);
    let errors = prom.error_rate(&q, "churn", window, end).await.unwrap();
    let requests = prom.request_rate(&q, "churn", window, end).await.unwrap();
    for v in &TRAFFIC {
        // Every minute brings the same counts, so a rate over whole minutes is the per-minute
        // count over 60 s.
        let per_bin: Vec<f64> = v
            .latency_per_minute
            .iter()
            .map(|n| *n as f64 / 60.0)
            .collect();
        let got = latency[v.version];
        close(
            got.p50,
            expected_quantile(0.5, &LATENCY_EDGES, &per_bin),
            "p50",
        );
        close(
            got.p95,
            expected_quantile(0.95, &LATENCY_EDGES, &per_bin),
            "p95",
        );
        close(
            got.p99,
            expected_quantile(0.99, &LATENCY_EDGES, &per_bin),
            "p99",
        );
        let total = (v.ok_per_minute + v.errors_per_minute) as f64;
        close(
            errors[v.version],
            v.errors_per_minute as f64 / total,
            "error rate",
        );
        close(requests[v.version], total / 60.0, "request rate");
    }
    // The canary (5) is slower and fails more, as the history says.
    assert!(latency["5"].p95 > latency["4"].p95);

    // Per-feature bins per window: an hour before the shift and the last hour after it.
    let hour = Duration::from_secs(3600);
    let before_at = Timestamp((start_s + 80 * 60) * 1000);
    let reference = prom
        .feature_bins("tenure_months", &[("model", "churn")], hour, before_at)
        .await
        .unwrap();
    let current = prom
        .feature_bins("tenure_months", &[("model", "churn")], hour, end)
        .await
        .unwrap();
    assert_eq!(reference.edges, TENURE_EDGES);
    for (bins, per_minute) in [(&reference, TENURE_BEFORE), (&current, TENURE_AFTER)] {
        for (got, n) in bins.counts.iter().zip(per_minute) {
            close(*got, n as f64 * 60.0, "bin count");
        }
    }

    // The raw API: range queries, series and labels with match[].
    let range = prom
        .query_range(
            r#"sum(rate(http_requests_total{model="churn"}[5m]))"#,
            Timestamp(end.0 - 600_000),
            end,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert_eq!(range[0].points.len(), 11);
    let series = prom
        .series(
            &[r#"http_requests_total{version="5"}"#],
            Timestamp(start_s * 1000),
            end,
        )
        .await
        .unwrap();
    let codes: Vec<&str> = series.iter().map(|s| s["code"].as_str()).collect();
    assert_eq!(codes.len(), 2);
    assert!(codes.contains(&"200") && codes.contains(&"500"));
    let labels = prom
        .labels(&["tenure_months_bucket"], Timestamp(start_s * 1000), end)
        .await
        .unwrap();
    assert_eq!(labels, ["__name__", "le", "model"]);
    let versions = prom
        .label_values(
            "version",
            &["http_requests_total"],
            Timestamp(start_s * 1000),
            end,
        )
        .await
        .unwrap();
    assert_eq!(versions, ["4", "5"]);
    // NaN and infinities arrive as Prometheus writes them.
    let nan = prom.query("0/0", end).await.unwrap();
    assert!(nan[0].points[0].value.is_nan());
    let inf = prom.query("-1/0", end).await.unwrap();
    assert_eq!(inf[0].points[0].value, f64::NEG_INFINITY);
    // A bad query is the server's refusal, with its message.
    let err = prom.query("sum(", end).await.unwrap_err().to_string();
    assert!(
        err.contains("prometheus rejected") && err.contains("parse error"),
        "{err}"
    );
    drop(server);
}

// ---------------------------------------------------------------------------------------------
// Alertmanager

async fn am_get(url: &str, path: &str) -> Value {
    reqwest::get(format!("{url}{path}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monitor_view_reads_every_version_from_prometheus_and_fails_loudly_when_it_stops() {
    use gatehouse_core::signals::{SignalSource, SystemSignal};
    let (mut server, start_s) = start_prometheus(BasicAuth::Off);
    let dir = tempfile::tempdir().unwrap();
    let now = SystemClock.now();
    let ws = Workspace::create_demo(dir.path(), &gatehouse_core::demo::generate(7, now))
        .await
        .unwrap();
    let mut policy = ws.policy().unwrap();
    policy.backends.metrics = gatehouse_core::policy::Backend {
        kind: gatehouse_core::policy::BackendKind::Prometheus,
        url: Some(server.url.clone()),
        credential: None,
        ..policy.backends.metrics.clone()
    };
    let end = Timestamp((start_s + MINUTES * 60) * 1000);
    let range = end.0 - start_s * 1000;
    let view = gatehouse_connectors::monitor::monitor_view(&policy, &ws, end, range)
        .await
        .unwrap();
    assert_eq!(view.source, SignalSource::Prometheus);
    assert_eq!(view.versions, ["4", "5"]);
    let latest = |signal, version: &str| {
        view.of(signal)
            .into_iter()
            .find(|s| s.version == version)
            .and_then(|s| s.latest())
            .unwrap()
    };
    for v in &TRAFFIC {
        let total = (v.ok_per_minute + v.errors_per_minute) as f64;
        close(
            latest(SystemSignal::ErrorRate, v.version),
            v.errors_per_minute as f64 / total,
            "error rate",
        );
        close(
            latest(SystemSignal::RequestRate, v.version),
            total / 60.0,
            "request rate",
        );
        let per_bin: Vec<f64> = v
            .latency_per_minute
            .iter()
            .map(|n| *n as f64 / 60.0)
            .collect();
        close(
            latest(SystemSignal::LatencyP99, v.version),
            expected_quantile(0.99, &LATENCY_EDGES, &per_bin),
            "p99",
        );
    }
    // Saturation, from the default queries of `[monitor]`.
    for v in &TRAFFIC {
        close(latest(SystemSignal::Cpu, v.version), v.cpu_cores, "cpu");
        close(
            latest(SystemSignal::Memory, v.version),
            (v.memory_mib * 1_048_576) as f64,
            "memory",
        );
        close(
            latest(SystemSignal::Queue, v.version),
            v.queue as f64,
            "queue",
        );
    }
    assert!(view.missing.is_empty(), "{:?}", view.missing);
    // The lines span the loaded history, one point per step.
    let p95 = view.of(SystemSignal::LatencyP95);
    assert!(
        p95.iter().all(|s| s.points.len() > 100),
        "{}",
        p95[0].points.len()
    );

    // Prometheus stops: the read fails as unreachable (the panel keeps the last view, stale).
    server.kill();
    let err = gatehouse_connectors::monitor::monitor_view(&policy, &ws, end, range)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unreachable, "{err}");
    ws.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_have_owners_and_acknowledging_silences_them_with_who_and_why() {
    let server = start_alertmanager(BasicAuth::Off);
    let url = server.url.clone();
    let until = gatehouse_tests::servers::rfc3339_in_hours(1);
    post_alerts(
        &url,
        &json!([
            {"labels": {"alertname": "HighLatency", "severity": "critical", "team": "serving-sre", "model": "churn"},
             "annotations": {"summary": "p95 latency of churn 5 over 250 ms", "runbook_url": "https://runbooks.acme.example/latency"},
             "endsAt": until},
            {"labels": {"alertname": "FeatureDrift", "severity": "warning", "model": "churn"},
             "annotations": {"summary": "tenure_months drifts", "runbook_url": "https://runbooks.acme.example/drift"},
             "endsAt": until},
            {"labels": {"alertname": "DiskAlmostFull", "severity": "info", "team": "storage"},
             "annotations": {"summary": "nobody's disk"},
             "endsAt": until}
        ])
        .to_string(),
    );

    let dir = tempfile::tempdir().unwrap();
    let now = SystemClock.now();
    let ws = Workspace::create_demo(dir.path(), &gatehouse_core::demo::generate(7, now))
        .await
        .unwrap();
    let policy = ws.policy().unwrap();
    let am = Alertmanager::new(&url, ClientOptions::default()).unwrap();
    let desk = |user: &str| AlertDesk {
        policy: &policy,
        actor: UserName::from(user),
        now: SystemClock.now(),
        source: &am,
        audit: &ws,
    };

    // Every alert, with its owner from a label, from its group's receiver, or flagged unowned.
    let alerts = desk("sam").alerts().await.unwrap();
    let by_name: BTreeMap<&str, _> = alerts.iter().map(|a| (a.name.as_str(), a)).collect();
    assert_eq!(by_name.len(), 3);
    let latency = by_name["HighLatency"];
    assert_eq!(latency.owner.as_ref().unwrap().id.as_str(), "serving-sre");
    assert_eq!(latency.ownership, Ownership::Label);
    assert_eq!(latency.severity, Severity::Critical);
    assert_eq!(
        latency.runbook.as_deref(),
        Some("https://runbooks.acme.example/latency")
    );
    assert_eq!(latency.state, AlertState::Firing);
    let drift = by_name["FeatureDrift"];
    assert_eq!(drift.owner.as_ref().unwrap().id.as_str(), "ml-oncall");
    assert_eq!(drift.ownership, Ownership::Receiver);
    let disk = by_name["DiskAlmostFull"];
    assert_eq!(
        (disk.owner.is_none(), disk.ownership),
        (true, Ownership::Unowned)
    );

    // The listing matches Alertmanager's own API: same fingerprints, labels and start times.
    let raw = am_get(&url, "/api/v2/alerts").await;
    let raw = raw.as_array().unwrap();
    assert_eq!(raw.len(), alerts.len());
    for r in raw {
        let fingerprint = r["fingerprint"].as_str().unwrap();
        let ours = alerts
            .iter()
            .find(|a| a.id.as_str() == fingerprint)
            .unwrap();
        let labels: BTreeMap<String, String> = serde_json::from_value(r["labels"].clone()).unwrap();
        assert_eq!(ours.labels, labels);
        assert_eq!(
            Some(ours.since),
            gatehouse_connectors::alertmanager::rfc3339::parse(r["startsAt"].as_str().unwrap())
        );
    }
    let mine = desk("marco")
        .alerts_of(&"serving-sre".into())
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);

    // A viewer may not acknowledge; the refusal is audited and nothing is silenced.
    let denied = desk("sam")
        .acknowledge("HighLatency", 2 * Timestamp::HOUR_MS, "mine")
        .await
        .unwrap_err();
    assert_eq!(denied.code(), ErrorCode::PermissionDenied);
    assert!(am_get(&url, "/api/v2/silences")
        .await
        .as_array()
        .unwrap()
        .is_empty());

    // An operator acknowledges for two hours with a reason: a silence created by them.
    let acked = desk("dana")
        .acknowledge(
            "HighLatency",
            2 * Timestamp::HOUR_MS,
            "rolling back churn 5",
        )
        .await
        .unwrap();
    assert_eq!(acked.state, AlertState::Acknowledged);
    let silences = am_get(&url, "/api/v2/silences").await;
    let silence = &silences.as_array().unwrap()[0];
    assert_eq!(silence["createdBy"], "dana");
    assert_eq!(silence["comment"], "rolling back churn 5");
    assert_eq!(silence["status"]["state"], "active");
    let matchers: BTreeMap<String, String> = silence["matchers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_eq!(
                (m["isRegex"].as_bool(), m["isEqual"].as_bool()),
                (Some(false), Some(true))
            );
            (
                m["name"].as_str().unwrap().to_owned(),
                m["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(matchers, latency.labels);
    let ends =
        gatehouse_connectors::alertmanager::rfc3339::parse(silence["endsAt"].as_str().unwrap())
            .unwrap();
    let left = ends.0 - SystemClock.now().0;
    assert!(
        (2 * Timestamp::HOUR_MS - 60_000..=2 * Timestamp::HOUR_MS).contains(&left),
        "{left} ms left"
    );

    // Alertmanager now reports it silenced, and Gatehouse shows who, why and the time left.
    let raw = am_get(&url, "/api/v2/alerts?filter=alertname%3D%22HighLatency%22").await;
    assert_eq!(raw[0]["status"]["state"], "suppressed");
    let alerts = desk("sam").alerts().await.unwrap();
    let latency_now = alerts
        .iter()
        .find(|a| a.name.as_str() == "HighLatency")
        .unwrap();
    assert_eq!(latency_now.state, AlertState::Acknowledged);
    let ack = latency_now.acknowledgement.as_ref().unwrap();
    assert_eq!(
        (ack.by.as_str(), ack.reason.as_str()),
        ("dana", "rolling back churn 5")
    );
    assert!(ack.remaining_ms > Timestamp::HOUR_MS);
    // The others still fire.
    assert_eq!(
        alerts
            .iter()
            .filter(|a| a.state == AlertState::Firing)
            .count(),
        2
    );
    // Acknowledging twice is refused with who holds it.
    let twice = desk("marco")
        .acknowledge("HighLatency", Timestamp::HOUR_MS, "me too")
        .await
        .unwrap_err();
    assert!(
        twice.to_string().contains("already acknowledged by dana"),
        "{twice}"
    );

    // Un-acknowledging expires the silence; the alert fires again.
    let unacked = desk("marco")
        .unacknowledge("HighLatency", Some("rollback did not help"))
        .await
        .unwrap();
    assert_eq!(unacked.state, AlertState::Firing);
    let silences = am_get(&url, "/api/v2/silences").await;
    assert_eq!(silences[0]["status"]["state"], "expired");
    let alerts = desk("sam").alerts().await.unwrap();
    assert!(alerts.iter().all(|a| a.state == AlertState::Firing));
    let nothing = desk("marco")
        .unacknowledge("HighLatency", None)
        .await
        .unwrap_err();
    assert_eq!(nothing.code(), ErrorCode::Invalid);

    // All of it is in the audit log, the refusal included, and the chain verifies.
    let log = ws.audit_log().await.unwrap();
    let ours: Vec<(&str, AuditAction, Option<&str>)> = log
        .iter()
        .filter(|e| e.target.starts_with("alert"))
        .map(|e| (e.actor.as_str(), e.action, e.reason.as_deref()))
        .collect();
    assert_eq!(ours.len(), 3, "{ours:?}");
    assert_eq!((ours[0].0, ours[0].1), ("sam", AuditAction::Denied));
    assert_eq!(
        ours[1],
        (
            "dana",
            AuditAction::Acknowledged,
            Some("rolling back churn 5")
        )
    );
    assert_eq!(
        ours[2],
        (
            "marco",
            AuditAction::Unacknowledged,
            Some("rollback did not help")
        )
    );
    let acked_event = log
        .iter()
        .find(|e| e.action == AuditAction::Acknowledged)
        .unwrap();
    assert!(acked_event.target.contains(latency.id.as_str()));
    assert!(acked_event
        .response
        .as_deref()
        .unwrap()
        .contains(silence["id"].as_str().unwrap()));
    assert!(gatehouse_core::audit::verify(&log).ok());
    ws.close().await;
    drop(server);
}

#[tokio::test]
async fn a_server_that_is_down_is_unreachable_quickly() {
    // A port nobody listens on: bound, then released.
    let url = format!("http://127.0.0.1:{}", free_port());
    let started = Instant::now();
    let am = Alertmanager::new(&url, ClientOptions::default()).unwrap();
    let err = gatehouse_core::Error::from(am.snapshot().await.unwrap_err());
    assert_eq!(err.code(), ErrorCode::Unreachable);
    assert!(
        err.to_string().contains("alertmanager is unreachable"),
        "{err}"
    );
    let err = AlertSource::list(&am).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unreachable);
    let prom = Prometheus::new(&url, ClientOptions::default()).unwrap();
    let err = gatehouse_core::Error::from(prom.query("1", Timestamp(0)).await.unwrap_err());
    assert_eq!(err.code(), ErrorCode::Unreachable);
    // Three tries each with short pauses, not a timeout's worth of waiting.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn alert_rules_pass_promtool() {
    require_binary("promtool");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/monitoring");
    let out = Command::new("promtool")
        .args(["test", "rules", "rules_test.yml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool test rules failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
