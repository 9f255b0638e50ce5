//! The Prometheus and Alertmanager clients on malformed answers: never a panic, and every error
//! names the back end, the endpoint and what was wrong, in one short line.
//!
//! The answers are real: captured from Debian's `prometheus` (over the loaded history) and
//! `prometheus-alertmanager` (with alerts and a silence posted), then mutated at random, with a
//! fixed seed so a failure reproduces, and served back to the clients by a fake. A real server
//! cannot be made to answer malformed JSON, so only the fake can; it is the one fake here, and it
//! serves nothing but those captured answers, mutated.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gatehouse_connectors::alertmanager::Alertmanager;
use gatehouse_connectors::prometheus::Prometheus;
use gatehouse_connectors::{ClientOptions, ConnectorError};
use gatehouse_core::time::Timestamp;
use gatehouse_core::{Error, ErrorCode};
use gatehouse_tests::servers::{
    http, post_alerts, require_binary, rfc3339_in_hours, start_alertmanager, start_prometheus,
    BasicAuth, MINUTES,
};
use serde_json::Value;

/// The fake back end: answers every request with the body it was last given, `200 OK` as JSON.
struct Replayer {
    url: String,
    body: Arc<Mutex<Vec<u8>>>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

impl Replayer {
    fn start() -> Replayer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let body = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (served, stopped) = (body.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let body = served.lock().unwrap().clone();
                answer(&mut conn, &body);
            }
        });
        Replayer {
            url: format!("http://{addr}"),
            body,
            stop,
            addr,
        }
    }

    fn serve(&self, body: &[u8]) {
        *self.body.lock().unwrap() = body.to_vec();
    }
}

impl Drop for Replayer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Reads a request's head (GETs carry no body) and writes the answer.
fn answer(conn: &mut TcpStream, body: &[u8]) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let status = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(status.as_bytes());
    let _ = conn.write_all(body);
}

/// A small deterministic generator (SplitMix64), so the rounds need no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A value of another shape, or a value of the right shape that means nothing.
fn junk(rng: &mut Rng) -> Value {
    match rng.below(16) {
        0 => Value::Null,
        1 => Value::Bool(true),
        2 => Value::from(-1.5e300),
        3 => Value::from(1e15),
        4 => Value::from(""),
        5 => Value::from("NaN"),
        6 => Value::from("+Inf"),
        7 => Value::from("9999-99-99T99:99:99Z"),
        8 => Value::from("2026-11-26T16:53:17.295+25:00"),
        9 => Value::Array(vec![]),
        10 => serde_json::json!({}),
        11 => serde_json::json!([1e308, "1"]),
        12 => Value::from("x".repeat(5000)),
        13 => Value::from("on fire"),
        14 => Value::from(u64::MAX),
        _ => Value::from("vector"),
    }
}

/// Replaces, removes or duplicates a random node of a JSON document.
fn mutate_value(v: &mut Value, rng: &mut Rng) {
    match v {
        Value::Array(items) if !items.is_empty() && rng.below(4) != 0 => {
            let i = rng.below(items.len());
            match rng.below(8) {
                0 => {
                    items.remove(i);
                }
                1 => {
                    let copy = items[i].clone();
                    items.push(copy);
                }
                _ => mutate_value(&mut items[i], rng),
            }
        }
        Value::Object(map) if !map.is_empty() && rng.below(4) != 0 => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = keys[rng.below(keys.len())].clone();
            match rng.below(6) {
                0 => {
                    map.remove(&key);
                }
                _ => {
                    if let Some(child) = map.get_mut(&key) {
                        mutate_value(child, rng);
                    }
                }
            }
        }
        _ => *v = junk(rng),
    }
}

/// One mutation of a captured answer: structural (reaches the conversions) or of its bytes
/// (reaches the JSON parser), sometimes cut short.
fn mutate(original: &str, rng: &mut Rng) -> Vec<u8> {
    if rng.below(3) != 0 {
        let mut v: Value = serde_json::from_str(original).unwrap();
        for _ in 0..1 + rng.below(3) {
            mutate_value(&mut v, rng);
        }
        return v.to_string().into_bytes();
    }
    let mut bytes = original.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        if bytes.is_empty() {
            break;
        }
        let i = rng.below(bytes.len());
        match rng.below(4) {
            0 => bytes[i] = b"\"{}[],:0aZ-.\\\xff"[rng.below(14)],
            1 => {
                bytes.remove(i);
            }
            2 => bytes.insert(i, b"\"{}[],:1e9"[rng.below(10)]),
            _ => bytes.truncate(i),
        }
    }
    bytes
}

