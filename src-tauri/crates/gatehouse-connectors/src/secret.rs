//! Credentials in the OS keyring: service `gatehouse`, user = the entry name that `gatehouse.toml`
//! names. Only the entry name ever reaches a file; the secret stays in the keyring and in memory,
//! and every `Debug` of it is redacted.
//!
//! On macOS and Windows the keyring crate's native stores serve. On Linux the entries live in the
//! kernel's per-user keyring (keyutils, `@u`), through [`UserKeyring`]: it works with no desktop
//! session and no D-Bus (CI, containers, SSH), and every process of the user shares it, so the
//! entry `gatehouse connect` writes is the one the panel reads. The keyring crate's own keyutils
//! store was not used: it links every key into the persistent keyring as well, which fails
//! (`ENOKEY`) in containers, and it keys on the session keyring, which a process may not share.
//! Keyutils keys live in kernel memory and vanish at reboot: right for CI and tests; a desktop
//! that wants them to persist should use Secret Service (a later option).

use serde::{Deserialize, Serialize};

use crate::error::ConnectorError;

/// The keyring service under which Gatehouse stores its entries.
pub const SERVICE: &str = "gatehouse";

/// A secret string. Its `Debug` prints `"***"`; read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

/// How a client proves who it is to a back end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Credential {
    /// HTTP basic auth (MLflow's `basic-auth` app).
    Basic {
        /// The user name (not secret; shown in messages).
        username: String,
        /// The password.
        password: Secret,
    },
    /// A bearer token (`Authorization: Bearer …`).
    Bearer {
        /// The token.
        token: Secret,
    },
}

impl Credential {
    /// The user the back end knows us as, if the credential names one.
    pub fn username(&self) -> Option<&str> {
        match self {
            Credential::Basic { username, .. } => Some(username),
            Credential::Bearer { .. } => None,
        }
    }

    /// The secret part, to check that it appears nowhere it should not.
    pub fn secret(&self) -> &Secret {
        match self {
            Credential::Basic { password, .. } => password,
            Credential::Bearer { token } => token,
        }
    }
}

fn entry(name: &str) -> Result<keyring::Entry, ConnectorError> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '@' | ':'));
    if !valid {
        return Err(ConnectorError::Invalid(format!(
            "`{name}` is not a keyring entry name (letters, digits, `-`, `_`, `.`, `/`, `@`, `:`)"
        )));
    }
    #[cfg(target_os = "linux")]
    {
        Ok(keyring::Entry::new_with_credential(Box::new(UserKeyring {
            description: format!("{SERVICE}:{name}"),
        })))
    }
    #[cfg(not(target_os = "linux"))]
    {
        keyring::Entry::new(SERVICE, name).map_err(|e| keyring_error(name, &e))
    }
}

/// A keyring credential in the Linux kernel's user keyring (`@u`), described `gatehouse:<entry>`.
#[cfg(target_os = "linux")]
#[derive(Debug, Clone)]
pub struct UserKeyring {
    description: String,
}

#[cfg(target_os = "linux")]
impl UserKeyring {
    fn ring() -> keyring::Result<linux_keyutils::KeyRing> {
        linux_keyutils::KeyRing::from_special_id(linux_keyutils::KeyRingIdentifier::User, true)
            .map_err(keyutils_error)
    }

    fn key(&self) -> keyring::Result<(linux_keyutils::KeyRing, linux_keyutils::Key)> {
        let ring = Self::ring()?;
        let key = ring.search(&self.description).map_err(keyutils_error)?;
        Ok((ring, key))
    }
}

#[cfg(target_os = "linux")]
fn keyutils_error(e: linux_keyutils::KeyError) -> keyring::Error {
    use linux_keyutils::KeyError;
    match e {
        KeyError::KeyDoesNotExist
        | KeyError::KeyExpired
        | KeyError::KeyRevoked
        | KeyError::KeyringDoesNotExist => keyring::Error::NoEntry,
        KeyError::AccessDenied => keyring::Error::NoStorageAccess(Box::new(KeyutilsFailure(
            "access denied to the kernel user keyring",
        ))),
        other => keyring::Error::PlatformFailure(Box::new(KeyutilsFailure(match other {
            KeyError::QuotaExceeded => "the kernel key quota is exceeded",
            KeyError::OutOfMemory => "the kernel is out of key memory",
            KeyError::OperationNotSupported => "the kernel does not support keyutils",
            _ => "the kernel keyring failed",
        }))),
    }
}

#[cfg(target_os = "linux")]
#[derive(Debug)]
struct KeyutilsFailure(&'static str);

#[cfg(target_os = "linux")]
impl std::fmt::Display for KeyutilsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(target_os = "linux")]
impl std::error::Error for KeyutilsFailure {}

