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
    let dir = tempfile::tempdir()?;
    let ws = dir.path().join("ws");
    gatehouse(&ws, &["demo"])?;
    assert_eq!(cli_rollout_state(&ws)?, "passed");
    assert_eq!(production(&ws)?, "3");

    // The canary is measured every second: it fails its analysis at the fourth measurement.
    let panel = Panel::launch(
        &ws,
        "dana",
        "main[data-testid=loop-view][data-ready=true]",
        2,
    )?;
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
    let dir = tempfile::tempdir()?;
    let ws = dir.path().join("ws");
    gatehouse(&ws, &["demo"])?;
    let panel = Panel::launch(
        &ws,
        "sam",
        "main[data-testid=loop-view][data-ready=true]",
        2,
    )?;
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
    let dir = tempfile::tempdir()?;
    let ws = dir.path().join("ws");
    gatehouse(&ws, &["demo"])?;
    let panel = Panel::launch(
        &ws,
        "erin",
        "main[data-testid=loop-view][data-ready=true]",
        2,
    )?;
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
