//! End-to-end journeys on the real window: the built app under Xvfb, driven over WebDriver by
//! tauri-driver and WebKitWebDriver. `scripts/test` builds the app and runs these with
//! `--ignored`; they need `GATEHOUSE_APP` and `GATEHOUSE_CLI` (paths to the built binaries) and a
//! display.

// Test helpers fail loudly on purpose: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alertmanager;
mod drift_controls;
mod drift_prometheus;
mod drills;
mod loop_export;
mod mlflow;
mod rollout;
mod teamstore;
mod webdriver;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use webdriver::Session;

const WAIT: Duration = Duration::from_secs(30);

fn env_path(name: &str) -> Result<PathBuf> {
    let path = std::env::var_os(name).map(PathBuf::from).with_context(|| {
        format!("{name} is not set: run the end-to-end tests through scripts/test")
    })?;
    if !path.is_file() {
        bail!("{name}={} is not a file", path.display());
    }
    Ok(path)
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn artifacts() -> Result<PathBuf> {
    let dir = std::env::var_os("GATEHOUSE_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts/e2e"));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Runs the `gatehouse` command on a workspace and returns its standard output.
fn gatehouse(workspace: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(env_path("GATEHOUSE_CLI")?)
        .arg("--workspace")
        .arg(workspace)
        .args(args)
        .output()?;
    if !out.status.success() {
        bail!(
            "gatehouse {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// A fresh demo workspace, `ws` in a temporary directory that goes with the guard.
fn demo_workspace() -> Result<(tempfile::TempDir, PathBuf)> {
    let dir = tempfile::tempdir()?;
    let ws = dir.path().join("ws");
    gatehouse(&ws, &["demo"])?;
    Ok((dir, ws))
}

/// Matches once the Loop view has drawn its first state: the panel is ready.
const LOOP_READY: &str = "main[data-testid=loop-view][data-ready=true]";

/// A tauri-driver process, killed when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The app on a workspace, with its own driver, home folders and ports. Fields drop in order:
/// the session (closing the app) before the driver.
struct Panel {
    session: Session,
    _driver: Driver,
    _home: tempfile::TempDir,
}

impl Panel {
    /// Opens the app and waits for the Loop view to be drawn.
    fn open(workspace: &Path) -> Result<Panel> {
        Panel::open_as(workspace, "erin", LOOP_READY)
    }

    /// Opens the app and waits until `ready` (a CSS selector) matches.
    fn open_until(workspace: &Path, ready: &str) -> Result<Panel> {
        Panel::open_as(workspace, "erin", ready)
    }

    /// Opens the app acting as `user` and waits until `ready` matches. The demo's live stream is
    /// off, so that states do not move under a journey that compares them.
    fn open_as(workspace: &Path, user: &str, ready: &str) -> Result<Panel> {
        Panel::launch(workspace, user, ready, 0)
    }

    /// Opens the app with the demo's serving stream moving every `stream_secs` (0: still).
    fn launch(workspace: &Path, user: &str, ready: &str, stream_secs: u64) -> Result<Panel> {
        Panel::launch_with(workspace, user, ready, stream_secs, &[])
    }

    /// [`Panel::launch`] with more environment for the app (a keyring entry to log in with).
    fn launch_with(
        workspace: &Path,
        user: &str,
        ready: &str,
        stream_secs: u64,
        env: &[(&str, &str)],
    ) -> Result<Panel> {
        let app = env_path("GATEHOUSE_APP")?;
        let home = tempfile::tempdir()?;
        let (port, native) = (free_port()?, free_port()?);
        let driver = Driver(
            Command::new("tauri-driver")
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &native.to_string(),
                ])
                .env("XDG_DATA_HOME", home.path().join("data"))
                .env("XDG_CONFIG_HOME", home.path().join("config"))
                .env("XDG_CACHE_HOME", home.path().join("cache"))
                .env("NO_AT_BRIDGE", "1")
                .env("GATEHOUSE_WORKSPACE", workspace)
                .env("GATEHOUSE_DEMO_STREAM_SECS", stream_secs.to_string())
                .envs(env.iter().copied())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .context("cannot start tauri-driver (scripts/setup --test installs it)")?,
        );
        let url = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        while reqwest::blocking::get(format!("{url}/status")).is_err() {
            if start.elapsed() > WAIT {
                bail!("tauri-driver did not answer on port {port}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let capabilities = json!({
            "browserName": "wry",
            "tauri:options": {
                "application": app,
                "args": ["--workspace", workspace, "--user", user],
            }
        });
        let session = Session::start(&url, capabilities)?;
        session
            .wait_for(ready, WAIT)
            .with_context(|| format!("the panel never showed {ready}"))?;
        Ok(Panel {
            session,
            _driver: driver,
            _home: home,
        })
    }

    fn session(&self) -> &Session {
        &self.session
    }

    fn save_screenshot(&self, name: &str) -> Result<PathBuf> {
        let path = artifacts()?.join(name);
        std::fs::write(&path, self.session().screenshot()?)?;
        Ok(path)
    }
}

impl Drop for Panel {
    fn drop(&mut self) {
        let _ = self.session.end();
    }
}

/// Reads the diagram's stages and gates as the DOM shows them.
fn drawn(session: &Session) -> Result<Value> {
    session.execute(
        "const q = s => [...document.querySelectorAll(s)];
         return {
           stages: q('[data-testid=stage]').map(e => ({ id: e.dataset.stage, state: e.dataset.state, text: e.textContent })),
           gates: q('[data-testid=gate]').map(e => ({ id: e.dataset.gate, state: e.dataset.state })),
           theme: document.documentElement.dataset.theme,
           banner: !!document.querySelector('[data-testid=demo-banner]'),
         };",
        json!([]),
    )
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn the_loop_view_shows_what_the_cli_reports_and_opens_gate_evidence() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    let status: Value = serde_json::from_str(&gatehouse(&ws, &["--json", "status"])?)?;

    let panel = Panel::open(&ws)?;
    let s = panel.session();
    let seen = drawn(s)?;

    let expected_stages: Vec<&str> = status["stages"]
        .as_array()
        .context("stages")?
        .iter()
        .filter_map(|st| st["id"].as_str())
        .collect();
    assert_eq!(
        expected_stages,
        ["data", "train", "validate", "register", "deploy", "monitor", "retrain"]
    );
    let shown_stages: Vec<&str> = seen["stages"]
        .as_array()
        .context("stages shown")?
        .iter()
        .filter_map(|st| st["id"].as_str())
        .collect();
    assert_eq!(shown_stages, expected_stages, "stages in loop order");
    for (shown, cli) in seen["stages"]
        .as_array()
        .context("stages")?
        .iter()
        .zip(status["stages"].as_array().context("stages")?)
    {
        assert_eq!(shown["state"], cli["state"], "stage {}", cli["id"]);
        let title = cli["title"].as_str().context("title")?;
        assert!(
            shown["text"].as_str().unwrap_or_default().contains(title),
            "stage {title} is labelled"
        );
    }

    let gate_states = |v: &Value| -> Vec<(String, String)> {
        v.as_array()
            .map(|gates| {
                gates
                    .iter()
                    .map(|g| {
                        (
                            g["id"].as_str().unwrap_or_default().to_owned(),
                            g["state"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let expected_gates = gate_states(&status["gates"]);
    assert!(expected_gates.len() >= 5);
    assert_eq!(
        gate_states(&seen["gates"]),
        expected_gates,
        "gates and their states"
    );
    assert_eq!(seen["banner"], json!(true), "the demo says it is the demo");

    // Open the blocked gate's evidence as a user would: by clicking its stop node.
    let blocked = status["gates"]
        .as_array()
        .context("gates")?
        .iter()
        .find(|g| g["state"] == "blocked")
        .context("the demo has a blocked gate")?;
    let id = blocked["id"].as_str().context("gate id")?;
    // WebKitWebDriver cannot click an SVG group itself; click the stop sign drawn in it.
    let node = s.wait_for(
        &format!("[data-testid=gate][data-gate='{id}'] polygon.octagon"),
        WAIT,
    )?;
    s.click(&node)?;
    s.wait_for(
        &format!("[data-testid=gate-detail][data-gate='{id}']"),
        WAIT,
    )?;
    let owner = s.wait_for_text("[data-testid=gate-detail] [data-testid=gate-owner]", WAIT)?;
    let owner_name = blocked["owner"]["name"].as_str().context("owner name")?;
    assert!(
        owner.contains(owner_name),
        "owner {owner_name:?} shown in {owner:?}"
    );
    let state_text =
        s.text(&s.wait_for("[data-testid=gate-detail] [data-testid=gate-state]", WAIT)?)?;
    assert!(
        state_text.to_lowercase().contains("blocked"),
        "{state_text:?}"
    );
    let rows = s.execute(
        "return [...document.querySelectorAll('[data-testid=gate-detail] [data-testid=evidence-row]')].map(e => [e.dataset.check, e.dataset.outcome, e.textContent]);",
        json!([]),
    )?;
    let expected_rows: Vec<Value> = blocked["evidence"]
        .as_array()
        .context("evidence")?
        .iter()
        .map(|e| json!([e["check"], e["outcome"]]))
        .collect();
    let shown_rows: Vec<Value> = rows
        .as_array()
        .context("rows")?
        .iter()
        .map(|r| json!([r[0], r[1]]))
        .collect();
    assert_eq!(
        shown_rows, expected_rows,
        "one evidence row per check, with its outcome"
    );
    let unmet = blocked["evidence"]
        .as_array()
        .context("evidence")?
        .iter()
        .find(|e| e["outcome"] == "unmet")
        .context("an unmet check")?;
    let value = unmet["value"].as_f64().context("value")?;
    let row_text = rows
        .as_array()
        .and_then(|r| r.iter().find(|r| r[1] == "unmet"))
        .and_then(|r| r[2].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(
        row_text.contains(&format!("{value}")),
        "the failing value {value} is shown in {row_text:?}"
    );
    panel.save_screenshot("loop-gate-detail.png")?;

    // Close the drawer, then take both themes.
    s.click(&s.wait_for("[data-testid=gate-detail-close]", WAIT)?)?;
    s.wait_until(
        "the drawer to close",
        "return !document.querySelector('[data-testid=gate-detail]');",
        WAIT,
    )?;
    // The same by keyboard: focus the stop node, Enter opens it, Escape closes it and gives the
    // focus back to the node.
    s.execute(
        &format!("document.querySelector(\"[data-testid=gate][data-gate='{id}']\").focus();"),
        json!([]),
    )?;
    s.press("\u{E007}")?;
    s.wait_for(
        &format!("[data-testid=gate-detail][data-gate='{id}']"),
        WAIT,
    )?;
    s.press("\u{E00C}")?;
    s.wait_until(
        "Escape to close the drawer and return the focus",
        &format!(
            "return !document.querySelector('[data-testid=gate-detail]') && document.activeElement && document.activeElement.dataset.gate === '{id}';"
        ),
        WAIT,
    )?;

    let first = drawn(s)?["theme"].as_str().unwrap_or_default().to_owned();
    panel.save_screenshot(&format!("loop-{first}.png"))?;
    s.click(&s.wait_for("[data-testid=theme-toggle]", WAIT)?)?;
    let second = drawn(s)?["theme"].as_str().unwrap_or_default().to_owned();
    assert_ne!(first, second, "the toggle switches the theme");
    assert!(
        ["light", "dark"].contains(&first.as_str()) && ["light", "dark"].contains(&second.as_str())
    );
    panel.save_screenshot(&format!("loop-{second}.png"))?;
    Ok(())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn the_panel_follows_changes_made_by_other_processes() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    let panel = Panel::open(&ws)?;
    let s = panel.session();
    let state_is = |gate: &str, state: &str| {
        format!(
            "const g = document.querySelector(\"[data-testid=gate][data-gate='{gate}']\"); return !!g && g.dataset.state === '{state}';"
        )
    };

    // Another process fixes the batch: the data-quality gate turns green without a reload.
    assert_eq!(
        s.execute(&state_is("data-quality", "blocked"), json!([]))?,
        json!(true)
    );
    gatehouse(
        &ws,
        &[
            "record",
            "data.schema_violations",
            "0",
            "--source",
            "batch:fixed",
        ],
    )?;
    s.wait_until(
        "data-quality to pass",
        &state_is("data-quality", "passed"),
        WAIT,
    )?;

    // A broken policy shows its error, naming the line, instead of a blank window.
    let policy_path = ws.join("gatehouse.toml");
    let good = std::fs::read_to_string(&policy_path)?;
    let broken = good.replacen("max = 0.05", "maximum = 0.05", 1);
    assert_ne!(good, broken);
    std::fs::write(&policy_path, &broken)?;
    let error = s.wait_for("[data-testid=error]", WAIT)?;
    let message = s.text(&error)?;
    assert!(
        message.contains("line") && message.contains("maximum"),
        "{message:?}"
    );
    panel.save_screenshot("loop-policy-error.png")?;
    // The last good loop stays visible, so the panel stays usable.
    assert!(!s.find_all("[data-testid=gate]")?.is_empty());

    // Fixing the file clears the error.
    std::fs::write(&policy_path, &good)?;
    s.wait_until(
        "the error to clear",
        "return !document.querySelector('[data-testid=error]');",
        WAIT,
    )?;
    Ok(())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn a_panel_started_on_a_broken_policy_shows_the_error_then_recovers() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    let policy_path = ws.join("gatehouse.toml");
    let good = std::fs::read_to_string(&policy_path)?;
    let broken = good.replacen(
        "id = \"data-quality\"\n",
        "id = \"data-quality\"\nfrom = \"dta\"\n",
        1,
    );
    assert_ne!(good, broken);
    std::fs::write(&policy_path, &broken)?;

    let panel = Panel::open_until(&ws, "[data-testid=error]")?;
    let s = panel.session();
    let message = s.wait_for_text("[data-testid=error]", WAIT)?;
    assert!(
        message.contains("line 83") && message.contains("dta"),
        "{message:?}"
    );
    assert!(
        s.find_all("[data-testid=gate]")?.is_empty(),
        "no loop is guessed"
    );

    std::fs::write(&policy_path, &good)?;
    s.wait_for(LOOP_READY, WAIT)?;
    s.wait_until(
        "the error to clear",
        "return !document.querySelector('[data-testid=error]');",
        WAIT,
    )?;
    assert_eq!(s.find_all("[data-testid=gate]")?.len(), 5);
    Ok(())
}

/// Clicks the sidebar entry of a view and waits for the view to be ready.
fn go_to(s: &Session, view: &str) -> Result<()> {
    s.click(&s.wait_for(&format!("[data-testid=nav-{view}]"), WAIT)?)?;
    s.wait_for(&format!("[data-testid={view}-view][data-ready=true]"), WAIT)?;
    Ok(())
}

fn pointer_shown(pointer: &str, version: &str) -> String {
    format!(
        "return !!document.querySelector(\"[data-testid=pointer][data-pointer='{pointer}'][data-version='{version}']\");"
    )
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn a_promotion_requested_in_the_cli_is_approved_in_the_window() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    let requested: Value = serde_json::from_str(&gatehouse(
        &ws,
        &[
            "--user",
            "priya",
            "--json",
            "promote",
            "churn",
            "5",
            "--to",
            "champion",
            "--reason",
            "v5 wins on every segment",
        ],
    )?)?;
    let id = requested["request"]["id"].as_i64().context("request id")?;
    gatehouse(&ws, &["--user", "marco", "approve", &id.to_string()])?;
    let card = format!("[data-testid=request][data-request='{id}']");

    // The requester sees why she may not approve her own request.
    {
        let panel = Panel::open_as(&ws, "priya", LOOP_READY)?;
        let s = panel.session();
        go_to(s, "promotions")?;
        let why = s.wait_for_text(&format!("{card} [data-testid=cannot-approve]"), WAIT)?;
        assert!(why.contains("four-eyes"), "{why:?}");
        let disabled = s.execute(
            &format!("return document.querySelector(\"{card} [data-testid=approve]\").disabled;"),
            json!([]),
        )?;
        assert_eq!(disabled, json!(true));
        panel.save_screenshot("promotions-four-eyes.png")?;
    }

    // A second approver approves in the window; the pointer moves, on the Registry and the Loop.
    let panel = Panel::open_as(&ws, "erin", LOOP_READY)?;
    let s = panel.session();
    s.wait_until(
        "the sidebar to name the acting user",
        "const w = document.querySelector('[data-testid=session-user]'); return !!w && w.textContent.includes('erin') && w.textContent.includes('Erin Walsh');",
        WAIT,
    )?;
    go_to(s, "promotions")?;
    let reason = s.wait_for(&format!("{card} [data-testid=decision-reason]"), WAIT)?;
    s.send_keys(&reason, "lineage and validation report checked")?;
    s.click(&s.wait_for(&format!("{card} [data-testid=approve]"), WAIT)?)?;
    s.wait_until(
        "the request to be done",
        &format!("return !!document.querySelector(\"{card}[data-state='done']\");"),
        WAIT,
    )?;
    let doc: Value = serde_json::from_str(&gatehouse(
        &ws,
        &["--json", "registry", "list", "--model", "churn"],
    )?)?;
    assert_eq!(doc["models"][0]["pointers"]["champion"], "5");
    panel.save_screenshot("promotions-approved.png")?;

    go_to(s, "registry")?;
    s.wait_until(
        "champion → 5 in the Registry view",
        &pointer_shown("champion", "5"),
        WAIT,
    )?;
    panel.save_screenshot("registry.png")?;

    // Roll production back from the window: the dialog shows exactly from → to first.
    s.click(&s.wait_for("[data-testid=rollback]", WAIT)?)?;
    let from = s.wait_for_text("[data-testid=rollback-from]", WAIT)?;
    let to = s.wait_for_text("[data-testid=rollback-to]", WAIT)?;
    assert_eq!((from.trim(), to.trim()), ("3", "2"));
    let reason = s.wait_for("[data-testid=rollback-reason]", WAIT)?;
    s.send_keys(&reason, "error rate doubled after the release")?;
    panel.save_screenshot("rollback-confirm.png")?;
    s.click(&s.wait_for("[data-testid=rollback-confirm]", WAIT)?)?;
    s.wait_until(
        "production → 2 in the Registry view",
        &pointer_shown("production", "2"),
        WAIT,
    )?;

    go_to(s, "loop")?;
    s.wait_until(
        "the Deploy stage to show the moved pointers",
        "const d = document.querySelector(\"[data-testid=stage][data-stage='deploy']\"); return !!d && d.textContent.includes('production → 2') && d.textContent.includes('champion → 5');",
        WAIT,
    )?;

    go_to(s, "audit")?;
    s.click(&s.wait_for("[data-testid=audit-verify]", WAIT)?)?;
    s.wait_for("[data-testid=audit-result][data-ok='true']", WAIT)?;
    panel.save_screenshot("audit.png")?;
    Ok(())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn the_drift_view_shows_which_features_drift_with_charts() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    let panel = Panel::open(&ws)?;
    let s = panel.session();
    go_to(s, "drift")?;
    let cards = s.execute(
        "return [...document.querySelectorAll('[data-testid=drift-feature]')].map(e => [e.dataset.feature, e.dataset.drifted]);",
        json!([]),
    )?;
    let cards: Vec<(String, String)> = cards
        .as_array()
        .context("cards")?
        .iter()
        .map(|c| {
            (
                c[0].as_str().unwrap_or_default().to_owned(),
                c[1].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(cards.len(), 6, "{cards:?}");
    let drifting: Vec<&str> = cards
        .iter()
        .filter(|(_, d)| d == "true")
        .map(|(n, _)| n.as_str())
        .collect();
    assert!(
        drifting.contains(&"tenure_months") && drifting.contains(&"support_calls_30d"),
        "{cards:?}"
    );
    // Drifting features come first, so the on-call engineer sees them without scrolling.
    assert_eq!(cards[0].1, "true");
    let images = s.execute(
        "return [...document.querySelectorAll('[data-testid=drift-heatmap], [data-testid=drift-score-chart], [data-testid=drift-histogram-chart]')].filter(i => i.complete && i.naturalWidth > 0).length;",
        json!([]),
    )?;
    assert_eq!(
        images,
        json!(13),
        "a heatmap and two charts per feature, all drawn"
    );
    panel.save_screenshot("drift.png")?;
    Ok(())
}

/// The `data-step` of the Learn view's current step.
fn current_step_is(step: &str) -> String {
    format!(
        "const c = document.querySelector('[data-testid=learn-current]'); return !!c && c.dataset.step === '{step}';"
    )
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn a_newcomer_walks_the_tour_and_the_team_sees_it_done() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    // The tour is data beside the policy: an edit shows without rebuilding anything.
    let tour_path = ws.join("learn").join("tour.toml");
    let tour = std::fs::read_to_string(&tour_path)?;
    let edited = tour.replacen(
        "title = \"How a model gets to production here\"",
        "title = \"Welcome to the churn team\"",
        1,
    );
    assert_ne!(tour, edited);
    std::fs::write(&tour_path, edited)?;

    let panel = Panel::open_as(&ws, "sam", LOOP_READY)?;
    let s = panel.session();
    go_to(s, "learn")?;
    let steps: Vec<String> = s
        .execute(
            "return [...document.querySelectorAll('[data-testid=learn-step]')].map(e => e.dataset.step);",
            json!([]),
        )?
        .as_array()
        .context("steps")?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    assert_eq!(steps.len(), 14, "{steps:?}");
    assert_eq!(steps.first().map(String::as_str), Some("intro"));
    assert!(steps.iter().any(|id| id == "data-quality"));
    assert_eq!(
        s.wait_for_text("[data-testid=learn-progress]", WAIT)?,
        "0 of 14"
    );
    s.wait_until(
        "the tour to start at its first step",
        &current_step_is("intro"),
        WAIT,
    )?;
    let title = s.wait_for_text("[data-testid=learn-current] h2", WAIT)?;
    assert_eq!(title, "Welcome to the churn team");

    for (i, id) in steps.iter().enumerate() {
        s.wait_until(
            &format!("step {id} to be current"),
            &current_step_is(id),
            WAIT,
        )?;
        if id == "data-quality" {
            // The tour speaks of this team: its owner, and the gate's state right now.
            let live =
                s.wait_for_text("[data-testid=learn-current] [data-testid=learn-live]", WAIT)?;
            assert!(
                live.contains("Data platform") && live.contains("blocked"),
                "{live:?}"
            );
            s.click(&s.wait_for("[data-testid=learn-show-me]", WAIT)?)?;
            s.wait_for(LOOP_READY, WAIT)?;
            s.wait_for(
                "[data-testid=gate][data-gate='data-quality'][data-highlighted='true']",
                WAIT,
            )?;
            assert_eq!(
                s.find_all("[data-highlighted='true']")?.len(),
                1,
                "only the step's widget is highlighted"
            );
            panel.save_screenshot("learn-show-me.png")?;
            s.click(&s.wait_for("[data-testid=back-to-tour]", WAIT)?)?;
            s.wait_for("[data-testid=learn-view][data-ready=true]", WAIT)?;
            s.wait_until(
                "the tour to resume at data-quality",
                &current_step_is(id),
                WAIT,
            )?;
        }
        s.click(&s.wait_for("[data-testid=learn-done]", WAIT)?)?;
        s.wait_until(
            &format!("step {id} to be marked done"),
            &format!(
                "return !!document.querySelector(\"[data-testid=learn-step][data-step='{id}'][data-done='true']\");"
            ),
            WAIT,
        )?;
        if i + 1 < steps.len() {
            s.click(&s.wait_for("[data-testid=learn-next]", WAIT)?)?;
        }
    }

    s.wait_until(
        "the progress to read all done",
        "const p = document.querySelector('[data-testid=learn-progress]'); return !!p && p.textContent.trim() === '14 of 14';",
        WAIT,
    )?;
    s.wait_until(
        "the team progress to show sam complete",
        "const r = document.querySelector(\"[data-testid=team-progress][data-user='sam']\"); return !!r && r.dataset.complete === 'true' && r.textContent.includes('14 / 14');",
        WAIT,
    )?;
    let others = s.execute(
        "return [...document.querySelectorAll('[data-testid=team-progress]')].filter(r => r.dataset.user !== 'sam').map(r => r.dataset.complete);",
        json!([]),
    )?;
    assert_eq!(
        others,
        json!(["false", "false", "false", "false"]),
        "the rest of the team has not started"
    );
    panel.save_screenshot("learn.png")?;
    Ok(())
}

/// The owners (`data-owner`) of the Alerts view's groups, in order.
fn alert_groups(s: &Session) -> Result<Vec<String>> {
    Ok(s.execute(
        "return [...document.querySelectorAll('[data-testid=alert-group]')].map(g => g.dataset.owner);",
        json!([]),
    )?
    .as_array()
    .context("groups")?
    .iter()
    .filter_map(|v| v.as_str().map(str::to_owned))
    .collect())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn alerts_are_grouped_by_owner_and_a_refused_acknowledge_says_why() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    let panel = Panel::open_as(&ws, "dana", LOOP_READY)?;
    let s = panel.session();
    go_to(s, "alerts")?;

    // Gatehouse's own rules: the blocked data-quality gate pages its owner, drift pages on-call.
    let gate_blocked = "[data-testid=alert-group][data-owner='data-platform'] [data-testid=alert][data-alert='GateBlocked']";
    s.wait_for(gate_blocked, WAIT)?;
    let drift = s.find_all(
        "[data-testid=alert-group][data-owner='ml-oncall'] [data-testid=alert][data-alert='FeatureDrift']",
    )?;
    assert!(!drift.is_empty(), "FeatureDrift alerts for ml-oncall");
    let all_groups = alert_groups(s)?;
    assert!(
        all_groups.iter().any(|g| g == "data-platform")
            && all_groups.iter().any(|g| g == "ml-oncall"),
        "{all_groups:?}"
    );

    // Mine: dana belongs to data-platform and ml-oncall, so only their groups stay.
    s.click(&s.wait_for("[data-testid=alerts-mine]", WAIT)?)?;
    s.wait_until(
        "the Mine toggle to be on",
        "const b = document.querySelector('[data-testid=alerts-mine]'); return !!b && b.getAttribute('aria-pressed') === 'true';",
        WAIT,
    )?;
    let mine = alert_groups(s)?;
    assert!(!mine.is_empty(), "dana owns alerts");
    assert!(
        mine.iter()
            .all(|g| g == "data-platform" || g == "ml-oncall"),
        "{mine:?}"
    );
    assert!(mine.iter().any(|g| g == "data-platform") && mine.iter().any(|g| g == "ml-oncall"));

    // Acknowledging an alert of Gatehouse's own rules is refused, and the card says why.
    s.click(&s.wait_for(&format!("{gate_blocked} [data-testid=alert-ack]"), WAIT)?)?;
    s.wait_for("[data-testid=ack-duration]", WAIT)?;
    let duration = s.execute(
        "return document.querySelector('[data-testid=ack-duration]').value;",
        json!([]),
    )?;
    assert_eq!(duration, json!("2h"), "two hours by default");
    let reason = s.wait_for("[data-testid=ack-reason]", WAIT)?;
    s.send_keys(&reason, "schema fix is deploying")?;
    panel.save_screenshot("alerts-ack-dialog.png")?;
    s.click(&s.wait_for("[data-testid=ack-confirm]", WAIT)?)?;
    let refusal = s.wait_for_text(
        &format!("{gate_blocked} [data-testid=alert-result][data-ok='false']"),
        WAIT,
    )?;
    assert!(refusal.contains("Alertmanager"), "{refusal:?}");
    s.wait_for(&format!("{gate_blocked}[data-state='firing']"), WAIT)?;
    panel.save_screenshot("alerts.png")?;
    Ok(())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn the_drift_charts_move_while_you_watch() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    let panel = Panel::launch(&ws, "dana", LOOP_READY, 2)?;
    let s = panel.session();
    go_to(s, "drift")?;
    let src = "return document.querySelector('[data-testid=drift-heatmap]').getAttribute('src');";
    let first = s.execute(src, json!([]))?;
    let first = first.as_str().context("heatmap src")?.to_owned();
    s.wait_until(
        "the heatmap to redraw with a new window",
        &format!(
            "const i = document.querySelector('[data-testid=drift-heatmap]'); return !!i && i.getAttribute('src') !== {};",
            serde_json::to_string(&first)?
        ),
        WAIT,
    )?;
    // The stream lives in the workspace: the CLI sees the windows the panel added.
    let status: Value = serde_json::from_str(&gatehouse(&ws, &["--json", "status"])?)?;
    let trigger = status["gates"]
        .as_array()
        .context("gates")?
        .iter()
        .find(|g| g["id"] == "retrain-trigger")
        .context("retrain trigger")?
        .clone();
    let drift = trigger["evidence"]
        .as_array()
        .context("evidence")?
        .iter()
        .find(|e| e["check"] == "drift")
        .context("drift check")?
        .clone();
    let read_at = drift["read_at"].as_i64().context("read_at")?;
    let evaluated = status["evaluated_at"].as_i64().context("evaluated_at")?;
    assert!(
        evaluated - read_at < 60_000,
        "the drift reading is fresh: {read_at} vs {evaluated}"
    );
    Ok(())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn a_registry_that_stops_answering_leaves_the_last_data_marked_stale() -> Result<()> {
    let (_dir, ws) = demo_workspace()?;
    let panel = Panel::open(&ws)?;
    let s = panel.session();
    go_to(s, "registry")?;
    s.wait_until("production → 3", &pointer_shown("production", "3"), WAIT)?;

    // Point the registry at an MLflow server that is not there (a closed loopback port).
    let policy_path = ws.join("gatehouse.toml");
    let good = std::fs::read_to_string(&policy_path)?;
    let gone = good.replacen(
        "[backends.registry]\nkind = \"embedded\"",
        "[backends.registry]\nkind = \"mlflow\"\nurl = \"http://127.0.0.1:9\"",
        1,
    );
    assert_ne!(good, gone);
    std::fs::write(&policy_path, &gone)?;

    let stale = s.wait_for_text("[data-testid=stale]", WAIT)?;
    assert!(stale.contains("Stale: showing what was read"), "{stale:?}");
    // The last registry read stays on screen.
    assert_eq!(
        s.execute(&pointer_shown("production", "3"), json!([]))?,
        json!(true)
    );
    panel.save_screenshot("registry-stale.png")?;

    // The CLI says the same, with the exit code for an unreachable back end.
    let out = Command::new(env_path("GATEHOUSE_CLI")?)
        .args([
            "--workspace",
            ws.to_str().context("path")?,
            "registry",
            "list",
        ])
        .output()?;
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}
