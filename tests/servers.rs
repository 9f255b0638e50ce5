//! Real Prometheus and Alertmanager servers for tests: Debian's `prometheus` (with three hours of
//! history loaded by `promtool tsdb create-blocks-from openmetrics`) and
//! `prometheus-alertmanager`, as plain processes on free loopback ports with temporary configs and
//! data directories, killed when dropped. The connector tests, the CLI tests and the end-to-end
//! journeys start them from here, so all of them run against the same servers and history.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A server process, killed when dropped.
pub struct Server {
    child: Child,
    /// Its base URL, such as `http://127.0.0.1:40123`.
    pub url: String,
    dir: tempfile::TempDir,
}

impl Server {
    /// Its temporary directory (config, data, log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops it now, as a crash would: the port stops answering.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// Panics with the setup hint when `name` is not on the `PATH`.
pub fn require_binary(name: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "`{name}` is missing: run scripts/setup --test (Debian packages prometheus and prometheus-alertmanager)"
    );
}

/// Starts `program` and waits until `/-/ready` answers (200, or 401 behind basic auth).
fn start(program: &str, args: Vec<String>, url: String, dir: tempfile::TempDir) -> Server {
    require_binary(program);
    let log = std::fs::File::create(dir.path().join("server.log"))
        .unwrap_or_else(|e| panic!("cannot create the server log: {e}"));
    let child = Command::new(program)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    let mut server = Server { child, url, dir };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if matches!(
            http(&server.url, "GET", "/-/ready", None),
            Some((200 | 401, _))
        ) {
            return server;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            let log =
                std::fs::read_to_string(server.dir.path().join("server.log")).unwrap_or_default();
            panic!("{program} exited with {status}:\n{log}");
        }
        assert!(Instant::now() < deadline, "{program} was not ready in 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One plain HTTP/1.0 exchange over a socket: the status and the body, or `None` when nothing
/// answers. Plain sockets, because callers run both inside tokio runtimes (where reqwest's
/// blocking client may not be used) and outside them.
pub fn http(url: &str, method: &str, path: &str, json: Option<&str>) -> Option<(u16, String)> {
    let addr = url.strip_prefix("http://")?.trim_end_matches('/');
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let body = json.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split(' ').nth(1)?.parse().ok()?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

/// Posts alerts (a JSON array in Alertmanager's API v2 shape) to the Alertmanager at `url`.
pub fn post_alerts(url: &str, alerts_json: &str) {
    let answer = http(url, "POST", "/api/v2/alerts", Some(alerts_json));
    assert!(
        matches!(answer, Some((200, _))),
        "posting alerts: {answer:?}"
    );
}

/// The user and password the servers started with [`BasicAuth::On`] accept.
pub const AUTH_USER: &str = "gatehouse";
/// The password of [`AUTH_USER`].
pub const AUTH_PASSWORD: &str = "gatehouse-pw-4412";
/// bcrypt of [`AUTH_PASSWORD`] (cost 4, for speed), as the servers' web config wants it.
const AUTH_BCRYPT: &str = "$2b$04$OAtrkcfeNvFFks0rC/Rq4.bL04rOO1VwatWDJvnIESIayOVJSItFG";

/// Whether a server wants basic auth (`--web.config.file` with one user).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BasicAuth {
    /// Anyone may read and write.
    Off,
    /// Only [`AUTH_USER`] with [`AUTH_PASSWORD`].
    On,
}

fn web_config(dir: &Path, auth: BasicAuth) -> Option<String> {
    match auth {
        BasicAuth::Off => None,
        BasicAuth::On => {
            let path = dir.join("web.yml");
            std::fs::write(
                &path,
                format!("basic_auth_users:\n  {AUTH_USER}: {AUTH_BCRYPT}\n"),
            )
            .unwrap_or_else(|e| panic!("cannot write the web config: {e}"));
            Some(format!("--web.config.file={}", path.display()))
        }
    }
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("no temporary directory: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Prometheus with deterministic history

/// Upper bounds of the latency histogram, in seconds.
pub const LATENCY_EDGES: [f64; 6] = [0.05, 0.1, 0.25, 0.5, 1.0, f64::INFINITY];
/// Upper bounds of the `tenure_months` feature histogram.
pub const TENURE_EDGES: [f64; 5] = [6.0, 12.0, 24.0, 48.0, f64::INFINITY];
/// Minutes of history, one sample a minute.
pub const MINUTES: i64 = 180;
/// The minute the feature's distribution changes.
pub const SHIFT_MINUTE: i64 = 90;

/// What each version serves per minute (observations per latency bin, successes, failures) and
/// how loaded it is (CPU, memory, queue), constant over the history.
pub struct VersionTraffic {
    /// The version label.
    pub version: &'static str,
    /// Observations per latency bin per minute.
    pub latency_per_minute: [u64; 6],
    /// Successful requests per minute.
    pub ok_per_minute: u64,
    /// Failed requests per minute.
    pub errors_per_minute: u64,
    /// CPU in use, cores.
    pub cpu_cores: f64,
    /// Resident memory, MiB.
    pub memory_mib: u64,
    /// Requests waiting.
    pub queue: u64,
}

/// The history's traffic: version 4 (stable) and 5 (a slower canary that fails more).
pub const TRAFFIC: [VersionTraffic; 2] = [
    VersionTraffic {
        version: "4",
        latency_per_minute: [30, 40, 20, 8, 2, 0],
        ok_per_minute: 98,
        errors_per_minute: 2,
        cpu_cores: 0.25,
        memory_mib: 512,
        queue: 2,
    },
    VersionTraffic {
        version: "5",
        latency_per_minute: [10, 20, 40, 20, 8, 2],
        ok_per_minute: 90,
        errors_per_minute: 10,
        cpu_cores: 0.5,
        memory_mib: 640,
        queue: 7,
    },
];

/// Feature observations per bin per minute before the shift.
pub const TENURE_BEFORE: [u64; 5] = [5, 10, 20, 10, 5];
/// Feature observations per bin per minute after the shift.
pub const TENURE_AFTER: [u64; 5] = [15, 15, 10, 5, 5];

fn le(edge: f64) -> String {
    if edge.is_infinite() {
        "+Inf".into()
    } else {
        edge.to_string()
    }
}

fn tenure_per_minute(minute: i64) -> [u64; 5] {
    if minute < SHIFT_MINUTE {
        TENURE_BEFORE
    } else {
        TENURE_AFTER
    }
}

/// The history as OpenMetrics text, one sample a minute from `start_s` (seconds).
pub fn openmetrics(start_s: i64) -> String {
    let mut out = String::new();
    out.push_str("# TYPE http_request_duration_seconds histogram\n");
    for minute in 0..=MINUTES {
        let t = start_s + minute * 60;
        for v in &TRAFFIC {
            let mut cumulative = 0;
            for (edge, per_minute) in LATENCY_EDGES.iter().zip(v.latency_per_minute) {
                cumulative += per_minute * minute as u64;
                let _ = writeln!(
                    out,
                    r#"http_request_duration_seconds_bucket{{model="churn",version="{}",le="{}"}} {cumulative} {t}"#,
                    v.version,
                    le(*edge)
                );
            }
            let _ = writeln!(
                out,
                r#"http_request_duration_seconds_count{{model="churn",version="{}"}} {cumulative} {t}"#,
                v.version
            );
            let _ = writeln!(
                out,
                r#"http_request_duration_seconds_sum{{model="churn",version="{}"}} {} {t}"#,
                v.version,
                cumulative as f64 * 0.1
            );
        }
    }
    out.push_str("# TYPE http_requests counter\n");
    for minute in 0..=MINUTES {
        let t = start_s + minute * 60;
        for v in &TRAFFIC {
            for (code, per_minute) in [("200", v.ok_per_minute), ("500", v.errors_per_minute)] {
                let _ = writeln!(
                    out,
                    r#"http_requests_total{{model="churn",version="{}",code="{code}"}} {} {t}"#,
                    v.version,
                    per_minute * minute as u64
                );
            }
        }
    }
    out.push_str("# TYPE process_cpu_seconds counter\n");
    for minute in 0..=MINUTES {
        let t = start_s + minute * 60;
        for v in &TRAFFIC {
            let _ = writeln!(
                out,
                r#"process_cpu_seconds_total{{model="churn",version="{}"}} {} {t}"#,
                v.version,
                v.cpu_cores * 60.0 * minute as f64
            );
        }
    }
    for name in ["process_resident_memory_bytes", "inference_queue_depth"] {
        let _ = writeln!(out, "# TYPE {name} gauge");
        for minute in 0..=MINUTES {
            let t = start_s + minute * 60;
            for v in &TRAFFIC {
                let _ = writeln!(
                    out,
                    r#"{name}{{model="churn",version="{}"}} {} {t}"#,
                    v.version,
                    if name == "inference_queue_depth" {
                        v.queue
                    } else {
                        v.memory_mib * 1_048_576
                    }
                );
            }
        }
    }
    out.push_str("# TYPE tenure_months histogram\n");
    let mut cumulative_bins = [0u64; 5];
    for minute in 0..=MINUTES {
        let t = start_s + minute * 60;
        if minute > 0 {
            // The observations of the minute that ends now.
            for (bin, n) in cumulative_bins
                .iter_mut()
                .zip(tenure_per_minute(minute - 1))
            {
                *bin += n;
            }
        }
        let mut cumulative = 0;
        for (edge, bin) in TENURE_EDGES.iter().zip(cumulative_bins) {
            cumulative += bin;
            let _ = writeln!(
                out,
                r#"tenure_months_bucket{{model="churn",le="{}"}} {cumulative} {t}"#,
                le(*edge)
            );
        }
        let _ = writeln!(
            out,
            r#"tenure_months_count{{model="churn"}} {cumulative} {t}"#
        );
        let _ = writeln!(
            out,
            r#"tenure_months_sum{{model="churn"}} {cumulative} {t}"#
        );
    }
    out.push_str("# EOF\n");
    out
}

/// Starts Prometheus over the history; returns it and the first sample's time in seconds. The
/// history ends a minute before now, in whole minutes.
pub fn start_prometheus(auth: BasicAuth) -> (Server, i64) {
    let now_s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let start_s = (now_s / 60 - 1 - MINUTES) * 60;
    (start_prometheus_over(&openmetrics(start_s), auth), start_s)
}

/// Starts Prometheus over `history` (OpenMetrics text ending in `# EOF`, every sample in the
/// past), loaded with `promtool tsdb create-blocks-from openmetrics` before it starts.
pub fn start_prometheus_over(history: &str, auth: BasicAuth) -> Server {
    require_binary("promtool");
    let dir = temp_dir();
    let input = dir.path().join("history.om");
    let data = dir.path().join("data");
    let written = std::fs::write(&input, history);
    assert!(written.is_ok(), "cannot write the history: {written:?}");
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&input)
        .arg(&data)
        .output()
        .unwrap_or_else(|e| panic!("cannot run promtool: {e}"));
    assert!(
        out.status.success(),
        "promtool failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = dir.path().join("prometheus.yml");
    let written = std::fs::write(
        &config,
        "global:\n  scrape_interval: 1h\nscrape_configs: []\n",
    );
    assert!(written.is_ok(), "cannot write the config: {written:?}");
    let port = free_port();
    let mut args = vec![
        format!("--config.file={}", config.display()),
        format!("--storage.tsdb.path={}", data.display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    args.extend(web_config(dir.path(), auth));
    start("prometheus", args, format!("http://127.0.0.1:{port}"), dir)
}

// ---------------------------------------------------------------------------------------------
// Alertmanager

/// Routes alerts of team `serving-sre` to its receiver and `FeatureDrift` to `ml-oncall`, the
/// rest to `default`: receivers named after the demo policy's owners.
pub const ALERTMANAGER_CONFIG: &str = r#"
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  routes:
    - matchers: ['team="serving-sre"']
      receiver: serving-sre
    - matchers: ['alertname="FeatureDrift"']
      receiver: ml-oncall
receivers:
  - name: default
  - name: serving-sre
  - name: ml-oncall
"#;

/// Starts an Alertmanager with [`ALERTMANAGER_CONFIG`] and no gossip port.
pub fn start_alertmanager(auth: BasicAuth) -> Server {
    let dir = temp_dir();
    let config = dir.path().join("alertmanager.yml");
    let written = std::fs::write(&config, ALERTMANAGER_CONFIG);
    assert!(written.is_ok(), "cannot write the config: {written:?}");
    let port = free_port();
    let mut args = vec![
        format!("--config.file={}", config.display()),
        format!("--storage.path={}", dir.path().join("data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        // Empty: no gossip port on all interfaces.
        "--cluster.listen-address=".into(),
    ];
    args.extend(web_config(dir.path(), auth));
    start(
        "prometheus-alertmanager",
        args,
        format!("http://127.0.0.1:{port}"),
        dir,
    )
}

/// An RFC 3339 time `hours` from now, for alert and silence bodies.
pub fn rfc3339_in_hours(hours: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let t = now + hours * 3600;
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = gatehouse_core::time::civil::civil_from_days(t.div_euclid(86_400));
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}
