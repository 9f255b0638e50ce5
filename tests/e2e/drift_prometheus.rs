//! The Drift view of a workspace whose features are Prometheus histograms: the real Debian
//! `prometheus` with the history of `gatehouse_tests::servers` (the `tenure_months` histogram
//! shifts halfway through), the board pushed by the panel's monitor task, and the retrain
//! trigger fed from it.

use super::*;

use gatehouse_tests::servers::{rfc3339_in_hours, start_prometheus, BasicAuth};

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn feature_histograms_in_prometheus_drive_the_drift_view_and_the_retrain_trigger() -> Result<()> {
    let (server, _) = start_prometheus(BasicAuth::Off);
    let dir = tempfile::tempdir()?;
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws)?;
    // The reference is the hour ending two hours ago (before the shift); four quarter-hour
    // windows end at the last whole quarter (after it).
    std::fs::write(
        ws.join("gatehouse.toml"),
        format!(
            r#"[workspace]
name = "Prometheus drift"
model = "churn"

[backends.metrics]
kind = "prometheus"
url = "{url}"

[[gates]]
id = "retrain-trigger"

[[gates.checks]]
id = "drift"
description = "share of features drifting"
signal = "monitor.share_drifted"
min = 0.5
when_unmet = "wait"

[drift.prometheus]
features = ["tenure_months"]
labels = {{ model = "churn" }}
window = "15m"
windows = 4
reference = "1h"
reference_end = "{reference_end}"
"#,
            url = server.url,
            reference_end = rfc3339_in_hours(-2),
        ),
    )?;
    let panel = Panel::launch(&ws, "dana", LOOP_READY, 0)?;
    let s = panel.session();
    go_to(s, "drift")?;
    let card = s.execute(
        "const f = document.querySelector('[data-testid=drift-feature]');
         return {
           feature: f.dataset.feature,
           drifted: f.dataset.drifted,
           method: f.querySelector('dd .mono').textContent.trim(),
           charts: [...document.querySelectorAll('[data-testid=drift-heatmap], [data-testid=drift-score-chart], [data-testid=drift-histogram-chart]')].filter(i => i.complete && i.naturalWidth > 0).length,
           messages: Number(document.querySelector('main[data-testid=drift-view]').dataset.channelMessages),
         };",
        json!([]),
    )?;
    assert_eq!(card["feature"], "tenure_months", "{card}");
    assert_eq!(card["drifted"], "true", "{card}");
    assert_eq!(card["method"], "jensenshannon", "{card}");
    assert_eq!(card["charts"], json!(3), "{card}");
    assert!(card["messages"].as_i64().unwrap_or(0) >= 1, "{card}");
    panel.save_screenshot("drift-prometheus.png")?;

    // The monitor task recorded what the retrain trigger reads: every feature drifts.
    let status: Value = serde_json::from_str(&gatehouse(&ws, &["--json", "status"])?)?;
    let trigger = status["gates"]
        .as_array()
        .context("gates")?
        .iter()
        .find(|g| g["id"] == "retrain-trigger")
        .context("retrain trigger")?;
    let drift = trigger["evidence"]
        .as_array()
        .context("evidence")?
        .iter()
        .find(|e| e["check"] == "drift")
        .context("drift evidence")?;
    assert_eq!(drift["value"], json!(1.0), "{trigger}");
    assert_eq!(drift["source"], "drift:prometheus", "{trigger}");
    assert_eq!(trigger["state"], "passed", "{trigger}");
    Ok(())
}
