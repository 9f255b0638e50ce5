//! The rollout journey: the demo canary's error rate degrades while the panel is open, the rollout
//! gate turns red in the window, the Rollout view proposes the rollback with its from → to, and
//! confirming it moves the pointer, in the window and for the CLI.

use super::*;

/// The rollout gate's state as `gatehouse --json status` reports it.
fn cli_rollout_state(ws: &Path) -> Result<String> {
    let status: Value = serde_json::from_str(&gatehouse(ws, &["--json", "status"])?)?;
    let gate = status["gates"]
        .as_array()
        .context("gates")?
        .iter()
        .find(|g| g["id"] == "rollout")
        .context("no rollout gate")?;
    Ok(gate["state"].as_str().unwrap_or_default().to_owned())
}

fn production(ws: &Path) -> Result<String> {
    let doc: Value = serde_json::from_str(&gatehouse(
        ws,
        &["--json", "registry", "list", "--model", "churn"],
    )?)?;
    Ok(doc["models"][0]["pointers"]["production"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn the_demo_canary_turns_the_rollout_gate_red_and_confirming_the_rollback_moves_the_pointer(
) -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    assert_eq!(cli_rollout_state(&ws)?, "passed");
    assert_eq!(production(&ws)?, "3");

    // The canary is measured every second: it fails its analysis at the fourth measurement.
    let panel = Panel::launch(&ws, "dana", LOOP_READY, 2)?;
    let s = panel.session();
    s.wait_until(
        "the rollout gate to turn red",
        "return !!document.querySelector(\"[data-testid=gate][data-gate='rollout'][data-state='blocked']\");",
        WAIT,
    )?;
    assert_eq!(cli_rollout_state(&ws)?, "blocked");

    // Its evidence is the analysis, metric by metric, with the measurements.
    s.click(&s.wait_for(
        "[data-testid=gate][data-gate='rollout'] polygon.octagon",
        WAIT,
    )?)?;
    let row = s.wait_for_text(
        "[data-testid=gate-detail] [data-testid=evidence-row][data-check='error rate']",
        WAIT,
    )?;
    assert!(row.contains("measured"), "{row}");
    assert!(row.contains("failed"), "{row}");
    panel.save_screenshot("rollout-gate-red.png")?;
    s.press("\u{E00C}")?;

    go_to(s, "rollout")?;
    s.wait_for("[data-testid=rollout-verdict][data-verdict='failed']", WAIT)?;
    let why = s.wait_for_text("[data-testid=rollout-why]", WAIT)?;
    assert!(
        why.contains("error rate of v3 was up to ") && why.contains("× stable: `value > 2` in "),
        "{why}"
    );
    let from = s.wait_for_text("[data-testid=rollout-from]", WAIT)?;
    let to = s.wait_for_text("[data-testid=rollout-to]", WAIT)?;
    assert_eq!((from.trim(), to.trim()), ("v3", "v2"));
    // Dana operates: she may roll back, not override.
    let disabled = s.execute(
        "return [document.querySelector('[data-testid=rollout-confirm]').disabled, document.querySelector('[data-testid=rollout-override]').disabled];",
        json!([]),
    )?;
    assert_eq!(disabled, json!([false, true]));
    s.wait_for(
        "[data-testid=rollout-chart][data-metric='error rate']",
        WAIT,
    )?;
    panel.save_screenshot("rollout-failed.png")?;

    s.click(&s.wait_for("[data-testid=rollout-confirm]", WAIT)?)?;
    let from = s.wait_for_text("[data-testid=rollback-from]", WAIT)?;
    let to = s.wait_for_text("[data-testid=rollback-to]", WAIT)?;
    assert_eq!((from.trim(), to.trim()), ("3", "2"));
    let reason = s.wait_for("[data-testid=rollback-reason]", WAIT)?;
    s.send_keys(&reason, "canary error rate above twice stable")?;
    panel.save_screenshot("rollout-rollback-confirm.png")?;
    s.click(&s.wait_for("[data-testid=rollback-confirm]", WAIT)?)?;
    let done = s.wait_for_text("[data-testid=rollout-done]", WAIT)?;
    assert!(done.contains("v3 → v2"), "{done}");
    assert_eq!(production(&ws)?, "2");

    // v2's own rollout starts with the move: the gate is no longer red, in the window and the CLI.
    s.wait_until(
        "the Rollout view to analyse v2",
        "const l = document.querySelector('[data-testid=rollout-line]'); const v = document.querySelector('[data-testid=rollout-verdict]'); return !!l && l.textContent.includes('canary v2 on churn@production') && !!v && v.dataset.verdict !== 'failed';",
        WAIT,
    )?;
    assert_ne!(cli_rollout_state(&ws)?, "blocked");
    panel.save_screenshot("rollout-after-rollback.png")?;

    go_to(s, "loop")?;
    s.wait_until(
        "the Deploy stage to show production → 2 and the rollout gate not red",
        "const d = document.querySelector(\"[data-testid=stage][data-stage='deploy']\"); const g = document.querySelector(\"[data-testid=gate][data-gate='rollout']\"); return !!d && d.textContent.includes('production → 2') && !!g && g.dataset.state !== 'blocked';",
        WAIT,
    )?;
    Ok(())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn a_viewer_sees_the_proposal_but_may_not_confirm_override_or_abort() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    let panel = Panel::launch(&ws, "sam", LOOP_READY, 2)?;
    let s = panel.session();
    go_to(s, "rollout")?;
    s.wait_for("[data-testid=rollout-proposal]", WAIT)?;
    let refusal = s.wait_for_text("[data-testid=rollout-refusal]", WAIT)?;
    assert!(refusal.contains("sam may not roll back"), "{refusal}");
    let disabled = s.execute(
        "return ['rollout-confirm', 'rollout-override', 'rollout-abort'].map(t => document.querySelector(`[data-testid=${t}]`).disabled);",
        json!([]),
    )?;
    assert_eq!(disabled, json!([true, true, true]));
    // Dark theme, for the record.
    s.click(&s.wait_for("[data-testid=theme-toggle]", WAIT)?)?;
    s.wait_until(
        "the charts to be redrawn",
        "return document.querySelector('[data-testid=rollout-view]').dataset.ready === 'true';",
        WAIT,
    )?;
    panel.save_screenshot("rollout-viewer-dark.png")?;
    assert_eq!(production(&ws)?, "3");
    Ok(())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn an_admin_promotes_despite_the_failed_analysis_with_a_reason() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    let panel = Panel::launch(&ws, "erin", LOOP_READY, 2)?;
    let s = panel.session();
    go_to(s, "rollout")?;
    s.wait_for("[data-testid=rollout-verdict][data-verdict='failed']", WAIT)?;
    s.click(&s.wait_for("[data-testid=rollout-override]", WAIT)?)?;
    let what = s.wait_for_text("[data-testid=rollout-decision-what]", WAIT)?;
    assert!(
        what.contains("keeps v3 despite the failed analysis"),
        "{what}"
    );
    // No reason, no override.
    let disabled = s.execute(
        "return document.querySelector('[data-testid=rollout-decision-confirm]').disabled;",
        json!([]),
    )?;
    assert_eq!(disabled, json!(true));
    let reason = s.wait_for("[data-testid=rollout-decision-reason]", WAIT)?;
    s.send_keys(&reason, "the errors come from a load test")?;
    s.click(&s.wait_for("[data-testid=rollout-decision-confirm]", WAIT)?)?;
    s.wait_for_text("[data-testid=rollout-done]", WAIT)?;
    s.wait_for(
        "[data-testid=rollout-gate-state][data-state='overridden']",
        WAIT,
    )?;
    let why = s.wait_for_text("[data-testid=rollout-why]", WAIT)?;
    assert!(
        why.contains("erin overrode the failed analysis of v3: the errors come from a load test"),
        "{why}"
    );
    assert_eq!(cli_rollout_state(&ws)?, "overridden");
    assert_eq!(production(&ws)?, "3");
    panel.save_screenshot("rollout-overridden.png")?;
    Ok(())
}

/// The canary's error rate over the stable version's, as `tests/rollout.rs` loads it.
const RATIO: &str = r#"(sum(rate(http_requests_total{model="{{model}}",version="{{canary}}",code=~"5.."}[5m])) / sum(rate(http_requests_total{model="{{model}}",version="{{canary}}"}[5m]))) / (sum(rate(http_requests_total{model="{{model}}",version="{{stable}}",code=~"5.."}[5m])) / sum(rate(http_requests_total{model="{{model}}",version="{{stable}}"}[5m])))"#;

/// A workspace whose canary is measured with PromQL from the Prometheus at `url`.
fn promql_policy(url: &str) -> String {
    format!(
        r#"[workspace]
name = "canary on prometheus"
demo = true
model = "churn"

[backends.metrics]
kind = "prometheus"
url = "{url}"
refresh_secs = 2

[users.priya]
roles = ["approver"]
[users.marco]
roles = ["approver", "operator"]
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

[[rollout.metrics]]
name = "error rate"
query = '{RATIO}'
ratio_to_stable = true
success = "value <= 1.6"
failure = "value > 2.2"
interval = "5m"
count = 6
failure_limit = 1
inconclusive_limit = 1
"#
    )
}

/// 100 requests a minute per version; the stable v1 fails 2 of them, the canary v2 (from `t0`,
/// in ms) 2, 3, 4, … in each next five minutes: the history of `tests/rollout.rs`.
fn degrading_history(t0: i64) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("# TYPE http_requests counter\n");
    let (mut stable, mut canary) = ((0u64, 0u64), (0u64, 0u64));
    for m in -30i64..=35 {
        stable = (stable.0 + 2, stable.1 + 100);
        if m >= 1 {
            canary = (canary.0 + 2 + ((m - 1) / 5) as u64, canary.1 + 100);
        }
        let t = (t0 + m * 60_000) / 1000;
        for (version, (failed, all)) in [("1", stable), ("2", canary)] {
            if version == "2" && m < 0 {
                continue;
            }
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

/// The Loop's rollout gate: its state and its drawer's summary.
fn loop_rollout_gate(s: &Session) -> Result<(String, String)> {
    s.click(&s.wait_for(
        "[data-testid=gate][data-gate='rollout'] polygon.octagon",
        WAIT,
    )?)?;
    s.wait_for("[data-testid=gate-detail]", WAIT)?;
    let got = s.execute(
        "return [document.querySelector(\"[data-testid=gate][data-gate='rollout']\").dataset.state,
                 document.querySelector('[data-testid=gate-detail] .summary')?.textContent ?? ''];",
        json!([]),
    )?;
    s.press("\u{E00C}")?;
    let [state, summary]: [String; 2] = serde_json::from_value(got)?;
    Ok((state, summary))
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn the_panel_measures_a_promql_canary_itself_and_says_why_when_prometheus_is_down() -> Result<()> {
    use gatehouse_core::demo::DemoWorkspace;
    use gatehouse_core::hook::NoHooks;
    use gatehouse_core::policy::UserName;
    use gatehouse_core::promotion::{Desk, Quiet};
    use gatehouse_core::reading::ModelName;
    use gatehouse_core::registry::{Model, ModelVersion, PointerName, VersionId};
    use gatehouse_core::time::{Clock, SystemClock, Timestamp};
    use gatehouse_tests::servers::{free_port, start_prometheus_over, BasicAuth};

    // The canary went out 50 minutes ago; nobody has run `gatehouse rollout analyze` since.
    let now = SystemClock.now().0;
    let t0 = (now / 60_000 - 51) * 60_000;
    let dir = tempfile::tempdir()?;
    let ws = dir.path().join("ws");
    let down = format!("http://127.0.0.1:{}", free_port());
    gatehouse_tests::mlflow_server::runtime().block_on(async {
        let version = |v: &str| ModelVersion {
            version: VersionId::from(v),
            run_id: format!("run-{v}"),
            created_at: Timestamp(t0 - 3_600_000),
            metrics: Default::default(),
            tags: Default::default(),
            data_version: None,
            code_commit: None,
        };
        let demo = DemoWorkspace {
            policy: promql_policy(&down),
            models: vec![Model {
                name: ModelName::from("churn"),
                description: "churn".into(),
                pointers: [(PointerName::from("production"), VersionId::from("1"))].into(),
                versions: vec![version("1"), version("2")],
            }],
            readings: vec![gatehouse_core::reading::Reading::new(
                ModelName::from("churn"),
                gatehouse_core::reading::SignalName::from("model.auc"),
                0.86,
                Timestamp(t0 - 3_600_000),
                "validation".into(),
                None,
            )?],
            reference: Default::default(),
            windows: Vec::new(),
            history: Vec::new(),
        };
        let w = gatehouse_store::Workspace::create_demo(&ws, &demo).await?;
        let policy = w.policy()?;
        let desk = |who: &str, at: i64| Desk {
            policy: &policy,
            actor: UserName::from(who),
            now: Timestamp(at),
            store: &w,
            registry: &w,
            observer: &Quiet,
            hooks: &NoHooks,
        };
        let churn = ModelName::from("churn");
        let asked = desk("priya", t0 - 60_000)
            .request(
                &churn,
                &VersionId::from("2"),
                &PointerName::from("production"),
                "canary",
            )
            .await?;
        desk("marco", t0).approve(asked.id, None).await?;
        w.close().await;
        anyhow::Ok(())
    })?;

    // Prometheus cannot be reached: the gate is unknown and says why; the loop stays readable.
    let panel = Panel::open(&ws)?;
    let s = panel.session();
    s.wait_for(
        "[data-testid=gate][data-gate='rollout'][data-state='unknown']",
        WAIT,
    )?;
    let (_, summary) = loop_rollout_gate(s)?;
    assert!(
        summary
            .starts_with("the rollout's measurements cannot be taken, so its analysis is stale: ")
            && summary.contains(&down),
        "{summary}"
    );
    assert_eq!(cli_rollout_state(&ws)?, "unknown");
    go_to(s, "rollout")?;
    let unmeasured = s.wait_for_text("[data-testid=rollout-unmeasured]", WAIT)?;
    assert!(unmeasured.contains(&down), "{unmeasured}");
    panel.save_screenshot("rollout-promql-unmeasured.png")?;

    // Prometheus answers: the panel measures every instant that fell due, and the gate turns red
    // with the words `gatehouse status` has.
    let server = start_prometheus_over(&degrading_history(t0), BasicAuth::Off);
    std::fs::write(ws.join("gatehouse.toml"), promql_policy(&server.url))?;
    go_to(s, "loop")?;
    s.wait_for(
        "[data-testid=gate][data-gate='rollout'][data-state='blocked']",
        WAIT,
    )?;
    let (_, summary) = loop_rollout_gate(s)?;
    assert_eq!(
        summary,
        "error rate of v2 was up to 3.0× stable: `value > 2.2` in 2 of 6 checks; limit 1"
    );
    let status: Value = serde_json::from_str(&gatehouse(&ws, &["--json", "status"])?)?;
    let cli = status["gates"]
        .as_array()
        .context("gates")?
        .iter()
        .find(|g| g["id"] == "rollout")
        .context("no rollout gate")?;
    assert_eq!(
        (cli["state"].as_str(), cli["summary"].as_str()),
        (Some("blocked"), Some(summary.as_str()))
    );
    go_to(s, "rollout")?;
    s.wait_for("[data-testid=rollout-verdict][data-verdict='failed']", WAIT)?;
    let from = s.wait_for_text("[data-testid=rollout-from]", WAIT)?;
    let to = s.wait_for_text("[data-testid=rollout-to]", WAIT)?;
    assert_eq!((from.trim(), to.trim()), ("v2", "v1"));
    panel.save_screenshot("rollout-promql-failed.png")?;
    Ok(())
}
