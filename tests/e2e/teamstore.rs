//! Two desktops on one team store: two panels, each logged in to a real PostgreSQL server as its
//! own approver, and the `gatehouse` command as a third login. Each sees the others' requests and
//! approvals within a second, without a reload, and who else is looking at the same request; a
//! panel that cannot open the team store says why instead of showing anything.

use gatehouse_connectors::secret::{self, Credential, Secret};
use gatehouse_core::demo;
use gatehouse_core::policy::{Policy, POLICY_FILE};
use gatehouse_core::time::{Clock, SystemClock};
use std::sync::{Arc, Mutex};

use gatehouse_store::opening::CREDENTIAL_ENV;
use gatehouse_store::team::{ChangeKind, TeamChange, TeamLogin, TeamStore};
use gatehouse_tests::mlflow_server::runtime;
use gatehouse_tests::postgres::{password, Postgres, TEAM_DATABASE};

use super::*;

/// How soon a change made on one desktop must show on another.
const LIVE: Duration = Duration::from_secs(1);

/// A demo workspace whose policy names a team store on its own server, with a keyring entry per
/// login; the entries are deleted when it drops.
struct TeamDesk {
    dir: tempfile::TempDir,
    server: Postgres,
    entries: Vec<String>,
}

impl TeamDesk {
    fn start() -> Result<TeamDesk> {
        let dir = tempfile::tempdir()?;
        let ws = dir.path().join("ws");
        gatehouse(&ws, &["demo"])?;
        let generated = demo::generate(demo::DEFAULT_SEED, SystemClock.now());
        let policy = Policy::parse(&generated.policy, POLICY_FILE)?;
        let server = Postgres::start();
        runtime().block_on(server.team_store(&policy, &[], &generated.models, &generated.readings));
        let prefix = format!("gatehouse-e2e-team-{}/", server.port);
        let mut entries = Vec::new();
        for user in policy.users.keys() {
            let entry = format!("{prefix}{user}");
            secret::store(
                &entry,
                &Credential::Basic {
                    username: user.as_str().to_owned(),
                    password: Secret::new(password(user.as_str())),
                },
            )?;
            entries.push(entry);
        }
        let path = ws.join(POLICY_FILE);
        let mut text = std::fs::read_to_string(&path)?;
        text.push_str(&format!(
            "\n[store]\nurl = \"{}\"\ncredential = \"{prefix}erin\"\n",
            server.url(TEAM_DATABASE)
        ));
        std::fs::write(&path, text)?;
        Ok(TeamDesk {
            dir,
            server,
            entries,
        })
    }

    fn ws(&self) -> PathBuf {
        self.dir.path().join("ws")
    }

    fn entry(&self, user: &str) -> String {
        format!("gatehouse-e2e-team-{}/{user}", self.server.port)
    }

    /// A panel logged in as `user`, on the Promotions view.
    fn panel(&self, user: &str) -> Result<Panel> {
        let entry = self.entry(user);
        let panel =
            Panel::launch_with(&self.ws(), user, LOOP_READY, 0, &[(CREDENTIAL_ENV, &entry)])?;
        go_to(panel.session(), "promotions")?;
        Ok(panel)
    }

    /// `gatehouse` as `user`, logged in with its own keyring entry.
    fn cli_as(&self, user: &str, args: &[&str]) -> Result<String> {
        let out = Command::new(env_path("GATEHOUSE_CLI")?)
            .arg("--workspace")
            .arg(self.ws())
            .args(args)
            .env(CREDENTIAL_ENV, self.entry(user))
            .env_remove("GATEHOUSE_USER")
            .output()?;
        if !out.status.success() {
            bail!(
                "gatehouse {args:?} as {user} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8(out.stdout)?)
    }
}

impl Drop for TeamDesk {
    fn drop(&mut self) {
        for entry in &self.entries {
            let _ = secret::delete(entry);
        }
    }
}

/// Every change notice the team store sends, with when this process heard it: a third desktop
/// listening as `sam`, in a thread of its own, for as long as the server runs.
#[derive(Clone)]
struct Heard(Arc<Mutex<Vec<(Instant, TeamChange)>>>);

impl Heard {
    fn listen(login: TeamLogin) -> Result<Heard> {
        let heard = Heard(Arc::default());
        let log = heard.0.clone();
        let (ready, listening) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            runtime().block_on(async {
                let store = TeamStore::connect(&login).await;
                let listener = match &store {
                    Ok(store) => store.listen().await,
                    Err(e) => Err(gatehouse_store::StoreError::Unreachable(e.to_string())),
                };
                let mut listener = match listener {
                    Ok(listener) => listener,
                    Err(e) => return drop(ready.send(Err(e.to_string()))),
                };
                let _ = ready.send(Ok(()));
                // Ends when the server stops at the end of the test.
                while let Ok(change) = listener.next().await {
                    log.lock().unwrap().push((Instant::now(), change));
                }
            });
        });
        listening
            .recv()?
            .map_err(|e| anyhow::anyhow!("cannot listen: {e}"))?;
        Ok(heard)
    }