#[cfg(target_os = "linux")]
impl keyring::credential::CredentialApi for UserKeyring {
    fn set_secret(&self, secret: &[u8]) -> keyring::Result<()> {
        // add_key replaces the payload of an existing key with the same description.
        Self::ring()?
            .add_key(&self.description, secret)
            .map_err(keyutils_error)?;
        Ok(())
    }

    fn get_secret(&self) -> keyring::Result<Vec<u8>> {
        let (_, key) = self.key()?;
        key.read_to_vec().map_err(keyutils_error)
    }

    fn delete_credential(&self) -> keyring::Result<()> {
        let (ring, key) = self.key()?;
        // Unlinking makes the key unfindable at once; invalidating frees it.
        ring.unlink_key(key).map_err(keyutils_error)?;
        let _ = key.invalidate();
        Ok(())
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn keyring_error(name: &str, e: &keyring::Error) -> ConnectorError {
    // keyring's messages name the store and the failure, never the secret.
    ConnectorError::Keyring(format!(
        "entry `{name}`: {}",
        lowercase_first(&e.to_string())
    ))
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Stores `credential` under the entry `name`, replacing what was there.
pub fn store(name: &str, credential: &Credential) -> Result<(), ConnectorError> {
    let text = serde_json::to_string(credential)
        .map_err(|e| ConnectorError::Keyring(format!("entry `{name}`: {e}")))?;
    entry(name)?
        .set_password(&text)
        .map_err(|e| keyring_error(name, &e))
}

/// Reads the credential stored under the entry `name`.
pub fn load(name: &str) -> Result<Credential, ConnectorError> {
    read(name, "store one with `gatehouse connect`")
}

/// The login and password stored under the entry `name`, for the team store, which logs in with
/// both (the store crate's `Keyring`): a token is refused, and a missing entry names
/// `gatehouse store login`.
pub fn login(name: &str) -> Result<(String, String), gatehouse_core::Error> {
    match read(name, "keep a login there with `gatehouse store login`")? {
        Credential::Basic { username, password } => Ok((username, password.0)),
        Credential::Bearer { .. } => Err(ConnectorError::Keyring(format!(
            "entry `{name}` holds a token; the team store needs a login and password: `gatehouse store login`"
        ))
        .into()),
    }
}

/// The credential under the entry `name`; `hint` says how to store a missing one.
fn read(name: &str, hint: &str) -> Result<Credential, ConnectorError> {
    let text = match entry(name)?.get_password() {
        Ok(text) => text,
        Err(keyring::Error::NoEntry) => {
            return Err(ConnectorError::Keyring(format!(
                "no credential under entry `{name}`: {hint}"
            )))
        }
        Err(e) => return Err(keyring_error(name, &e)),
    };
    parse(name, &text)
}

fn parse(name: &str, text: &str) -> Result<Credential, ConnectorError> {
    // The error must not quote the text: it is the secret.
    serde_json::from_str(text).map_err(|_| {
        ConnectorError::Keyring(format!(
            "entry `{name}` holds no gatehouse credential: store one again with `gatehouse connect`"
        ))
    })
}

/// Deletes the entry `name`; deleting a missing entry is not an error.
pub fn delete(name: &str) -> Result<(), ConnectorError> {
    match entry(name)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(keyring_error(name, &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let c = Credential::Basic {
            username: "reader".into(),
            password: Secret::new("hunter2-hunter2"),
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("reader"));
        let t = Credential::Bearer {
            token: Secret::new("tok-123"),
        };
        assert!(!format!("{t:?}").contains("tok-123"));
    }

    #[test]
    fn a_garbled_entry_is_an_error_that_does_not_quote_it() {
        let e = parse("x", "not json hunter2").unwrap_err().to_string();
        assert!(!e.contains("hunter2"), "{e}");
        assert!(e.contains("entry `x`"));
    }

    #[test]
    fn credentials_round_trip_as_json() {
        let c = Credential::Bearer {
            token: Secret::new("t"),
        };
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(parse("x", &text).unwrap(), c);
    }

    #[test]
    fn entry_names_are_checked() {
        assert!(matches!(entry(""), Err(ConnectorError::Invalid(_))));
        assert!(matches!(entry("a b"), Err(ConnectorError::Invalid(_))));
    }

    #[test]
    fn the_kernel_keyring_stores_reads_and_deletes() {
        let name = format!("test/secret-{}", std::process::id());
        let c = Credential::Basic {
            username: "u".into(),
            password: Secret::new("p4ss-word-xyz"),
        };
        store(&name, &c).unwrap();
        assert_eq!(load(&name).unwrap(), c);
        delete(&name).unwrap();
        assert!(matches!(load(&name), Err(ConnectorError::Keyring(_))));
        delete(&name).unwrap();
    }
}
