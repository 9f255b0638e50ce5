//! Exporting the loop diagram for documents: Export in the Loop view writes the loop with its
//! owners and live states into the workspace's `exports/` and says where; blank leaves every gate
//! neutral; the Learn view's Export starts blank, for onboarding decks.

use super::*;

/// Clicks Export, sets blank, saves in `format`, and returns the path the view says it wrote.
fn export(s: &Session, format: &str, blank: bool) -> Result<PathBuf> {
    let before = s.execute(
        "const n = document.querySelector('[data-testid=loop-exported]'); return n ? n.textContent : '';",
        json!([]),
    )?;
    s.click(&s.wait_for("[data-testid=loop-export]", WAIT)?)?;
    let ticked = s.execute(
        "return document.querySelector('[data-testid=loop-export-blank]').checked;",
        json!([]),
    )?;
    if ticked != json!(blank) {
        s.click(&s.wait_for("[data-testid=loop-export-blank]", WAIT)?)?;
    }
    s.click(&s.wait_for(&format!("[data-testid=loop-export-{format}]"), WAIT)?)?;
    s.wait_until(
        "the export to be saved",
        &format!(
            "const n = document.querySelector('[data-testid=loop-exported]');
             return !!n && n.textContent !== {before} && n.textContent.includes('.{format}');"
        ),
        WAIT,
    )?;
    let said = s.wait_for_text("[data-testid=loop-exported] .mono", WAIT)?;
    let path = said
        .trim()
        .strip_prefix("Saved ")
        .with_context(|| format!("the view says: {said}"))?;
    Ok(PathBuf::from(path))
}

/// A PNG's width and height from its IHDR chunk, after checking the signature.
fn png_size(bytes: &[u8]) -> Result<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        bail!("not a png");
    }
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Ok((be(16), be(20)))
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn export_in_the_loop_view_writes_the_loop_with_its_owners_and_says_where() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    let panel = Panel::open(&ws)?;
    let s = panel.session();
    s.wait_for("[data-testid=loop-view][data-ready=true]", WAIT)?;
    let exports = ws.join("exports");

    // PNG with today's states, at twice the diagram's size.
    let png = export(s, "png", false)?;
    panel.save_screenshot("loop-export.png")?;
    assert_eq!(png.parent(), Some(exports.as_path()), "{}", png.display());
    let name = png.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    assert!(
        name.starts_with("loop-") && !name.starts_with("loop-blank"),
        "{name}"
    );
    assert_eq!(png_size(&std::fs::read(&png)?)?, (2240, 1360));

    // SVG, blank: the owners from the demo's policy, and no gate in a state's colour.
    let svg_path = export(s, "svg", true)?;
    let name = svg_path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    assert!(
        name.starts_with("loop-blank-") && name.ends_with(".svg"),
        "{name}"
    );
    let svg = std::fs::read_to_string(&svg_path)?;
    let lines: Vec<&str> = svg.lines().map(str::trim).collect();
    for owner in [
        "Data platform",
        "Churn modelling",
        "Release council",
        "Serving SRE",
        "ML on-call",
    ] {
        assert!(lines.contains(&owner), "{owner} missing from {name}");
    }
    assert!(lines.contains(&"Acme retention (demo) · the loop of model churn"));
    assert!(
        !svg.contains("#D92D20") && !lines.contains(&"blocked"),
        "a blank export shows state"
    );

    // The live export names the blocked gate's state; the panel shows the same gate blocked.
    let live_svg = export(s, "svg", false)?;
    let live = std::fs::read_to_string(&live_svg)?;
    assert!(live.contains("#D92D20") && live.lines().any(|l| l.trim() == "blocked"));
    let shown = drawn(s)?;
    let blocked = shown["gates"]
        .as_array()
        .context("gates")?
        .iter()
        .filter(|g| g["state"] == "blocked")
        .count();
    assert!(blocked >= 1, "{shown}");

    // The Learn view's Export starts blank.
    go_to(s, "learn")?;
    s.click(&s.wait_for("[data-testid=loop-export]", WAIT)?)?;
    let ticked = s.execute(
        "return document.querySelector('[data-testid=loop-export-blank]').checked;",
        json!([]),
    )?;
    assert_eq!(ticked, json!(true), "the Learn view's export starts blank");
    panel.save_screenshot("loop-export-options.png")?;
    s.click(&s.wait_for("[data-testid=loop-export]", WAIT)?)?;
    let deck = export(s, "png", true)?;
    panel.save_screenshot("loop-export-learn.png")?;
    let name = deck
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    assert!(
        name.starts_with("loop-blank-") && name.ends_with(".png"),
        "{name}"
    );
    assert_eq!(png_size(&std::fs::read(&deck)?)?, (2240, 1360));

    let mut written: Vec<String> = std::fs::read_dir(&exports)?
        .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_>>()?;
    written.sort();
    assert_eq!(written.len(), 4, "{written:?}");
    Ok(())
}
