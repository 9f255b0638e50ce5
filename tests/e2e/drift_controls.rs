//! The Drift view's controls: pick a feature, a window and a method and see the charts and the
//! numbers change; hover a score chart for the window's read-out; pause the live stream and see
//! the charts hold still while the workspace moves on (and redraw in the other theme when it is
//! toggled), then resume; export the shown chart as PNG and SVG into the workspace's `exports/`;
//! and the charts move with the boards the shell pushes over its channel, the view never polling.

use super::*;

/// How many updates the drift feed's channel has delivered to the view.
const MESSAGES: &str =
    "return Number(document.querySelector('main[data-testid=drift-view]').dataset.channelMessages);";
/// The feed's step whose board the view shows.
const SEQ: &str = "return document.querySelector('main[data-testid=drift-view]').dataset.seq;";

/// Sets a `<select>` by test id to `value` as a person choosing an option does.
fn choose(s: &webdriver::Session, testid: &str, value: &str) -> Result<()> {
    s.execute(
        "const e = document.querySelector(`[data-testid=${arguments[0]}]`); e.value = arguments[1]; e.dispatchEvent(new Event('change', { bubbles: true })); return e.value;",
        json!([testid, value]),
    )?;
    Ok(())
}

/// What the one shown feature card says and draws right now.
fn card(s: &webdriver::Session) -> Result<Value> {
    s.execute(
        "const c = [...document.querySelectorAll('[data-testid=drift-feature]')];
         const f = c[0];
         const q = (sel) => f.querySelector(sel);
         return {
           cards: c.map(e => e.dataset.feature),
           method: q('dd .mono').textContent.trim(),
           score: q('[data-testid=drift-latest-score]').textContent.trim(),
           label: q('[data-testid=drift-latest-score]').previousElementSibling.textContent.trim(),
           chart: q('[data-testid=drift-score-chart]')?.getAttribute('src') ?? '',
           histogram: q('[data-testid=drift-histogram-chart]')?.getAttribute('src') ?? '',
           onset: q('[data-testid=drift-onset]')?.textContent.trim() ?? null,
         };",
        json!([]),
    )
}

