//! `gatehouse store`: the team store's operations (`migrate`, `init-roles`, `login`, `watch`),
//! and the choice every other command makes between the workspace's own database and the team
//! store the policy names in `[store]` (`gatehouse_store::opening`, shared with the panel). On a
//! team store the acting user is the database login kept in the keyring entry the policy names,
//! proven by its password; a `--user` naming anyone else is refused.

use std::io::{Read, Write};
use std::path::Path;

use clap::Subcommand;
use gatehouse_connectors::secret::{self, Credential, Secret};
use gatehouse_core::policy::{UserName, POLICY_FILE};
use gatehouse_core::{Error, ErrorCode};
use gatehouse_store::team::{self, TeamLogin, TeamStore};
use gatehouse_store::{opening, Workspace};
use serde::Serialize;

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Bring the team store's schema up to date and write the policy's promotion rules into it
    /// (idempotent; run by the login that owns the tables)
    Migrate,
    /// Print the SQL an administrator runs once, before the first migrate: the group roles and a
    /// login for every user of the policy
    InitRoles,
    /// Print every change to the team store as it happens, from any desktop (one line each;
    /// JSON Lines with --json), until interrupted
    Watch,
    /// Keep this desktop's database login and password in the keyring entry the policy names
    Login {
        /// The database login
        #[arg(long)]
        username: String,
        /// Read the password from standard input (required: it is never an argument)
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Who acts: on a team store, the database login of the keyring entry; else the name given
/// (`--user`, `$GATEHOUSE_USER`) or the OS account.
pub fn actor(dir: &Path, given: Option<String>) -> Result<UserName, Error> {
    gatehouse_store::actor(dir, given, secret::login)
}

/// Opens the workspace in `dir` with the team store behind its ports when the policy names one.
pub async fn open(dir: &Path) -> Result<Workspace, Error> {
    gatehouse_store::open(dir, secret::login).await
}

/// What `gatehouse store migrate` did.
#[derive(Debug, Serialize)]
pub struct Migrated {
    url: String,
    login: String,
    from: Option<i64>,
    to: i64,
}

/// Runs a `gatehouse store` command.
pub async fn run(
    dir: &Path,
    command: StoreCommand,
    json: bool,
    stdin: &mut dyn Read,
) -> Result<(), Error> {
    let policy = Workspace::open(dir).await?.policy()?;
    let spec = policy.store.clone().ok_or_else(|| {
        Error::Invalid(format!(
            "{} names no team store: add a [store] section with `url` and `credential`",
            dir.join(POLICY_FILE).display()
        ))
    });
    match command {
        StoreCommand::InitRoles => {
            let sql = team::init_roles_sql(&policy);
            if json {
                println!("{}", serde_json::json!({ "sql": sql }));
            } else {
                print!("{sql}");
            }
            Ok(())
        }
        StoreCommand::Migrate => {
            let spec = spec?;
            let login = opening::team_login(&spec, secret::login)?;
            let done = TeamStore::migrate(&login).await?;
            let store = TeamStore::connect(&login).await?;
            store.apply_policy(&policy).await?;
            let migrated = Migrated {
                url: spec.url,
                login: store.login().to_string(),
                from: done.from,
                to: done.to,
            };
            store.close().await;
            if json {
                let text = serde_json::to_string_pretty(&serde_json::json!({ "store": migrated }))
                    .map_err(|e| Error::Port {
                        code: ErrorCode::Internal,
                        message: e.to_string(),
                    })?;
                println!("{text}");
            } else {
                let from = migrated.from.map_or("none".to_owned(), |v| v.to_string());
                println!(
                    "team store at {}: schema version {} (was {from}); promotion rules from {POLICY_FILE} applied as {}",
                    migrated.url, migrated.to, migrated.login
                );
            }
            Ok(())
        }
        StoreCommand::Watch => {
            let store = TeamStore::connect(&opening::team_login(&spec?, secret::login)?).await?;
            let mut changes = store.listen().await?;
            let mut out = std::io::stdout();
            loop {
                let change = changes.next().await?;
                let line = if json {
                    serde_json::json!({
                        "kind": change.kind.id(),
                        "id": change.id,
                        "login": change.login,
                    })
                    .to_string()
                } else {
                    format!("{} {} by {}", change.kind.id(), change.id, change.login)
                };
                // Each line leaves at once: a script reading the pipe acts on it now.
                writeln!(out, "{line}")
                    .and_then(|()| out.flush())
                    .map_err(|e| Error::Port {
                        code: ErrorCode::Internal,
                        message: format!("cannot write to standard output: {e}"),
                    })?;
            }
        }
        StoreCommand::Login {
            username,
            password_stdin,
        } => {
            let spec = spec?;
            if !password_stdin {
                return Err(Error::Invalid(
                    "--password-stdin is required: pipe the password in (it is never taken as an argument)".into(),
                ));
            }
            let mut raw = String::new();
            stdin
                .take(64 * 1024)
                .read_to_string(&mut raw)
                .map_err(|e| {
                    Error::Invalid(format!("cannot read the password from standard input: {e}"))
                })?;
            let password = raw
                .strip_suffix("\r\n")
                .or_else(|| raw.strip_suffix('\n'))
                .unwrap_or(&raw)
                .to_owned();
            if password.is_empty() || username.trim().is_empty() {
                return Err(Error::Invalid(
                    "a login needs a user name and a password".into(),
                ));
            }
            let login = TeamLogin {
                url: spec.url.clone(),
                username: username.trim().to_owned(),
                password,
            };
            // Only a login the server accepts is kept.
            let name = TeamStore::check_login(&login).await?;
            let entry = opening::credential_entry(&spec);
            secret::store(
                &entry,
                &Credential::Basic {
                    username: login.username,
                    password: Secret::new(login.password),
                },
            )?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "store": { "url": spec.url, "login": name, "credential": entry } })
                );
            } else {
                println!(
                    "logged in to the team store at {} as {name}; kept in keyring entry `{entry}`",
                    spec.url
                );
            }
            Ok(())
        }
    }
}
