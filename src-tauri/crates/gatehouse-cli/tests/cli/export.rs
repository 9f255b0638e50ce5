//! `export loop`: the loop diagram with the team's owners and gates, as documents embed it.

use super::*;

/// The owners the demo's policy names for its gates, and for its model (train and retrain).
const DEMO_OWNERS: [&str; 5] = [
    "Data platform",
    "Churn modelling",
    "Release council",
    "Serving SRE",
    "ML on-call",
];

fn red() -> String {
    let c = gatehouse_charts::gate_colour(
        gatehouse_core::gate::GateState::Blocked,
        gatehouse_charts::Theme::Light,
    );
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

#[test]
fn the_loop_exports_with_its_owners_live_or_blank() {
    let ws = demo();
    let svg_path = ws.path().join("loop.svg");
    let svg_arg = svg_path.to_str().unwrap();
    let doc = stdout_json(&gatehouse(
        ws.path(),
        &["--json", "export", "loop", "--format", "svg", "-o", svg_arg],
    ));
    assert_eq!(doc["written"], svg_arg);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let lines: Vec<&str> = svg.lines().map(str::trim).collect();
    for name in DEMO_OWNERS
        .iter()
        .chain(&["Data quality", "Retrain trigger", "blocked"])
    {
        assert!(lines.contains(name), "{name} missing");
    }
    assert!(lines
        .iter()
        .any(|l| l.starts_with("Acme retention (demo) · the loop of model churn")));
    assert!(svg.contains(&red()), "no red stop node");
    assert!(!svg_path.with_file_name("loop.svg.partial").exists());

    let blank_path = ws.path().join("blank.svg");
    let out = gatehouse(
        ws.path(),
        &[
            "export",
            "loop",
            "--format",
            "svg",
            "--blank",
            "-o",
            blank_path.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("wrote {}", blank_path.display())
    );
    let blank = std::fs::read_to_string(&blank_path).unwrap();
    assert!(!blank.contains(&red()), "a blank export shows a red gate");
    assert!(!blank.lines().any(|l| l.trim() == "blocked"));
    for name in DEMO_OWNERS {
        assert!(blank.lines().any(|l| l.trim() == name), "{name} missing");
    }

    let png_path = ws.path().join("loop.png");
    let out = gatehouse(
        ws.path(),
        &[
            "export",
            "loop",
            "--format",
            "png",
            "--theme",
            "dark",
            "-o",
            png_path.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let png = std::fs::read(&png_path).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // The IHDR chunk comes first: width and height, big-endian.
    assert_eq!(&png[12..16], b"IHDR");
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 2240);
    assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 1360);
}

#[test]
fn a_file_named_for_the_other_format_and_a_missing_workspace_are_refused() {
    let ws = demo();
    let out = gatehouse(
        ws.path(),
        &[
            "--json", "export", "loop", "--format", "png", "-o", "loop.svg",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["code"], "invalid");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("--format asks for png"));
    assert!(!ws.path().join("loop.svg").exists());

    let out = gatehouse(ws.path(), &["export", "loop", "-o", "loop.svg"]);
    assert_eq!(out.status.code(), Some(2), "--format is required");

    let nowhere = ws.path().join("nowhere");
    let target = ws.path().join("x.svg");
    let out = gatehouse(
        &nowhere,
        &[
            "export",
            "loop",
            "--format",
            "svg",
            "-o",
            target.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!target.exists());

    let unwritable = ws.path().join("no-such-dir").join("loop.svg");
    let out = gatehouse(
        ws.path(),
        &[
            "--json",
            "export",
            "loop",
            "--format",
            "svg",
            "-o",
            unwritable.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("cannot write"));
}

#[test]
fn a_blank_export_needs_no_back_end_and_a_live_one_says_which_is_down() {
    let ws = demo();
    let policy = ws.path().join("gatehouse.toml");
    // A loopback port nothing listens on: the registry is down.
    let down = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", down.local_addr().unwrap());
    drop(down);
    let text = std::fs::read_to_string(&policy).unwrap().replace(
        "[backends.registry]\nkind = \"embedded\"",
        &format!("[backends.registry]\nkind = \"mlflow\"\nurl = \"{url}\""),
    );
    assert!(text.contains(&url), "the demo policy names its registry");
    std::fs::write(&policy, text).unwrap();

    let blank = ws.path().join("blank.svg");
    let out = gatehouse(
        ws.path(),
        &[
            "export",
            "loop",
            "--format",
            "svg",
            "--blank",
            "-o",
            blank.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let svg = std::fs::read_to_string(&blank).unwrap();
    for name in DEMO_OWNERS {
        assert!(svg.lines().any(|l| l.trim() == name), "{name} missing");
    }

    let live = ws.path().join("live.svg");
    let out = gatehouse(
        ws.path(),
        &[
            "export",
            "loop",
            "--format",
            "svg",
            "-o",
            live.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains(&url), "{}", stderr(&out));
    assert!(!live.exists());
}
