//! `gatehouse connect mlflow|prometheus|alertmanager URL [--username U] [--password-stdin]`:
//! checks the server answers and accepts the credential, stores it in the OS keyring, and points
//! the port's table of `gatehouse.toml` (`[backends.registry]`, `[backends.metrics]` or
//! `[backends.alerts]`) at the server, naming only the keyring entry. The rest of the policy file
//! is kept byte for byte: only the lines of that one table change, and the result is parsed
//! before it is written.

use std::io::Read;
use std::path::Path;

use gatehouse_connectors::alertmanager::Alertmanager;
use gatehouse_connectors::mlflow::{Client, Config};
use gatehouse_connectors::prometheus::Prometheus;
use gatehouse_connectors::secret::{self, Credential, Secret};
use gatehouse_connectors::ClientOptions;
use gatehouse_core::policy::{Policy, POLICY_FILE};
use gatehouse_core::{Error, ErrorCode};
use serde::Serialize;

/// A back end `gatehouse connect` can point a port of the workspace at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// An MLflow tracking server, as the registry.
    Mlflow,
    /// A Prometheus, as the metrics source.
    Prometheus,
    /// An Alertmanager, as the alerts source.
    Alertmanager,
}

impl Target {
    /// The back end's `kind` in the policy.
    fn kind(self) -> &'static str {
        match self {
            Target::Mlflow => "mlflow",
            Target::Prometheus => "prometheus",
            Target::Alertmanager => "alertmanager",
        }
    }

    /// The port it serves, as `[backends.<port>]` names it.
    fn port(self) -> &'static str {
        match self {
            Target::Mlflow => "registry",
            Target::Prometheus => "metrics",
            Target::Alertmanager => "alerts",
        }
    }
}

/// What `gatehouse connect` was asked.
#[derive(Debug, Clone)]
pub struct ConnectArgs {
    /// The server's base URL.
    pub url: String,
    /// The basic-auth user; without it a secret read from standard input is a bearer token.
    pub username: Option<String>,
    /// Read the password (or token) from standard input.
    pub password_stdin: bool,
}

/// What was connected, for the text and JSON outputs. Never holds the secret.
#[derive(Debug, Clone, Serialize)]
pub struct Connected {
    /// The back end (`mlflow`, `prometheus`, `alertmanager`).
    pub backend: &'static str,
    /// The port it now serves (`registry`, `metrics`, `alerts`).
    pub port: &'static str,
    /// The version the server reported, where its API tells.
    pub version: Option<String>,
    /// The server's base URL.
    pub url: String,
    /// The keyring entry written into `gatehouse.toml`, if a credential was given.
    pub credential: Option<String>,
    /// `basic`, `bearer` or `none`.
    pub auth: &'static str,
}

impl Connected {
    /// One line for a person.
    pub fn text(&self) -> String {
        match &self.credential {
            Some(entry) => format!(
                "connected the {} to {} at {} ({} auth, keyring entry `{entry}`)",
                self.port, self.backend, self.url, self.auth
            ),
            None => format!(
                "connected the {} to {} at {} (no credential)",
                self.port, self.backend, self.url
            ),
        }
    }
}

