//! Opening a workspace for use, the one way the CLI and the panel both do it: with the team store
//! its policy names in `[store]` behind its ports, and the acting user that follows from it (the
//! database login of the keyring entry the policy names, proven by its password) or, on a local
//! workspace, the name given or the OS account.
//!
//! The keyring itself belongs to the connectors crate; callers pass its reader as a [`Keyring`].

use std::path::Path;

use gatehouse_core::policy::{Policy, TeamStoreSpec, UserName, POLICY_FILE};
use gatehouse_core::Error;

use crate::team::{TeamLogin, TeamStore};
use crate::{local_user, Workspace};

/// Reads the login and password kept under a keyring entry
/// (`gatehouse_connectors::secret::login` in the CLI and the panel).
pub type Keyring = fn(&str) -> Result<(String, String), Error>;

/// The environment variable that names another keyring entry than the policy's, for a person
/// with several logins (an administrator who also approves, a drill, a test).
pub const CREDENTIAL_ENV: &str = "GATEHOUSE_STORE_CREDENTIAL";

/// The policy's `[store]` section, if the workspace's policy can be read and names one. A policy
/// that cannot be read is an error only if it seems to name a team store, so that commands that
/// need no policy keep working on a local workspace with a broken one.
pub fn team_spec(dir: &Path) -> Result<Option<TeamStoreSpec>, Error> {
    let Ok(text) = std::fs::read_to_string(dir.join(POLICY_FILE)) else {
        return Ok(None);
    };
    match Policy::parse(&text, POLICY_FILE) {
        Ok(policy) => Ok(policy.store),
        Err(e) if text.lines().any(|l| l.trim() == "[store]") => Err(e.into()),
        Err(_) => Ok(None),
    }
}

/// The keyring entry this process logs in with: `$GATEHOUSE_STORE_CREDENTIAL`, else the
/// policy's.
pub fn credential_entry(spec: &TeamStoreSpec) -> String {
    std::env::var(CREDENTIAL_ENV)
        .ok()
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| spec.credential.clone())
}

/// The login this process uses on the team store `spec` names.
pub fn team_login(spec: &TeamStoreSpec, keyring: Keyring) -> Result<TeamLogin, Error> {
    let (username, password) = keyring(&credential_entry(spec))?;
    Ok(TeamLogin {
        url: spec.url.clone(),
        username,
        password,
    })
}

/// Who acts: on a team store, the database login of the keyring entry (a name given that is
/// another is refused: the database would record the login anyway); else the name given
/// (`--user`, `$GATEHOUSE_USER`) or the OS account.
pub fn actor(dir: &Path, given: Option<String>, keyring: Keyring) -> Result<UserName, Error> {
    let Some(spec) = team_spec(dir)? else {
        return Ok(local_user(given)?);
    };
    let login = team_login(&spec, keyring)?.username;
    match given {
        Some(name) if name.trim() != login => Err(Error::Invalid(format!(
            "this workspace uses a team store, where the database login is the user: `{}` (from --user or GATEHOUSE_USER) is not the login `{login}` of keyring entry `{}`; log in as that user with `gatehouse store login`",
            name.trim(),
            credential_entry(&spec)
        ))),
        _ => Ok(UserName(login)),
    }
}

/// Opens the workspace in `dir` with the team store behind its ports when the policy names one.
/// A team store that does not answer, has another schema version or refuses the login is an
/// error here, before anything is shown or done.
pub async fn open(dir: &Path, keyring: Keyring) -> Result<Workspace, Error> {
    let ws = Workspace::open(dir).await?;
    match team_spec(dir)? {
        None => Ok(ws),
        Some(spec) => {
            let team = TeamStore::connect(&team_login(&spec, keyring)?).await?;
            Ok(ws.with_team(team))
        }
    }
}