/// A script true once the card's `key` differs from `before` and every chart is drawn.
fn changed(key: &str, before: &Value) -> Result<String> {
    Ok(format!(
        "const v = document.querySelector('main[data-testid=drift-view]');
         const f = document.querySelector('[data-testid=drift-feature]');
         const read = {{
           method: () => f.querySelector('dd .mono').textContent.trim(),
           chart: () => f.querySelector('[data-testid=drift-score-chart]')?.getAttribute('src'),
           histogram: () => f.querySelector('[data-testid=drift-histogram-chart]')?.getAttribute('src'),
           label: () => f.querySelector('[data-testid=drift-latest-score]').previousElementSibling.textContent.trim(),
         }};
         return v.dataset.ready === 'true' && read[{}]() !== {};",
        serde_json::to_string(key)?,
        serde_json::to_string(before)?
    ))
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn picking_feature_window_and_method_changes_the_charts_and_exports_what_is_shown() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    let panel = Panel::open(&ws)?;
    let s = panel.session();
    go_to(s, "drift")?;

    // One feature: tenure, drifting now, with the onset of its drift named.
    choose(s, "drift-pick-feature", "tenure_months")?;
    s.wait_until(
        "only the tenure card",
        "return document.querySelectorAll('[data-testid=drift-feature]').length === 1;",
        WAIT,
    )?;
    let before = card(s)?;
    assert_eq!(before["cards"], json!(["tenure_months"]), "{before}");
    let onset = before["onset"].as_str().context("an onset")?;
    assert!(onset.contains("drifting since "), "{onset}");
    let policy_method = before["method"].as_str().context("method")?.to_owned();

    // Another method: the card, the score and the chart follow.
    choose(s, "drift-pick-method", "psi")?;
    s.wait_until("the psi chart", &changed("chart", &before["chart"])?, WAIT)?;
    let psi = card(s)?;
    assert_eq!(psi["method"], "psi", "{psi}");
    assert_ne!(policy_method, "psi");
    assert_ne!(psi["score"], before["score"], "{before} → {psi}");

    // An early window: the histogram and the score read that window, not the latest.
    let first_window = "0";
    choose(s, "drift-pick-window", first_window)?;
    s.wait_until(
        "the first window's histogram",
        &changed("histogram", &psi["histogram"])?,
        WAIT,
    )?;
    let early = card(s)?;
    assert_eq!(early["label"], "Score in window", "{early}");
    assert_ne!(early["score"], psi["score"], "{psi} → {early}");
    assert_ne!(early["chart"], psi["chart"], "the picked window is ringed");

    // Hovering the last marker of the score chart reads that window out.
    s.execute(
        "document.querySelector('[data-testid=drift-feature]').scrollIntoView({ block: 'end' });
         const i = document.querySelector('[data-testid=drift-score-chart]');
         const r = i.getBoundingClientRect();
         const x = r.left + r.width * 600 / 640, y = r.top + r.height / 2;
         i.dispatchEvent(new MouseEvent('mousemove', { clientX: x, clientY: y, bubbles: true }));
         return true;",
        json!([]),
    )?;
    let readout = s.wait_for_text("[data-testid=drift-readout]", WAIT)?;
    assert!(readout.starts_with("window ending "), "{readout}");
    assert!(readout.contains("psi"), "{readout}");
    panel.save_screenshot("drift-controls.png")?;

    // Export what is shown, as PNG and SVG, into the workspace.
    for format in ["png", "svg"] {
        s.click(&s.wait_for(&format!("[data-testid=drift-export-{format}]"), WAIT)?)?;
        s.wait_until(
            "the export to be saved",
            &format!("const n = document.querySelector('[data-testid=drift-exported]'); return !!n && n.textContent.includes('.{format}');"),
            WAIT,
        )?;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(ws.join("exports"))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        assert!(name.starts_with("drift-tenure_months-score-"), "{name}");
        let bytes = std::fs::read(f)?;
        if name.ends_with(".png") {
            assert!(bytes.starts_with(b"\x89PNG"), "{name} is no PNG");
        } else {
            let text = String::from_utf8(bytes)?;
            assert!(
                text.contains("<svg") && text.contains("tenure_months · psi"),
                "{name}"
            );
        }
    }
    Ok(())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn a_paused_drift_view_holds_still_while_the_stream_moves_on() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    let panel = Panel::launch(&ws, "dana", LOOP_READY, 2)?;
    let s = panel.session();
    go_to(s, "drift")?;
    let heatmap =
        "return document.querySelector('[data-testid=drift-heatmap]').getAttribute('src');";
    // When the retrain trigger last read the drift: a new window of the stream moves it.
    let windows = || -> Result<i64> {
        let status: Value = serde_json::from_str(&gatehouse(&ws, &["--json", "status"])?)?;
        let trigger = status["gates"]
            .as_array()
            .context("gates")?
            .iter()
            .find(|g| g["id"] == "retrain-trigger")
            .context("retrain trigger")?;
        trigger["evidence"]
            .as_array()
            .context("evidence")?
            .iter()
            .find(|e| e["check"] == "drift")
            .and_then(|e| e["read_at"].as_i64())
            .context("drift reading")
    };
    s.click(&s.wait_for("[data-testid=drift-pause]", WAIT)?)?;
    s.wait_for("[data-testid=drift-paused]", WAIT)?;
    let held = s.execute(heatmap, json!([]))?;
    let held_seq = s.execute(SEQ, json!([]))?;
    let pushed = s
        .execute(MESSAGES, json!([]))?
        .as_i64()
        .context("messages")?;
    let status_before = windows()?;
    // The stream moves a window every 2 s; give it three.
    std::thread::sleep(Duration::from_secs(7));
    assert_ne!(windows()?, status_before, "the workspace moved on");
    assert_eq!(
        s.execute(heatmap, json!([]))?,
        held,
        "the paused view held still"
    );
    assert!(
        s.execute(MESSAGES, json!([]))?
            .as_i64()
            .context("messages")?
            > pushed,
        "the feed kept pushing while the view was paused"
    );

    // The other theme redraws the board the paused view holds, not the stream's latest.
    s.click(&s.wait_for("[data-testid=theme-toggle]", WAIT)?)?;
    s.wait_until(
        "the held heatmap in the other theme",
        &format!(
            "const v = document.querySelector('main[data-testid=drift-view]'); const i = document.querySelector('[data-testid=drift-heatmap]'); return v.dataset.ready === 'true' && !!i && i.getAttribute('src') !== {};",
            serde_json::to_string(&held)?
        ),
        WAIT,
    )?;
    assert_eq!(s.execute(SEQ, json!([]))?, held_seq, "still the held board");
    assert_eq!(
        s.execute(
            "return document.querySelectorAll('[data-testid=drift-view] .chart-error').length;",
            json!([])
        )?,
        json!(0),
        "every chart of the held board drawn"
    );
    panel.save_screenshot("drift-paused-dark.png")?;
    let themed = s.execute(heatmap, json!([]))?;
    s.click(&s.wait_for("[data-testid=theme-toggle]", WAIT)?)?;
    s.wait_until(
        "the held heatmap back in the first theme",
        &format!(
            "const v = document.querySelector('main[data-testid=drift-view]'); const i = document.querySelector('[data-testid=drift-heatmap]'); return v.dataset.ready === 'true' && !!i && i.getAttribute('src') !== {};",
            serde_json::to_string(&themed)?
        ),
        WAIT,
    )?;
    assert_eq!(
        s.execute(heatmap, json!([]))?,
        held,
        "the same board in the same theme draws the same chart"
    );

    s.click(&s.wait_for("[data-testid=drift-pause]", WAIT)?)?;
    s.wait_until(
        "the heatmap to catch up",
        &format!(
            "const i = document.querySelector('[data-testid=drift-heatmap]'); return !!i && i.getAttribute('src') !== {};",
            serde_json::to_string(&held)?
        ),
        WAIT,
    )?;
    Ok(())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn the_drift_charts_follow_the_boards_pushed_over_the_channel() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    let panel = Panel::launch(&ws, "dana", LOOP_READY, 2)?;
    let s = panel.session();
    go_to(s, "drift")?;
    s.wait_for("main[data-testid=drift-view][data-ready=true]", WAIT)?;
    let first_seq: i64 = s
        .execute(SEQ, json!([]))?
        .as_str()
        .context("seq")?
        .parse()?;
    let first_messages = s
        .execute(MESSAGES, json!([]))?
        .as_i64()
        .context("messages")?;
    assert!(
        first_messages >= 1,
        "the feed's latest board arrives at once"
    );
    let heatmap = s.execute(
        "return document.querySelector('[data-testid=drift-heatmap]').getAttribute('src');",
        json!([]),
    )?;
    // A new window of the stream: the shell pushes a board, and the view draws it without
    // asking for one (no timer of the view reads the drift board).
    s.wait_until(
        "a pushed board to be drawn",
        &format!(
            "const v = document.querySelector('main[data-testid=drift-view]'); const i = document.querySelector('[data-testid=drift-heatmap]');
             return v.dataset.ready === 'true' && Number(v.dataset.channelMessages) > {first_messages} && Number(v.dataset.seq) > {first_seq} && i.getAttribute('src') !== {};",
            serde_json::to_string(&heatmap)?
        ),
        WAIT,
    )?;
    let seq: i64 = s
        .execute(SEQ, json!([]))?
        .as_str()
        .context("seq")?
        .parse()?;
    let messages = s
        .execute(MESSAGES, json!([]))?
        .as_i64()
        .context("messages")?;
    assert!(
        messages - first_messages >= seq - first_seq,
        "every step shown came over the channel: {first_messages}→{messages} messages, steps {first_seq}→{seq}"
    );
    Ok(())
}
