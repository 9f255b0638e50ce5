//! The demo on a team store: the same workspace as `gatehouse demo` makes, but with a `[store]`
//! section naming a real PostgreSQL server (started for the test), every demo user a database
//! login kept in the keyring by `gatehouse store login`, the schema made by `gatehouse store
//! migrate`, and the demo's history played through the command by each login. The journeys of
//! `promotions.rs` run on it unchanged.

use gatehouse_core::demo::{self, DemoAction};
use gatehouse_core::time::{Clock, SystemClock};
use gatehouse_store::team::{TeamLogin, TeamStore, APP_ROLE};
use gatehouse_tests::postgres::Postgres;
use sqlx::Connection as _;

use super::*;

/// Where a journey runs.
#[derive(Debug, Clone, Copy)]
pub enum Store {
    /// The workspace's own SQLite file.
    Embedded,
    /// A team store on PostgreSQL.
    Team,
}

/// A demo workspace on either store, removed (server stopped, keyring entries deleted) when
/// dropped.
pub enum Demo {
    Embedded(tempfile::TempDir),
    Team {
        dir: tempfile::TempDir,
        entries: Vec<String>,
        server: Option<Postgres>,
    },
}

impl Demo {
    pub fn path(&self) -> &Path {
        match self {
            Demo::Embedded(dir) | Demo::Team { dir, .. } => dir.path(),
        }
    }
}

impl Demo {
    /// The team store's server, for SQL behind the command's back.
    fn server(&self) -> &Postgres {
        match self {
            Demo::Team {
                server: Some(server),
                ..
            } => server,
            _ => panic!("not a team demo"),
        }
    }