/// What a call returned, reduced to whether it failed and how.
type Outcome = Result<(), ConnectorError>;

/// Checks an error the way a person meets it: the back end and endpoint named, what was wrong
/// said in one short line, and a core error that reads as a back end's fault (exit 5).
fn check_error(e: ConnectorError, backend: &str, endpoint: &str, body: &[u8]) -> String {
    let text = e.to_string();
    let body = String::from_utf8_lossy(body);
    match &e {
        ConnectorError::UnexpectedResponse {
            backend: b,
            endpoint: p,
            detail,
        } => {
            assert_eq!(*b, backend, "{text}");
            assert_eq!(p, endpoint, "{text}");
            assert!(!detail.trim().is_empty(), "an empty detail for {body}");
        }
        other => panic!("{other:?} for a 200 answer {body}"),
    }
    let prefix = format!("unexpected response from {backend} to {endpoint}: ");
    assert!(text.starts_with(&prefix), "{text}");
    assert!(
        text.chars().count() <= 300 && !text.contains('\n'),
        "not one short line ({} chars) for {body:.200}: {text:.400}",
        text.chars().count()
    );
    assert_eq!(Error::from(e).code(), ErrorCode::Unreachable);
    text
}

/// Serves `mutations` mutations of `original` to `call`, checking that none panics and that
/// every error is a clear one. Returns how many calls failed, to show the rounds reach both
/// sides.
async fn rounds<F, Fut>(
    fake: &Replayer,
    original: &str,
    seed: u64,
    mutations: usize,
    (backend, endpoint): (&str, &str),
    call: F,
) -> usize
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Outcome> + Send + 'static,
{
    let mut rng = Rng(seed);
    let mut failed = 0;
    for _ in 0..mutations {
        let body = mutate(original, &mut rng);
        fake.serve(&body);
        // A task of its own, so that a panic is caught and reported with the body that caused it.
        match tokio::spawn(call()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                failed += 1;
                check_error(e, backend, endpoint, &body);
            }
            Err(join) => panic!(
                "{endpoint} panicked ({join}) on {:.2000}",
                String::from_utf8_lossy(&body)
            ),
        }
    }
    failed
}

fn get(url: &str, path: &str) -> String {
    match http(url, "GET", path, None) {
        Some((200, body)) => body,
        other => panic!("GET {path}: {other:?}"),
    }
}

/// No retries: the fake never fails the way a retry would mend.
fn options() -> ClientOptions {
    ClientOptions {
        read_retries: 0,
        ..ClientOptions::default()
    }
}