/// Runs `gatehouse connect TARGET`: reads the secret from `stdin` when asked, checks the server
/// answers its own status endpoint and accepts the credential, stores the credential in the
/// keyring, then rewrites the target's `[backends.*]` table in the workspace's `gatehouse.toml`.
/// Nothing is written when the server refuses (exit 4) or cannot be reached (exit 5).
pub async fn connect(
    workspace: &Path,
    target: Target,
    args: &ConnectArgs,
    stdin: &mut dyn Read,
) -> Result<Connected, Error> {
    let policy_path = workspace.join(POLICY_FILE);
    let text = std::fs::read_to_string(&policy_path).map_err(|e| Error::Port {
        code: ErrorCode::Workspace,
        message: format!("cannot read {}: {e}", policy_path.display()),
    })?;
    let credential = credential(args, stdin)?;
    let (url, version) = match target {
        Target::Mlflow => {
            let client = Client::new(&args.url, credential.clone(), Config::default())?;
            client.check().await?;
            (client.url().to_owned(), None)
        }
        Target::Prometheus => {
            let client = Prometheus::new(&args.url, ClientOptions::default())?
                .with_credential(credential.clone());
            let version = client.check().await?;
            (client.url().trim_end_matches('/').to_owned(), Some(version))
        }
        Target::Alertmanager => {
            let client = Alertmanager::new(&args.url, ClientOptions::default())?
                .with_credential(credential.clone());
            let version = client.check().await?;
            (client.url().trim_end_matches('/').to_owned(), Some(version))
        }
    };
    let entry = credential.as_ref().map(|c| entry_name(target, &url, c));
    let new_text = with_backend(&text, target, &url, entry.as_deref())?;
    // Parse before anything is written: a policy the workspace cannot read is never saved.
    Policy::parse(&new_text, POLICY_FILE)?;
    if let (Some(entry), Some(credential)) = (&entry, &credential) {
        secret::store(entry, credential)?;
    }
    write_atomically(&policy_path, &new_text)?;
    Ok(Connected {
        backend: target.kind(),
        port: target.port(),
        version,
        url,
        auth: match &credential {
            Some(Credential::Basic { .. }) => "basic",
            Some(Credential::Bearer { .. }) => "bearer",
            None => "none",
        },
        credential: entry,
    })
}

fn credential(args: &ConnectArgs, stdin: &mut dyn Read) -> Result<Option<Credential>, Error> {
    if !args.password_stdin {
        if args.username.is_some() {
            return Err(Error::Invalid(
                "--username needs --password-stdin: pipe the password in (it is never taken as an argument)".into(),
            ));
        }
        return Ok(None);
    }
    let mut raw = String::new();
    stdin
        .take(64 * 1024)
        .read_to_string(&mut raw)
        .map_err(|e| Error::Invalid(format!("cannot read the secret from standard input: {e}")))?;
    // One trailing newline (from `echo` or a terminal) is not part of the secret.
    let secret = raw
        .strip_suffix("\r\n")
        .or_else(|| raw.strip_suffix('\n'))
        .unwrap_or(&raw);
    if secret.is_empty() {
        return Err(Error::Invalid(
            "standard input held no password or token".into(),
        ));
    }
    let secret = Secret::new(secret);
    Ok(Some(match &args.username {
        Some(u) if u.trim().is_empty() => return Err(Error::Invalid("--username is empty".into())),
        Some(u) => Credential::Basic {
            username: u.trim().to_owned(),
            password: secret,
        },
        None => Credential::Bearer { token: secret },
    }))
}