    /// Stops the team store's server, as an outage would.
    fn stop_server(&mut self) {
        if let Demo::Team { server, .. } = self {
            server.take();
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let Demo::Team { entries, .. } = self {
            for entry in entries {
                let _ = gatehouse_connectors::secret::delete(entry);
            }
        }
    }
}

const OWNER: &str = "gatehouse_owner";
const CREDENTIAL_ENV: &str = "GATEHOUSE_STORE_CREDENTIAL";

fn password(user: &str) -> String {
    format!("{user}-cli-pw")
}

/// The keyring entry `user` logs in with on the team store `workspace` names, if it names one.
pub fn entry_of(workspace: &Path, user: &str) -> Option<String> {
    let text = std::fs::read_to_string(workspace.join("gatehouse.toml")).ok()?;
    let line = text
        .lines()
        .find(|l| l.starts_with("credential = \"gatehouse-cli-test-"))?;
    let owner_entry = line.split('"').nth(1)?;
    let prefix = owner_entry.strip_suffix(OWNER)?;
    Some(format!("{prefix}{user}"))
}

/// `gatehouse` as `user`: with `--user` on the embedded store, with the user's own login on a
/// team store.
pub fn as_user_with(workspace: &Path, user: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    match entry_of(workspace, user) {
        Some(entry) => {
            let mut env = env.to_vec();
            env.push((CREDENTIAL_ENV, &entry));
            gatehouse_with(workspace, args, &env)
        }
        None => {
            let mut full = vec!["--user", user];
            full.extend_from_slice(args);
            gatehouse_with(workspace, &full, env)
        }
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// The demo workspace on `store`.
pub fn demo_on(store: Store) -> Demo {
    match store {
        Store::Embedded => Demo::Embedded(demo()),
        Store::Team => team_demo(),
    }
}

fn team_demo() -> Demo {
    let dir = demo();
    let ws = dir.path();
    let server = Postgres::start();
    let users = ["priya", "marco", "dana", "sam", "erin", "mallory", OWNER];

    // The administrator's part: the roles `init-roles` prints, an owner, passwords, a database.
    let roles = gatehouse(ws, &["store", "init-roles"]);
    assert!(roles.status.success(), "{}", stderr(&roles));
    let mut setup = String::from_utf8(roles.stdout).unwrap();
    setup.push_str(&format!(
        "CREATE ROLE {OWNER} LOGIN;\nCREATE ROLE mallory LOGIN IN ROLE {APP_ROLE};\n"
    ));
    for user in users {
        setup.push_str(&format!(
            "ALTER ROLE \"{user}\" PASSWORD '{}';\n",
            password(user)
        ));
    }
    block_on(async {
        let mut su = sqlx::PgConnection::connect(&server.superuser_url("postgres"))
            .await
            .unwrap();
        sqlx::raw_sql(&setup).execute(&mut su).await.unwrap();
        sqlx::raw_sql(&format!("CREATE DATABASE team OWNER {OWNER}"))
            .execute(&mut su)
            .await
            .unwrap();
    });

    // The policy names the store and the owner's keyring entry; each login is kept in its own.
    let prefix = format!("gatehouse-cli-test-{}/", server.port);
    let policy = ws.join("gatehouse.toml");
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text.push_str(&format!(
        "\n[store]\nurl = \"{}\"\ncredential = \"{prefix}{OWNER}\"\n",
        server.url("team")
    ));
    std::fs::write(&policy, text).unwrap();
    let mut entries = Vec::new();
    for user in users {
        let entry = format!("{prefix}{user}");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
        cmd.arg("--workspace")
            .arg(ws)
            .args(["store", "login", "--username", user, "--password-stdin"])
            .env_remove("GATEHOUSE_USER")
            .env(CREDENTIAL_ENV, &entry)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        use std::io::Write as _;
        writeln!(child.stdin.take().unwrap(), "{}", password(user)).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{user}: {}", stderr(&out));
        entries.push(entry);
    }
    let migrated = gatehouse(ws, &["store", "migrate"]);
    assert!(migrated.status.success(), "{}", stderr(&migrated));

    // The registry and readings as generated, before the demo's history.
    let generated = demo::generate(demo::DEFAULT_SEED, SystemClock.now());
    block_on(async {
        let owner = TeamStore::connect(&TeamLogin {
            url: server.url("team"),
            username: OWNER.into(),
            password: password(OWNER),
        })
        .await
        .unwrap();
        owner
            .import(&generated.models, &generated.readings)
            .await
            .unwrap();
    });
    // The history, each step by its own login through the command.
    for step in &generated.history {
        let out = match &step.action {
            DemoAction::Request {
                model,
                version,
                pointer,
                reason,
            } => as_user_with(
                ws,
                step.actor.as_str(),
                &[
                    "promote",
                    model.as_str(),
                    version.as_str(),
                    "--to",
                    pointer.as_str(),
                    "--reason",
                    reason,
                ],
                &[],
            ),
            DemoAction::Approve { request, reason } => {
                let id = request.0.to_string();
                let mut args = vec!["approve", id.as_str()];
                if let Some(r) = reason {
                    args.extend(["--reason", r.as_str()]);
                }
                as_user_with(ws, step.actor.as_str(), &args, &[])
            }
        };
        assert!(out.status.success(), "{:?}: {}", step.action, stderr(&out));
    }
    Demo::Team {
        dir,
        entries,
        server: Some(server),
    }
}

#[test]
fn on_a_team_store_the_login_is_the_user_and_a_silent_server_is_exit_5() {
    let mut team = demo_on(Store::Team);
    let ws = team.path().to_owned();

    // A name given is refused, however it is given.
    let named = gatehouse(&ws, &["--user", "priya", "requests"]);
    assert_eq!(named.status.code(), Some(2), "{}", stderr(&named));
    assert!(stderr(&named).contains("--user"), "{}", stderr(&named));
    let env = gatehouse_with(&ws, &["requests"], &[("GATEHOUSE_USER", "priya")]);
    assert_eq!(env.status.code(), Some(2), "{}", stderr(&env));

    // A request lands in the team's database, not in the workspace's file, under the login.
    let req = stdout_json(&as_user(
        &ws,
        "dana",
        &[
            "--json", "promote", "churn", "5", "--to", "champion", "--reason", "v5",
        ],
    ))["request"]
        .clone();
    assert_eq!(req["requester"], "dana");
    let id = req["id"].as_i64().unwrap();
    let in_team: i64 = block_on(async {
        let mut su = sqlx::PgConnection::connect(&team.server().superuser_url("team"))
            .await
            .unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM requests WHERE id = $1 AND requester = 'dana'")
            .bind(id)
            .fetch_one(&mut su)
            .await
            .unwrap()
    });
    assert_eq!(in_team, 1);
    let in_file: i64 = block_on(async {
        let url = format!("sqlite://{}", ws.join("gatehouse.db").display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM requests WHERE id = ?1")
            .bind(id)
            .fetch_one(&mut conn)
            .await
            .unwrap()
    });
    assert_eq!(in_file, 0);

    // Migrating again changes nothing.
    let again = stdout_json(&gatehouse(&ws, &["--json", "store", "migrate"]));
    assert_eq!(again["store"]["from"], again["store"]["to"]);

    // A server that does not answer is exit 5, and says where it was.
    team.stop_server();
    let out = gatehouse(&ws, &["requests"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("does not answer"), "{}", stderr(&out));
}

#[test]
fn a_second_process_hears_of_a_promotion_within_a_second() {
    use std::io::BufRead as _;
    use std::time::{Duration, Instant};

    let team = demo_on(Store::Team);
    let ws = team.path();
    // Sam's desktop watches the team store.
    let mut watch = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("--workspace")
        .arg(ws)
        .args(["--json", "store", "watch"])
        .env_remove("GATEHOUSE_USER")
        .env(CREDENTIAL_ENV, entry_of(ws, "sam").unwrap())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = watch.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let doc: Value = serde_json::from_str(&line.unwrap()).unwrap();
            if tx.send((Instant::now(), doc)).is_err() {
                return;
            }
        }
    });
    // Once it listens, a reading recorded anywhere reaches it.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = gatehouse(ws, &["record", "data.freshness_hours", "1"]);
        assert!(out.status.success(), "{}", stderr(&out));
        if rx.recv_timeout(Duration::from_millis(500)).is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the watcher never heard anything"
        );
    }
    while rx.try_recv().is_ok() {}

    // Priya's desktop asks for a promotion; Sam's hears of it within a second.
    let req = stdout_json(&as_user(
        ws,
        "priya",
        &[
            "--json", "promote", "churn", "5", "--to", "champion", "--reason", "v5",
        ],
    ))["request"]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let done = Instant::now();
    let heard = loop {
        let (at, doc) = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("no notice of the request");
        if doc["kind"] == "request" && doc["id"] == req.as_str() {
            assert_eq!(doc["login"], "priya");
            break at;
        }
    };
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(
        heard.saturating_duration_since(done) < Duration::from_secs(1),
        "heard after {:?}",
        heard.saturating_duration_since(done)
    );
}
