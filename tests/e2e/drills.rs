//! A Learn drill in the window: the trainee starts the canary drill from the Learn view, the
//! panel switches to the drill's copy with its banner, the script degrades the canary until the
//! Rollout view proposes a rollback, the trainee takes a hint and rolls back there with a reason,
//! finishes, and reads the debrief; the workspace itself never moved.

use super::*;

/// `result`, with a screenshot of the window saved as `name` when it is an error.
fn shot_on_error<T>(panel: &Panel, name: &str, result: Result<T>) -> Result<T> {
    if result.is_err() {
        let _ = panel.save_screenshot(name);
    }
    result
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn a_trainee_plays_the_canary_drill_in_the_window_and_reads_the_debrief() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;

    let panel = Panel::open_as(&ws, "dana", LOOP_READY)?;
    let s = panel.session();
    go_to(s, "learn")?;
    let card = "[data-testid=drill-card][data-drill='canary-rollback']";
    let best = s.wait_for_text(&format!("{card} [data-testid=drill-best]"), WAIT)?;
    assert_eq!(best.trim(), "Not played yet");
    s.click(&s.wait_for(&format!("{card} [data-testid=drill-start]"), WAIT)?)?;

    // The panel reloads on the drill copy, on the Loop, under the banner.
    s.wait_for(
        "[data-testid=drill-banner][data-drill='canary-rollback']",
        WAIT,
    )?;
    let warning = s.wait_for_text("[data-testid=drill-warning]", WAIT)?;
    assert_eq!(
        warning,
        "Drill workspace — a throw-away copy; nothing here reaches a real back end"
    );
    s.wait_for(LOOP_READY, WAIT)?;
    let shown = s.execute(
        "return document.querySelector('[data-testid=loop-view] h1').title;",
        json!([]),
    )?;
    assert!(
        shown
            .as_str()
            .unwrap_or_default()
            .contains("/drills/canary-rollback-"),
        "the Loop shows the drill copy's workspace"
    );

    // The script's measurements fail the canary's analysis within its first 13 seconds.
    s.wait_until(
        "the rollout gate to turn red on the drill copy",
        "return !!document.querySelector(\"[data-testid=gate][data-gate='rollout'][data-state='blocked']\");",
        WAIT,
    )?;
    s.click(&s.wait_for("[data-testid=drill-hint]", WAIT)?)?;
    let hints = s.wait_for_text("[data-testid=drill-hints]", WAIT)?;
    assert!(hints.contains("Open the Rollout view"), "{hints}");
    panel.save_screenshot("learn-drill-running.png")?;

    shot_on_error(
        &panel,
        "learn-drill-failed-rollout.png",
        go_to(s, "rollout"),
    )?;
    s.wait_for("[data-testid=rollout-verdict][data-verdict='failed']", WAIT)?;
    s.click(&s.wait_for("[data-testid=rollout-confirm]", WAIT)?)?;
    let reason = s.wait_for("[data-testid=rollback-reason]", WAIT)?;
    s.send_keys(&reason, "canary error rate near 3x stable")?;
    s.click(&s.wait_for("[data-testid=rollback-confirm]", WAIT)?)?;
    let done = s.wait_for_text("[data-testid=rollout-done]", WAIT)?;
    assert!(done.contains("v3 → v2"), "{done}");
    // The rollback's dialog is modal: the banner takes clicks again once it has closed.
    s.wait_until(
        "the rollback dialog to close",
        "return !document.querySelector('dialog[open]');",
        WAIT,
    )?;

    // Finish: the panel shows the workspace again, with the debrief in the Learn view.
    s.click(&s.wait_for("[data-testid=drill-finish]", WAIT)?)?;
    shot_on_error(
        &panel,
        "learn-drill-failed-debrief.png",
        s.wait_for("[data-testid=drill-debrief][data-outcome='passed']", WAIT),
    )?;
    let debrief = s.execute(
        "return {
           actions: [...document.querySelectorAll('[data-testid=debrief-action]')].map(e => [e.dataset.action, e.dataset.mark]),
           score: document.querySelector('[data-testid=drill-score]').dataset.score,
           banner: !!document.querySelector('[data-testid=drill-banner]'),
         };",
        json!([]),
    )?;
    assert_eq!(
        debrief,
        json!({
            "actions": [["rollback_requested", "expected"]],
            "score": "95",
            "banner": false,
        })
    );
    let line = s.wait_for_text("[data-testid=debrief-action]", WAIT)?;
    assert!(line.contains("canary error rate near 3x stable"), "{line}");
    s.execute(
        "document.querySelector('[data-testid=drills]').scrollIntoView();",
        json!([]),
    )?;
    panel.save_screenshot("learn-drill-debrief.png")?;
    // The team's progress counts the drill for Dana.
    let drills = s.wait_for_text(
        "[data-testid=team-progress][data-user='dana'] [data-testid=team-drills]",
        WAIT,
    )?;
    assert_eq!(drills.trim(), "1 / 4 drills");

    // The result is kept in the workspace, and the workspace's own production never moved.
    let cards: Value = serde_json::from_str(&gatehouse(
        &ws,
        &["--user", "dana", "--json", "drill", "list"],
    )?)?;
    let card = cards
        .as_array()
        .context("cards")?
        .iter()
        .find(|c| c["id"] == "canary-rollback")
        .context("the canary drill")?;
    assert_eq!(card["best"]["score"], 95);
    let listing: Value = serde_json::from_str(&gatehouse(&ws, &["--json", "registry", "list"])?)?;
    let shown = listing.to_string();
    assert!(
        shown.contains("\"production\":\"3\""),
        "production of the workspace is still v3: {shown}"
    );
    Ok(())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn a_trainee_quarantines_the_broken_batch_from_the_gate_drawer() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;

    let panel = Panel::open_as(&ws, "sam", LOOP_READY)?;
    let s = panel.session();
    go_to(s, "learn")?;
    s.click(&s.wait_for(
        "[data-testid=drill-card][data-drill='schema-break'] [data-testid=drill-start]",
        WAIT,
    )?)?;
    s.wait_for(
        "[data-testid=drill-banner][data-drill='schema-break']",
        WAIT,
    )?;
    // The clean batch lets the data through; ten seconds in, the broken one blocks it.
    s.wait_until(
        "the data-quality gate to turn red on the drill copy",
        "return !!document.querySelector(\"[data-testid=gate][data-gate='data-quality'][data-state='blocked']\");",
        WAIT,
    )?;
    s.click(&s.wait_for(
        "[data-testid=gate][data-gate='data-quality'] polygon.octagon",
        WAIT,
    )?)?;
    // Sam is a viewer in the demo; the drill makes the trainee an operator in its copy.
    s.click(&s.wait_for(
        "[data-testid=quarantine-open][data-batch='nightly-0413']",
        WAIT,
    )?)?;
    let reason = s.wait_for("[data-testid=quarantine-reason]", WAIT)?;
    s.send_keys(&reason, "plan arrived as integer codes")?;
    s.click(&s.wait_for("[data-testid=quarantine-confirm]", WAIT)?)?;
    let done = s.wait_for_text("[data-testid=quarantine-done]", WAIT)?;
    assert!(done.contains("Batch nightly-0413 quarantined"), "{done}");
    s.press("\u{E00C}")?;

    s.click(&s.wait_for("[data-testid=drill-finish]", WAIT)?)?;
    shot_on_error(
        &panel,
        "learn-drill-failed-quarantine.png",
        s.wait_for("[data-testid=drill-debrief][data-outcome='passed']", WAIT),
    )?;
    let marks = s.execute(
        "return [...document.querySelectorAll('[data-testid=debrief-action]')].map(e => [e.dataset.action, e.dataset.mark]);",
        json!([]),
    )?;
    assert_eq!(marks, json!([["quarantined", "expected"]]));
    Ok(())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn a_trainee_asks_the_model_owner_to_retrain_from_the_drift_view() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;

    let panel = Panel::open_as(&ws, "priya", LOOP_READY)?;
    let s = panel.session();
    go_to(s, "learn")?;
    s.click(&s.wait_for(
        "[data-testid=drill-card][data-drill='feature-drift'] [data-testid=drill-start]",
        WAIT,
    )?)?;
    s.wait_for(
        "[data-testid=drill-banner][data-drill='feature-drift']",
        WAIT,
    )?;
    // Five seconds in, the serving stream moves on by ten windows.
    s.wait_for(
        "[data-testid=drill-banner][data-drill='feature-drift'][data-applied='1']",
        WAIT,
    )?;
    go_to(s, "drift")?;
    s.click(&s.wait_for("[data-testid=retrain-open]", WAIT)?)?;
    s.wait_until(
        "the owners to be listed",
        "return document.querySelectorAll('[data-testid=retrain-owner] option').length > 1;",
        WAIT,
    )?;
    s.execute(
        "const o = document.querySelector('[data-testid=retrain-owner]'); o.value = 'churn-models'; o.dispatchEvent(new Event('change'));",
        json!([]),
    )?;
    let reason = s.wait_for("[data-testid=retrain-reason]", WAIT)?;
    s.send_keys(&reason, "region mix moved: apac doubled")?;
    panel.save_screenshot("learn-drill-retrain.png")?;
    s.click(&s.wait_for("[data-testid=retrain-confirm]", WAIT)?)?;
    let done = s.wait_for_text("[data-testid=retrain-done]", WAIT)?;
    assert!(done.contains("Churn modelling asked to retrain"), "{done}");

    s.click(&s.wait_for("[data-testid=drill-finish]", WAIT)?)?;
    shot_on_error(
        &panel,
        "learn-drill-failed-retrain.png",
        s.wait_for("[data-testid=drill-debrief][data-outcome='passed']", WAIT),
    )?;
    let marks = s.execute(
        "return [...document.querySelectorAll('[data-testid=debrief-action]')].map(e => [e.dataset.action, e.dataset.mark]);",
        json!([]),
    )?;
    assert_eq!(marks, json!([["retrain_requested", "expected"]]));
    Ok(())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn a_drill_left_by_a_closed_panel_is_resumed_from_the_learn_view() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    gatehouse(
        &ws,
        &["--user", "dana", "drill", "start", "canary-rollback"],
    )?;

    // A fresh panel shows the workspace, and offers the drill it finds unfinished.
    let panel = Panel::open_as(&ws, "dana", LOOP_READY)?;
    let s = panel.session();
    assert!(s.find_all("[data-testid=drill-banner]")?.is_empty());
    go_to(s, "learn")?;
    s.click(&s.wait_for(
        "[data-testid=drill-unfinished][data-drill='canary-rollback'] [data-testid=drill-resume]",
        WAIT,
    )?)?;
    s.wait_for(
        "[data-testid=drill-banner][data-drill='canary-rollback'][data-applied='3']",
        WAIT,
    )?;
    s.click(&s.wait_for("[data-testid=drill-give-up]", WAIT)?)?;
    s.click(&s.wait_for("[data-testid=drill-give-up-confirm]", WAIT)?)?;
    s.wait_for("[data-testid=drill-debrief][data-outcome='gave_up']", WAIT)?;
    assert!(s.find_all("[data-testid=drill-unfinished]")?.is_empty());
    Ok(())
}
