//! Drift read from Prometheus histograms, against the real Debian `prometheus` with the history
//! of `gatehouse_tests::servers` (the `tenure_months` histogram's distribution shifts at minute
//! 90): the board's numbers are the drift engine's on the same bin counts, window by window and
//! method by method; a metric Prometheus does not hold and an answer that is not Prometheus's
//! give clear errors.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use gatehouse_connectors::prometheus::Prometheus;
use gatehouse_connectors::prometheus_drift::{board, latest};
use gatehouse_connectors::ClientOptions;
use gatehouse_core::monitor::{Bins, Method, Options};
use gatehouse_core::policy::Policy;
use gatehouse_core::time::Timestamp;
use gatehouse_core::ErrorCode;
use gatehouse_drift::{compare_binned, BINNED_METHODS};
use gatehouse_tests::servers::{
    start_prometheus, BasicAuth, MINUTES, SHIFT_MINUTE, TENURE_AFTER, TENURE_BEFORE, TENURE_EDGES,
};

const MINUTE: i64 = 60_000;
/// Each current window, in minutes.
const WINDOW: i64 = 15;
/// Current windows, the last ending at the history's last sample: the first ends at the shift.
const WINDOWS: i64 = 7;

fn policy(features: &str) -> Policy {
    let text = format!(
        "[workspace]\nname = \"t\"\nmodel = \"churn\"\n\n[drift.prometheus]\nfeatures = {features}\nlabels = {{ model = \"churn\" }}\nwindow = \"{WINDOW}m\"\nwindows = {WINDOWS}\nreference = \"1h\"\n"
    );
    Policy::parse(&text, "gatehouse.toml").unwrap()
}

/// `per_minute` observed for `minutes` minutes, as the history's bins.
fn bins(per_minute: [u64; 5], minutes: i64) -> Bins {
    Bins {
        upper_bounds: TENURE_EDGES.to_vec(),
        counts: per_minute
            .iter()
            .map(|n| (*n as i64 * minutes) as f64)
            .collect(),
    }
}

fn with(method: Method) -> Options {
    Options {
        method: Some(method),
        threshold: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn histogram_drift_is_the_engines_on_the_same_bins() {
    let (server, start_s) = start_prometheus(BasicAuth::Off);
    let prom = Prometheus::new(&server.url, ClientOptions::default()).unwrap();
    let now = Timestamp(start_s * 1000 + MINUTES * MINUTE);
    let tenure = policy("[\"tenure_months\"]");

    // Windows end at minutes 90, 105, …, 180: the first one holds the minutes before the shift,
    // the others the minutes after it. The reference is the hour before the first window.
    let reference = bins(TENURE_BEFORE, 60);
    let expected_windows: Vec<Bins> = (0..WINDOWS)
        .map(|k| {
            let end = MINUTES - (WINDOWS - 1 - k) * WINDOW;
            let per_minute = if end <= SHIFT_MINUTE {
                TENURE_BEFORE
            } else {
                TENURE_AFTER
            };
            bins(per_minute, WINDOW)
        })
        .collect();

    for method in BINNED_METHODS {
        let drawn = board(&tenure, &prom, now, Some(method)).await.unwrap();
        let feature = &drawn.features[0];
        assert_eq!(feature.name, "tenure_months");
        assert_eq!(feature.method, method.as_str());
        assert_eq!(feature.points.len(), WINDOWS as usize);
        for (k, (point, current)) in feature.points.iter().zip(&expected_windows).enumerate() {
            let engine = compare_binned(&reference, current, &with(method)).unwrap();
            assert!(
                (point.value - engine.value).abs() <= 1e-9,
                "{method}, window {k}: prometheus gives {}, the engine {}",
                point.value,
                engine.value
            );
            assert_eq!(point.drifted, engine.drifted, "{method}, window {k}");
            assert_eq!(
                point.at,
                Timestamp(now.0 - (WINDOWS - 1 - k as i64) * WINDOW * MINUTE)
            );
        }
    }

    // The policy's default on bins: Jensen–Shannon; drift from the first window after the shift.
    let policy_board = board(&tenure, &prom, now, None).await.unwrap();
    let feature = &policy_board.features[0];
    assert_eq!(feature.method, "jensenshannon");
    let drifted: Vec<bool> = feature.points.iter().map(|p| p.drifted).collect();
    assert_eq!(drifted, [false, true, true, true, true, true, true]);
    assert_eq!(feature.onset, Some(feature.points[1].at));
    assert_eq!(
        feature.histogram.labels,
        ["≤ 6", "6–12", "12–24", "24–48", "> 48"]
    );
    assert_eq!(policy_board.windows[6].share_drifted, 1.0);

    // `gatehouse drift --from prometheus`: the latest window, as the two-file report.
    let report = latest(&tenure, &prom, now, None).await.unwrap();
    let engine = compare_binned(&reference, &expected_windows[6], &Options::default()).unwrap();
    assert_eq!(report.columns.len(), 1);
    assert!((report.columns[0].drift.value - engine.value).abs() <= 1e-9);
    assert!(report.dataset_drift);

    // KS needs raw samples: refused by name, as a caller's mistake.
    let err = latest(&tenure, &prom, now, Some(with(Method::Ks)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Invalid);
    assert!(err.to_string().contains("ks needs raw samples"), "{err}");

    // A histogram Prometheus does not hold is named, not read as an empty window.
    let missing = policy("[\"tenure_months\", \"no_such_histogram\"]");
    let err = board(&missing, &prom, now, None).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert!(
        err.to_string()
            .contains(r#"no series `no_such_histogram_bucket{model="churn"}`"#),
        "{err}"
    );
}

/// A fake Prometheus, because the real one never answers like this: its series API finds the
/// histogram, its query API returns a bucket whose value is not a number.
fn malformed_prometheus() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
            }
            let body = if request.contains("/api/v1/series") {
                r#"{"status":"success","data":[{"__name__":"tenure_months_bucket","le":"+Inf"}]}"#
            } else {
                r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"le":"+Inf"},"value":[1700000000,"twelve"]}]}}"#
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_answer_is_a_clear_error() {
    let prom = Prometheus::new(&malformed_prometheus(), ClientOptions::default()).unwrap();
    let err = board(
        &policy("[\"tenure_months\"]"),
        &prom,
        Timestamp(1_700_000_000_000),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unreachable, "{err}");
    let message = err.to_string();
    assert!(
        message.contains("drift feature `tenure_months`")
            && message.contains("unexpected response from prometheus")
            && message.contains("`twelve` is not a number"),
        "{message}"
    );
}