/// The keyring entry for a server and credential: `<kind>/<user>@<host:port>` or
/// `<kind>/token@<host:port>` (such as `mlflow/reader@127.0.0.1:5000`), in the characters entry
/// names allow.
fn entry_name(target: Target, url: &str, credential: &Credential) -> String {
    let host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .trim_end_matches('/');
    let who = credential.username().unwrap_or("token");
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let name = format!("{}/{}@{}", target.kind(), clean(who), clean(host));
    name.chars().take(128).collect()
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The header of a table line (`[backends.registry]  # x` → `backends.registry`), if it is one.
fn table_header(line: &str) -> Option<String> {
    let t = line.trim();
    let t = t.split_once('#').map_or(t, |(a, _)| a).trim();
    if t.starts_with("[[") {
        return Some(
            t.trim_start_matches('[')
                .trim_end_matches(']')
                .replace(' ', ""),
        );
    }
    let inner = t.strip_prefix('[')?.strip_suffix(']')?;
    Some(inner.replace([' ', '"'], ""))
}

/// The key of a `key = value` line, if it is one.
fn key_of(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if t.starts_with('#') {
        return None;
    }
    let (k, _) = t.split_once('=')?;
    Some(k.trim())
}

/// `text` with the target's `[backends.<port>]` set to it at `url` with `credential` (or none):
/// the table's `kind`, `url` and `credential` lines replaced, other lines and comments kept, the
/// table appended when missing.
fn with_backend(
    text: &str,
    target: Target,
    url: &str,
    credential: Option<&str>,
) -> Result<String, Error> {
    let port = target.port();
    let header = format!("backends.{port}");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut start = None;
    for (i, line) in lines.iter().enumerate() {
        match table_header(line).as_deref() {
            Some(h) if h == header => {
                start = Some(i);
                break;
            }
            Some(_) => {}
            None => {
                // A dotted or inline form elsewhere would be silently shadowed; refuse it.
                if key_of(line).is_some_and(|k| {
                    k.replace(' ', "").starts_with(&header)
                        || k == port && in_table(&lines, i, "backends")
                }) {
                    return Err(Error::Invalid(format!(
                        "gatehouse.toml sets the {port} with a dotted or inline key; write it as a `[{header}]` table, then connect again"
                    )));
                }
            }
        }
    }
    let wanted: Vec<(&str, Option<String>)> = vec![
        ("kind", Some(toml_string(target.kind()))),
        ("url", Some(toml_string(url))),
        ("credential", credential.map(toml_string)),
    ];
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let Some(start) = start else {
        let mut out = text.to_owned();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(newline);
        }
        if !out.is_empty() {
            out.push_str(newline);
        }
        out.push_str(&format!("[{header}]"));
        out.push_str(newline);
        for (k, v) in &wanted {
            if let Some(v) = v {
                out.push_str(&format!("{k} = {v}{newline}"));
            }
        }
        return Ok(out);
    };
    let end = (start + 1..lines.len())
        .find(|&i| table_header(lines[i]).is_some())
        .unwrap_or(lines.len());
    let mut out = String::with_capacity(text.len() + 128);
    for line in &lines[..=start] {
        out.push_str(line);
    }
    if !lines[start].ends_with('\n') {
        out.push_str(newline);
    }
    // Written right under the header, in a fixed order; the old lines for these keys go.
    for (k, v) in &wanted {
        if let Some(v) = v {
            out.push_str(&format!("{k} = {v}{newline}"));
        }
    }
    for line in &lines[start + 1..end] {
        let replaced = key_of(line).is_some_and(|k| wanted.iter().any(|(w, _)| *w == k));
        if !replaced {
            out.push_str(line);
        }
    }
    for line in &lines[end..] {
        out.push_str(line);
    }
    Ok(out)
}

/// Whether line `i` lies in the table `name` (for `registry = {…}` under `[backends]`).
fn in_table(lines: &[&str], i: usize, name: &str) -> bool {
    lines[..i]
        .iter()
        .rev()
        .find_map(|l| table_header(l))
        .is_some_and(|h| h == name)
}

