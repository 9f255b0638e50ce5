//! A real PostgreSQL server for tests: Debian's `postgresql` (installed by `scripts/setup
//! --test`), a cluster made by `initdb` in a temporary directory and `postgres` started as a plain
//! process on a free loopback port, stopped when dropped. Passwords are checked (SCRAM), so a
//! login is who it says it is.
//!
//! [`Postgres::team_store`] sets a team store up on it as an administrator would.
//!
//! PostgreSQL refuses to run as root; when the tests run as root, the server runs as `nobody`
//! (through `setpriv`, which execs rather than forks, so the child is the server itself).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gatehouse_core::policy::Policy;
use gatehouse_core::reading::Reading;
use gatehouse_core::registry::Model;
use gatehouse_store::team::{expected_schema, init_roles_sql, TeamLogin, TeamStore, APP_ROLE};
use sqlx::Connection as _;

/// The superuser of every test cluster.
pub const SUPERUSER: &str = "postgres";
/// Its password.
pub const SUPERUSER_PASSWORD: &str = "postgres-test-pw";

/// A running PostgreSQL server, stopped when dropped.
pub struct Postgres {
    child: Child,
    /// The loopback port it listens on.
    pub port: u16,
    dir: tempfile::TempDir,
}

/// The directory of PostgreSQL's programs: `$GATEHOUSE_PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin` (Debian's layout).
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("GATEHOUSE_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).unwrap_or_else(|| {
        panic!("PostgreSQL is not installed under /usr/lib/postgresql: run scripts/setup --test (or set GATEHOUSE_PG_BIN)")
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A command that runs `program` as an unprivileged user when we are root.
fn unprivileged(program: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "--reset-env",
        ])
        .arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

impl Postgres {
    /// Creates a cluster in a temporary directory and starts it, without waiting for the disk
    /// (no fsync: a test's data need not survive a power cut); waits until it accepts
    /// connections.
    pub fn start() -> Postgres {
        Postgres::start_with(false)
    }

    /// The same with every commit on disk, as a production server runs: for benchmarks.
    pub fn start_durable() -> Postgres {
        Postgres::start_with(true)
    }

    fn start_with(durable: bool) -> Postgres {
        let bin = bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("gatehouse-pg-")
            .tempdir()
            .unwrap();
        let root = dir.path();
        std::fs::write(root.join("pwfile"), SUPERUSER_PASSWORD).unwrap();
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "nobody:nogroup"])
                .arg(root)
                .status()
                .unwrap();
            assert!(status.success(), "chown of {} failed", root.display());
        }
        let data = root.join("data");
        let out = unprivileged(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                SUPERUSER,
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .arg(format!("--pwfile={}", root.join("pwfile").display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let log = std::fs::File::create(root.join("postgres.log")).unwrap();
        let mut cmd = unprivileged(&bin.join("postgres"));
        cmd.arg("-D")
            .arg(&data)
            .arg("-p")
            .arg(port.to_string())
            .arg("-k")
            .arg(root)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=300",
            ]);
        if !durable {
            cmd.args([
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut server = Postgres { child, port, dir };
        server.wait_ready(&bin);
        server
    }

    fn wait_ready(&mut self, bin: &Path) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("postgres exited with {status}:\n{}", self.log());
            }
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "postgres did not accept connections within 30 s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }

    /// `postgres://127.0.0.1:PORT/DATABASE`, without a user or password.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://127.0.0.1:{}/{database}", self.port)
    }

    /// The superuser's URL, with its password, for test setup only.
    pub fn superuser_url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{SUPERUSER_PASSWORD}@127.0.0.1:{}/{database}",
            self.port
        )
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // A fast shutdown (SIGINT) ends the backends too; SIGKILL if it takes too long.
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The login that owns a team store's tables and runs its migrations.
pub const OWNER: &str = "gatehouse_owner";
/// The team store's database.
pub const TEAM_DATABASE: &str = "team";

/// The password of a test login.
pub fn password(user: &str) -> String {
    format!("{user}-test-pw")
}

impl Postgres {
    /// Sets up a team store as an administrator would: the roles and logins that
    /// [`init_roles_sql`] prints for `policy`, plus `strangers` (logins the policy does not
    /// know), each with its [`password`]; a database owned by [`OWNER`], migrated by it, with
    /// the policy's rules; and `models` and `readings` imported.
    pub async fn team_store(
        &self,
        policy: &Policy,
        strangers: &[&str],
        models: &[Model],
        readings: &[Reading],
    ) {
        let mut setup = init_roles_sql(policy);
        setup.push_str(&format!(
            "CREATE ROLE {OWNER} LOGIN PASSWORD '{}';\n",
            password(OWNER)
        ));
        for name in strangers {
            setup.push_str(&format!(
                "CREATE ROLE \"{name}\" LOGIN IN ROLE {APP_ROLE};\n"
            ));
        }
        for user in policy
            .users
            .keys()
            .map(|u| u.as_str())
            .chain(strangers.iter().copied())
        {
            setup.push_str(&format!(
                "ALTER ROLE \"{user}\" PASSWORD '{}';\n",
                password(user)
            ));
        }
        let mut su = sqlx::PgConnection::connect(&self.superuser_url("postgres"))
            .await
            .unwrap();
        sqlx::raw_sql(&setup).execute(&mut su).await.unwrap();
        sqlx::raw_sql(&format!("CREATE DATABASE {TEAM_DATABASE} OWNER {OWNER}"))
            .execute(&mut su)
            .await
            .unwrap();
        su.close().await.unwrap();

        let migrated = TeamStore::migrate(&self.team_login(OWNER)).await.unwrap();
        assert_eq!((migrated.from, migrated.to), (None, expected_schema()));
        let owner = TeamStore::connect(&self.team_login(OWNER)).await.unwrap();
        owner.apply_policy(policy).await.unwrap();
        owner.import(models, readings).await.unwrap();
        owner.close().await;
    }

    /// The login of `user` (with its [`password`]) on the team store.
    pub fn team_login(&self, user: &str) -> TeamLogin {
        TeamLogin {
            url: self.url(TEAM_DATABASE),
            username: user.to_owned(),
            password: password(user),
        }
    }

    /// A raw connection to the team store as `user`, for SQL that bypasses the core.
    pub async fn raw(&self, user: &str) -> sqlx::PgConnection {
        let url = format!(
            "postgres://{user}:{}@127.0.0.1:{}/{TEAM_DATABASE}",
            password(user),
            self.port
        );
        sqlx::PgConnection::connect(&url).await.unwrap()
    }
}