/// How many mutations of each answer are served.
const MUTATIONS: usize = 400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_prometheus_answers_never_panic_and_errors_say_what_was_wrong() {
    require_binary("prometheus");
    let (server, start_s) = start_prometheus(BasicAuth::Off);
    let end_s = start_s + MINUTES * 60;
    let buildinfo = get(&server.url, "/api/v1/status/buildinfo");
    let vector = get(
        &server.url,
        &format!("/api/v1/query?query=sum%20by%20(le)(http_request_duration_seconds_bucket)&time={end_s}"),
    );
    let matrix = get(
        &server.url,
        &format!(
            "/api/v1/query_range?query=sum%20by%20(version)(rate(http_request_duration_seconds_count%5B5m%5D))&start={}&end={end_s}&step=1800",
            start_s + 600
        ),
    );
    let scalar = get(
        &server.url,
        &format!(
            "/api/v1/query?query=scalar(sum(http_request_duration_seconds_count))&time={end_s}"
        ),
    );
    // The captures are the shapes the decoders expect, with results in them.
    for (body, kind) in [
        (&vector, "vector"),
        (&matrix, "matrix"),
        (&scalar, "scalar"),
    ] {
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["data"]["resultType"], kind, "{body}");
    }
    assert!(
        serde_json::from_str::<Value>(&vector).unwrap()["data"]["result"]
            .as_array()
            .is_some_and(|r| r.len() >= 5)
    );

    let fake = Replayer::start();
    let prom = Prometheus::new(&fake.url, options()).unwrap();
    let at = Timestamp(end_s * 1000);
    let p = prom.clone();
    let check = move || {
        let p = p.clone();
        async move { p.check().await.map(|_| ()) }
    };
    let p = prom.clone();
    let query = move || {
        let p = p.clone();
        async move { p.query("up", at).await.map(|_| ()) }
    };
    let p = prom.clone();
    let query_range = move || {
        let p = p.clone();
        async move {
            p.query_range("up", Timestamp(start_s * 1000), at, Duration::from_secs(60))
                .await
                .map(|_| ())
        }
    };
    let p = prom.clone();
    let bins = move || {
        let p = p.clone();
        async move {
            p.feature_bins("tenure", &[], Duration::from_secs(3600), at)
                .await
                .map(|_| ())
        }
    };

    let started = Instant::now();
    let mut failed = 0;
    let endpoint = ("prometheus", "api/v1/status/buildinfo");
    failed += rounds(&fake, &buildinfo, 1, MUTATIONS, endpoint, &check).await;
    let endpoint = ("prometheus", "api/v1/query");
    failed += rounds(&fake, &vector, 2, MUTATIONS, endpoint, &query).await;
    failed += rounds(&fake, &scalar, 3, MUTATIONS, endpoint, &query).await;
    failed += rounds(&fake, &vector, 4, MUTATIONS, endpoint, &bins).await;
    let endpoint = ("prometheus", "api/v1/query_range");
    failed += rounds(&fake, &matrix, 5, MUTATIONS, endpoint, &query_range).await;
    let total = 5 * MUTATIONS;
    assert!(
        failed > total / 4 && failed < total,
        "{failed} of {total} mutated answers failed: the rounds should reach both sides"
    );
    eprintln!(
        "{total} mutated prometheus answers in {:?}",
        started.elapsed()
    );

    // Errors that say what was wrong, as a person would want to read them.
    let cases: [(&str, &str); 9] = [
        (
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1764175997.295,"fast"]}]}}"#,
            "`fast` is not a number",
        ),
        (
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1e300,"1"]}]}}"#,
            "a sample time of 1e300",
        ),
        (
            r#"{"status":"error","errorType":"bad_data","error":"parse error at char 3"}"#,
            "bad_data: parse error at char 3",
        ),
        (r#"{"status":"success"}"#, "a success without data"),
        (r#"{"status":"maybe"}"#, "unknown status `maybe`"),
        (
            r#"{"status":"success","data":{"resultType":"histogram","result":[]}}"#,
            "unknown variant `histogram`",
        ),
        ("", "an empty body"),
        (
            "<html><body>Sign in to continue</body></html>",
            "an html page, not json",
        ),
        (&vector[..vector.len() / 2], "the body ends early"),
    ];
    for (body, needle) in cases {
        fake.serve(body.as_bytes());
        let e = prom.query("up", at).await.unwrap_err();
        let text = check_error(e, "prometheus", "api/v1/query", body.as_bytes());
        assert!(text.contains(needle), "{text} lacks {needle}");
    }
    fake.serve(br#"{"status":"success","data":{"version":" "}}"#);
    let e = prom.check().await.unwrap_err();
    let text = check_error(e, "prometheus", "api/v1/status/buildinfo", b"");
    assert!(
        text.contains("build information without a version"),
        "{text}"
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_alertmanager_answers_never_panic_and_errors_say_what_was_wrong() {
    require_binary("prometheus-alertmanager");
    let server = start_alertmanager(BasicAuth::Off);
    let ends = rfc3339_in_hours(2);
    post_alerts(
        &server.url,
        &format!(
            r#"[{{"labels":{{"alertname":"HighLatency","model":"churn","severity":"critical","team":"serving-sre"}},"annotations":{{"summary":"p95 high","runbook_url":"https://runbooks/x"}},"endsAt":"{ends}"}},
               {{"labels":{{"alertname":"FeatureDrift","model":"churn","feature":"tenure","severity":"warning"}},"endsAt":"{ends}"}},
               {{"labels":{{"alertname":"Orphan","severity":"info"}},"endsAt":"{ends}"}}]"#
        ),
    );
    let silence = format!(
        r#"{{"matchers":[{{"name":"alertname","value":"HighLatency","isRegex":false,"isEqual":true}}],"startsAt":"{}","endsAt":"{ends}","createdBy":"dana","comment":"looking"}}"#,
        rfc3339_in_hours(0)
    );
    let created = http(&server.url, "POST", "/api/v2/silences", Some(&silence));
    assert!(matches!(created, Some((200, _))), "{created:?}");
    // Groups fill once the dispatcher has taken the alerts in.
    let deadline = Instant::now() + Duration::from_secs(10);
    let groups = loop {
        let body = get(&server.url, "/api/v2/alerts/groups");
        let v: Value = serde_json::from_str(&body).unwrap();
        let alerts: usize = v
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["alerts"].as_array().map_or(0, Vec::len))
            .sum();
        if alerts == 3 {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "groups never held the alerts: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let status = get(&server.url, "/api/v2/status");
    let alerts = get(&server.url, "/api/v2/alerts");
    let silences = get(&server.url, "/api/v2/silences");
    assert!(alerts.contains("suppressed") && silences.contains("dana"));

    let fake = Replayer::start();
    let am = Alertmanager::new(&fake.url, options()).unwrap();
    let a = am.clone();
    let check = move || {
        let a = a.clone();
        async move { a.check().await.map(|_| ()) }
    };
    let a = am.clone();
    let list = move || {
        let a = a.clone();
        async move { a.alerts().await.map(|_| ()) }
    };
    let a = am.clone();
    let grouped = move || {
        let a = a.clone();
        async move { a.groups().await.map(|_| ()) }
    };
    let a = am.clone();
    let silenced = move || {
        let a = a.clone();
        async move { a.silences().await.map(|_| ()) }
    };

    let started = Instant::now();
    let mut failed = 0;
    let endpoint = ("alertmanager", "api/v2/status");
    failed += rounds(&fake, &status, 11, MUTATIONS, endpoint, &check).await;
    let endpoint = ("alertmanager", "api/v2/alerts");
    failed += rounds(&fake, &alerts, 12, MUTATIONS, endpoint, &list).await;
    let endpoint = ("alertmanager", "api/v2/alerts/groups");
    failed += rounds(&fake, &groups, 13, MUTATIONS, endpoint, &grouped).await;
    let endpoint = ("alertmanager", "api/v2/silences");
    failed += rounds(&fake, &silences, 14, MUTATIONS, endpoint, &silenced).await;
    let total = 4 * MUTATIONS;
    assert!(
        failed > total / 4 && failed < total,
        "{failed} of {total} mutated answers failed: the rounds should reach both sides"
    );
    eprintln!(
        "{total} mutated alertmanager answers in {:?}",
        started.elapsed()
    );

    // Errors that say which alert or silence was wrong, and how.
    let alert: Value = serde_json::from_str::<Value>(&alerts).unwrap()[0].clone();
    let fingerprint = alert["fingerprint"].as_str().unwrap().to_owned();
    let with = |key: &str, value: Value| {
        let mut a = alert.clone();
        a["status"][key] = value;
        Value::Array(vec![a]).to_string()
    };
    let mut no_fingerprint = alert.clone();
    no_fingerprint
        .as_object_mut()
        .unwrap()
        .remove("fingerprint");
    let mut bad_start = alert.clone();
    bad_start["startsAt"] = Value::from("yesterday");
    let cases = [
        (
            with("state", Value::from("on fire")),
            format!("alert {fingerprint}: unknown state `on fire`"),
        ),
        (
            with("state", Value::from("y".repeat(5000))),
            format!("alert {fingerprint}: unknown state `yyyy"),
        ),
        (
            Value::Array(vec![no_fingerprint]).to_string(),
            "missing field `fingerprint`".to_owned(),
        ),
        (
            Value::Array(vec![bad_start]).to_string(),
            format!("alert {fingerprint}: startsAt `yesterday` is not an rfc 3339 time"),
        ),
        (
            r#"{"not": "a list"}"#.to_owned(),
            "expected a sequence".to_owned(),
        ),
    ];
    for (body, needle) in cases {
        fake.serve(body.as_bytes());
        let e = am.alerts().await.unwrap_err();
        let text = check_error(e, "alertmanager", "api/v2/alerts", body.as_bytes());
        assert!(text.contains(&needle), "{text} lacks {needle}");
    }
    let silence: Value = serde_json::from_str::<Value>(&silences).unwrap()[0].clone();
    let id = silence["id"].as_str().unwrap().to_owned();
    let mut late = silence.clone();
    late["endsAt"] = Value::from("tomorrow");
    let mut odd = silence.clone();
    odd["status"]["state"] = Value::from("snoozing");
    for (bad, needle) in [
        (
            late,
            format!("silence {id}: endsAt `tomorrow` is not an rfc 3339 time"),
        ),
        (odd, format!("silence {id}: unknown state `snoozing`")),
    ] {
        let body = Value::Array(vec![bad]).to_string();
        fake.serve(body.as_bytes());
        let e = am.silences().await.unwrap_err();
        let text = check_error(e, "alertmanager", "api/v2/silences", body.as_bytes());
        assert!(text.contains(&needle), "{text} lacks {needle}");
    }
    fake.serve(br#"{"versionInfo":{"version":""}}"#);
    let e = am.check().await.unwrap_err();
    let text = check_error(e, "alertmanager", "api/v2/status", b"");
    assert!(text.contains("a status without a version"), "{text}");
    drop(server);
}