fn write_atomically(path: &Path, text: &str) -> Result<(), Error> {
    let tmp = path.with_extension("toml.tmp");
    let fail = |e: std::io::Error| Error::Port {
        code: ErrorCode::Workspace,
        message: format!("cannot write {}: {e}", path.display()),
    };
    std::fs::write(&tmp, text).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "# team policy\n[workspace]\nname = \"t\"\nmodel = \"churn\"\n\n[backends.registry]\nkind = \"embedded\" # for now\n# keep me\n\n[backends.metrics]\nkind = \"embedded\"\n";

    fn check(text: &str, url: &str, credential: Option<&str>, expected: &str) {
        let got = with_backend(text, Target::Mlflow, url, credential).unwrap();
        assert_eq!(got, expected);
        Policy::parse(&got, POLICY_FILE).unwrap();
    }

    #[test]
    fn the_registry_table_is_rewritten_and_the_rest_kept() {
        check(
            POLICY,
            "http://127.0.0.1:5000",
            Some("mlflow/reader@127.0.0.1:5000"),
            "# team policy\n[workspace]\nname = \"t\"\nmodel = \"churn\"\n\n[backends.registry]\nkind = \"mlflow\"\nurl = \"http://127.0.0.1:5000\"\ncredential = \"mlflow/reader@127.0.0.1:5000\"\n# keep me\n\n[backends.metrics]\nkind = \"embedded\"\n",
        );
    }

    #[test]
    fn connecting_again_replaces_and_may_drop_the_credential() {
        let once = with_backend(POLICY, Target::Mlflow, "http://a:1", Some("e1")).unwrap();
        check(
            &once,
            "http://b:2",
            None,
            "# team policy\n[workspace]\nname = \"t\"\nmodel = \"churn\"\n\n[backends.registry]\nkind = \"mlflow\"\nurl = \"http://b:2\"\n# keep me\n\n[backends.metrics]\nkind = \"embedded\"\n",
        );
    }

    #[test]
    fn a_missing_table_is_appended() {
        check(
            "[workspace]\nname = \"t\"\nmodel = \"churn\"",
            "https://mlflow.example/x",
            Some("e"),
            "[workspace]\nname = \"t\"\nmodel = \"churn\"\n\n[backends.registry]\nkind = \"mlflow\"\nurl = \"https://mlflow.example/x\"\ncredential = \"e\"\n",
        );
    }

    #[test]
    fn dotted_forms_are_refused_not_shadowed() {
        let text = "[workspace]\nname = \"t\"\nmodel = \"churn\"\n[backends]\nregistry = { kind = \"embedded\" }\n";
        assert!(with_backend(text, Target::Mlflow, "http://a:1", None).is_err());
    }

    #[test]
    fn monitoring_back_ends_get_their_own_tables() {
        let metrics = with_backend(POLICY, Target::Prometheus, "http://p:9090", None).unwrap();
        assert!(metrics
            .contains("[backends.metrics]\nkind = \"prometheus\"\nurl = \"http://p:9090\"\n"));
        assert!(metrics.contains("[backends.registry]\nkind = \"embedded\" # for now\n"));
        let alerts =
            with_backend(&metrics, Target::Alertmanager, "http://a:9093", Some("e")).unwrap();
        assert!(alerts.ends_with(
            "[backends.alerts]\nkind = \"alertmanager\"\nurl = \"http://a:9093\"\ncredential = \"e\"\n"
        ));
        let policy = Policy::parse(&alerts, POLICY_FILE).unwrap();
        assert_eq!(policy.backends.alerts.credential.as_deref(), Some("e"));
        assert_eq!(
            policy.backends.metrics.url.as_deref(),
            Some("http://p:9090")
        );
        let token = Credential::Bearer {
            token: Secret::new("t"),
        };
        assert_eq!(
            entry_name(Target::Alertmanager, "http://127.0.0.1:9093", &token),
            "alertmanager/token@127.0.0.1:9093"
        );
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(toml_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }

    #[test]
    fn entry_names_name_user_and_server_only() {
        let basic = Credential::Basic {
            username: "reader".into(),
            password: Secret::new("pw"),
        };
        assert_eq!(
            entry_name(Target::Mlflow, "http://127.0.0.1:5000", &basic),
            "mlflow/reader@127.0.0.1:5000"
        );
        let token = Credential::Bearer {
            token: Secret::new("t"),
        };
        assert_eq!(
            entry_name(Target::Mlflow, "https://ml.example/api/", &token),
            "mlflow/token@ml.example_api"
        );
    }

    #[test]
    fn the_secret_comes_from_stdin_without_its_newline() {
        let args = ConnectArgs {
            url: "http://x".into(),
            username: Some("u".into()),
            password_stdin: true,
        };
        let c = credential(&args, &mut "s3cret pw\n".as_bytes())
            .unwrap()
            .unwrap();
        assert_eq!(c.secret().expose(), "s3cret pw");
        assert!(credential(&args, &mut "\n".as_bytes()).is_err());
        let no_stdin = ConnectArgs {
            password_stdin: false,
            ..args
        };
        assert!(credential(&no_stdin, &mut "".as_bytes()).is_err());
    }
}