    /// When the last notice of `kind` about `id` was heard, if one was.
    fn last(&self, kind: ChangeKind, id: &str) -> Option<Instant> {
        let log = self.0.lock().unwrap();
        log.iter()
            .rev()
            .find(|(_, c)| c.kind == kind && c.id == id)
            .map(|(at, _)| *at)
    }
}

/// How long after the database announced a change (the last notice of `kind` about `id` that
/// `heard` holds when it shows) each window showed it, `script` returning `true`. The windows
/// are polled in turn as fast as WebDriver answers; fails after `WAIT`. Each figure includes a
/// WebDriver round trip or two: an upper bound.
fn shown_after_notice<'a>(
    windows: &[(&'a str, &Session)],
    heard: &Heard,
    (kind, id): (ChangeKind, &str),
    script: &str,
) -> Result<Vec<(&'a str, Duration)>> {
    let start = Instant::now();
    let mut shown = Vec::new();
    while shown.len() < windows.len() {
        for (who, s) in windows {
            if shown.iter().any(|(w, _)| w == who) {
                continue;
            }
            if s.execute(script, json!([]))? == Value::Bool(true) {
                let seen = Instant::now();
                let announced = heard.last(kind, id).with_context(|| {
                    format!("{who}'s window shows it, but no {kind:?} notice about {id} was heard")
                })?;
                shown.push((*who, seen.saturating_duration_since(announced)));
            }
        }
        if start.elapsed() > WAIT {
            bail!("timed out after {WAIT:?} waiting for {script} in every window");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(shown)
}

fn card_state(id: i64, state: &str) -> String {
    format!("return !!document.querySelector(\"[data-testid=request][data-request='{id}'][data-state='{state}']\");")
}

fn card_text(id: i64, testid: &str, text: &str) -> String {
    format!(
        "const e = document.querySelector(\"[data-testid=request][data-request='{id}'] [data-testid={testid}]\"); return !!e && e.textContent.includes('{text}');"
    )
}

fn also_looking(id: i64, user: &str) -> String {
    format!(
        "const e = document.querySelector(\"[data-testid=also-looking][data-request='{id}']\"); return !!e && e.textContent.includes('{user}');"
    )
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn two_panels_on_a_team_store_see_each_others_actions_within_a_second() -> Result<()> {
    let team = TeamDesk::start()?;
    let heard = Heard::listen(team.server.team_login("sam"))?;
    let erin = team.panel("erin")?;
    let marco = team.panel("marco")?;
    let (a, b) = (erin.session(), marco.session());
    for s in [a, b] {
        s.wait_until(
            "the panel to act as its database login",
            "const w = document.querySelector('[data-testid=session-user]'); return !!w && w.textContent.length > 0;",
            WAIT,
        )?;
    }

    // A third login asks through the command line; both windows show it without a reload.
    let requested: Value = serde_json::from_str(&team.cli_as(
        "priya",
        &[
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
    assert_eq!(requested["request"]["requester"], "priya");
    let key = id.to_string();
    let request = (ChangeKind::Request, key.as_str());
    let mut figures = Vec::new();
    for (who, took) in shown_after_notice(
        &[("erin", a), ("marco", b)],
        &heard,
        request,
        &card_state(id, "requested"),
    )? {
        figures.push((format!("priya's request (CLI) → {who}'s window"), took));
    }

    // Each sees the other looking at the same request, and not themselves.
    a.wait_until(
        "erin to see marco looking",
        &also_looking(id, "marco"),
        WAIT,
    )?;
    b.wait_until("marco to see erin looking", &also_looking(id, "erin"), WAIT)?;
    assert_eq!(
        a.execute(&also_looking(id, "erin"), json!([]))?,
        json!(false)
    );
    erin.save_screenshot("team-also-looking.png")?;

    // marco approves in his window; erin's shows the approval.
    let reason = b.wait_for(
        &format!("[data-testid=request][data-request='{id}'] [data-testid=decision-reason]"),
        WAIT,
    )?;
    b.send_keys(&reason, "validation report checked")?;
    b.click(&b.wait_for(
        &format!("[data-testid=request][data-request='{id}'] [data-testid=approve]"),
        WAIT,
    )?)?;
    for (_, took) in shown_after_notice(
        &[("erin", a)],
        &heard,
        (ChangeKind::Approval, &key),
        &card_text(id, "approval-progress", "1 of 2"),
    )? {
        figures.push(("marco's approval (window) → erin's window".into(), took));
    }

    // erin completes it; the pointer moves, and marco's window shows it done.
    let reason = a.wait_for(
        &format!("[data-testid=request][data-request='{id}'] [data-testid=decision-reason]"),
        WAIT,
    )?;
    a.send_keys(&reason, "lineage checked")?;
    a.click(&a.wait_for(
        &format!("[data-testid=request][data-request='{id}'] [data-testid=approve]"),
        WAIT,
    )?)?;
    for (_, took) in shown_after_notice(&[("marco", b)], &heard, request, &card_state(id, "done"))?
    {
        figures.push((
            "erin's approval and move (window) → done in marco's".into(),
            took,
        ));
    }
    marco.save_screenshot("team-done-elsewhere.png")?;
    let doc: Value = serde_json::from_str(
        &team.cli_as("sam", &["--json", "registry", "list", "--model", "churn"])?,
    )?;
    assert_eq!(doc["models"][0]["pointers"]["champion"], "5");

    // Once the request is closed, no one is "looking" at an open request any more.
    a.wait_until(
        "the presence line to go with the open request",
        &format!(
            "return !document.querySelector(\"[data-testid=also-looking][data-request='{id}']\");"
        ),
        WAIT,
    )?;

    for (what, took) in &figures {
        eprintln!("shown after the notice: {what}: {} ms", took.as_millis());
    }
    for (what, took) in figures {
        assert!(took < LIVE, "{what} took {took:?}");
    }
    Ok(())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn a_panel_that_cannot_open_its_team_store_says_why() -> Result<()> {
    let team = TeamDesk::start()?;
    let ws = team.ws();

    // Acting as someone other than the login is refused in the window.
    let entry = team.entry("erin");
    let panel = Panel::launch_with(
        &ws,
        "priya",
        "[data-testid=error]",
        0,
        &[(CREDENTIAL_ENV, &entry)],
    )?;
    let message = panel.session().wait_for_text("[data-testid=error]", WAIT)?;
    assert!(
        message.contains("`priya`") && message.contains("`erin`"),
        "{message:?}"
    );
    assert!(panel.session().find_all("[data-testid=gate]")?.is_empty());
    panel.save_screenshot("team-wrong-user.png")?;
    drop(panel);

    // A keyring entry that holds nothing is named.
    let panel = Panel::launch_with(
        &ws,
        "erin",
        "[data-testid=error]",
        0,
        &[(CREDENTIAL_ENV, "gatehouse-e2e-team-nobody/erin")],
    )?;
    let message = panel.session().wait_for_text("[data-testid=error]", WAIT)?;
    assert!(message.contains("gatehouse store login"), "{message:?}");
    drop(panel);

    // A server that does not answer is named, with its address.
    let path = ws.join(POLICY_FILE);
    let text = std::fs::read_to_string(&path)?;
    let silent = format!("postgres://127.0.0.1:{}/team", free_port()?);
    std::fs::write(
        &path,
        text.replace(&team.server.url(TEAM_DATABASE), &silent),
    )?;
    let panel = Panel::launch_with(
        &ws,
        "erin",
        "[data-testid=error]",
        0,
        &[(CREDENTIAL_ENV, &entry)],
    )?;
    let message = panel.session().wait_for_text("[data-testid=error]", WAIT)?;
    assert!(
        message.contains("does not answer") && message.contains(&silent),
        "{message:?}"
    );
    // Opened once at start, the workspace does not appear by itself: the notice says so.
    let hint = panel
        .session()
        .wait_for_text("[data-testid=error-hint]", WAIT)?;
    assert!(
        hint.contains("live updates are off") && !hint.contains("appears by itself"),
        "{hint:?}"
    );
    panel.save_screenshot("team-unreachable.png")?;
    Ok(())
}
