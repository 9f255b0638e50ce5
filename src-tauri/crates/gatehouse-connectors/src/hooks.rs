//! Deploy hooks: a signed JSON POST to each webhook the policy names for an event, so that a CD
//! system follows the registry. The body is `{event, model, version, previous, pointer, request,
//! actor, at}`; the header `X-Gatehouse-Signature: sha256=<hex>` holds the HMAC-SHA256 of the
//! exact body under the hook's shared secret, as GitHub signs its webhooks. A call is retried
//! only when it cannot have reached the receiver's logic (no connection) or the receiver failed
//! (5xx); the answer is returned for the audit log. [`Webhooks`] is the core's
//! [`HookSink`], with each hook's secret read from the OS keyring at the moment of the call.

use std::time::Duration;

use gatehouse_core::hook::{HookCall, HookPayload, HookSink, HookSpec};
use gatehouse_core::Error;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::ConnectorError;
use crate::http::ClientOptions;
use crate::secret::{self, Credential, Secret};

/// The header that carries the body's signature.
pub const SIGNATURE_HEADER: &str = "X-Gatehouse-Signature";

const BACKEND: &str = "deploy hook";

/// How a hook answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookResponse {
    /// The hook's URL.
    pub url: String,
    /// The HTTP status of the last answer.
    pub status: u16,
    /// The start of the answer's body, on one line.
    pub body: String,
    /// How many calls it took.
    pub attempts: u32,
}

impl HookResponse {
    /// The answer in one line, for the audit log's `response`.
    pub fn summary(&self) -> String {
        let tries = if self.attempts == 1 { "try" } else { "tries" };
        if self.body.is_empty() {
            format!(
                "hook {} answered {} after {} {tries}",
                self.url, self.status, self.attempts
            )
        } else {
            format!(
                "hook {} answered {} after {} {tries}: {}",
                self.url, self.status, self.attempts, self.body
            )
        }
    }
}

/// A call that failed, with how many tries it took.
#[derive(Debug)]
pub struct HookFailure {
    /// Why the last try failed.
    pub error: ConnectorError,
    /// How many calls were made.
    pub attempts: u32,
}

impl std::fmt::Display for HookFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tries = if self.attempts == 1 { "try" } else { "tries" };
        write!(f, "{} after {} {tries}", self.error, self.attempts)
    }
}

impl From<HookFailure> for Error {
    fn from(failure: HookFailure) -> Error {
        let message = failure.to_string();
        match Error::from(failure.error) {
            Error::Invalid(_) => Error::Invalid(message),
            Error::Denied(_) => Error::Denied(message),
            Error::NotFound(_) => Error::NotFound(message),
            other => Error::Port {
                code: other.code(),
                message,
            },
        }
    }
}

/// `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail; an empty signature would only make
    // the receiver refuse the call.
    match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(body);
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        }
        Err(_) => String::new(),
    }
}

/// Calls one hook with `payload`, signed with `secret` when given. `options.read_retries` is the
/// number of retries; the pause doubles from `options.retry_pause`.
pub async fn call(
    hook: &HookSpec,
    payload: &HookPayload,
    secret: Option<&Secret>,
    options: ClientOptions,
) -> Result<HookResponse, HookFailure> {
    let before_any = |error| HookFailure { error, attempts: 0 };
    let url = reqwest::Url::parse(&hook.url).map_err(|e| {
        before_any(ConnectorError::Invalid(format!(
            "hook url `{}` is not a url: {e}",
            hook.url
        )))
    })?;
    let client = reqwest::Client::builder()
        .timeout(options.timeout)
        .connect_timeout(options.connect_timeout)
        .build()
        .map_err(|e| {
            before_any(ConnectorError::Invalid(format!(
                "cannot build an http client: {e}"
            )))
        })?;
    let body = serde_json::to_vec(payload).map_err(|e| {
        before_any(ConnectorError::Invalid(format!(
            "cannot encode the hook body: {e}"
        )))
    })?;
    let mut pause = options.retry_pause;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut request = client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.clone());
        if let Some(secret) = secret {
            request = request.header(
                SIGNATURE_HEADER,
                signature(secret.expose().as_bytes(), &body),
            );
        }
        let outcome = match request.send().await {
            Err(e) => Err((e.is_connect(), unreachable(&hook.url, &e))),
            Ok(response) => {
                let status = response.status().as_u16();
                let text = response
                    .bytes()
                    .await
                    .map(|b| snippet(&b))
                    .unwrap_or_default();
                match status {
                    200..=299 => Ok(HookResponse {
                        url: hook.url.clone(),
                        status,
                        body: text,
                        attempts,
                    }),
                    500..=599 => Err((
                        true,
                        ConnectorError::Server {
                            backend: BACKEND,
                            endpoint: hook.url.clone(),
                            status,
                            message: text,
                        },
                    )),
                    401 | 403 => Err((
                        false,
                        ConnectorError::Denied {
                            backend: BACKEND,
                            detail: format!("{} refused the call: {text}", hook.url),
                            status,
                        },
                    )),
                    _ => Err((
                        false,
                        ConnectorError::Rejected {
                            backend: BACKEND,
                            endpoint: hook.url.clone(),
                            status,
                            message: text,
                        },
                    )),
                }
            }
        };
        match outcome {
            Ok(response) => return Ok(response),
            Err((true, _)) if attempts <= options.read_retries => {
                tokio::time::sleep(pause).await;
                pause = pause.saturating_mul(2).min(Duration::from_secs(30));
            }
            Err((_, error)) => return Err(HookFailure { error, attempts }),
        }
    }
}

/// The [`HookSink`] of the CLI and the panel: calls each hook with its signing secret from the
/// keyring entry the policy names, with a timeout and retries.
#[derive(Debug, Clone, Copy)]
pub struct Webhooks {
    options: ClientOptions,
}

impl Webhooks {
    /// Calls hooks with these timeouts and retries.
    pub fn new(options: ClientOptions) -> Webhooks {
        Webhooks { options }
    }
}

impl Default for Webhooks {
    /// Ten seconds a call, two retries half a second and a second apart.
    fn default() -> Webhooks {
        Webhooks::new(ClientOptions {
            retry_pause: Duration::from_millis(500),
            ..ClientOptions::default()
        })
    }
}

impl HookSink for Webhooks {
    fn call<'a>(&'a self, hook: &'a HookSpec, payload: &'a HookPayload) -> HookCall<'a> {
        Box::pin(async move {
            let secret = match &hook.secret {
                Some(entry) => Some(load_secret(entry)?),
                None => None,
            };
            let response = call(hook, payload, secret.as_ref(), self.options).await?;
            Ok(response.summary())
        })
    }
}

/// Stores a hook's signing secret under the keyring entry `entry` (the name `[[hooks]]`'s
/// `secret` gives).
pub fn store_secret(entry: &str, secret: Secret) -> Result<(), ConnectorError> {
    secret::store(entry, &Credential::Bearer { token: secret })
}

/// Reads the hook signing secret stored under the keyring entry `entry`.
pub fn load_secret(entry: &str) -> Result<Secret, ConnectorError> {
    match secret::load(entry) {
        Ok(Credential::Bearer { token }) => Ok(token),
        Ok(Credential::Basic { .. }) => Err(ConnectorError::Keyring(format!(
            "entry `{entry}` holds a user and password, not a hook's signing secret"
        ))),
        // The keyring's own hint names `gatehouse connect`, which stores back-end credentials.
        Err(ConnectorError::Keyring(m)) if m.starts_with("no credential") => {
            Err(ConnectorError::Keyring(format!(
                "no signing secret under entry `{entry}`: store one with `gatehouse hooks secret {entry}`"
            )))
        }
        Err(e) => Err(e),
    }
}

fn unreachable(url: &str, e: &reqwest::Error) -> ConnectorError {
    let reason = if e.is_timeout() {
        "no answer in time (the hook may still have acted)".to_owned()
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else {
        e.to_string().to_lowercase()
    };
    ConnectorError::Unreachable {
        backend: BACKEND,
        url: url.to_owned(),
        reason,
    }
}

/// The start of a body on one line: at most 200 characters, control characters as spaces.
fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    one_line.trim().to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::thread;

    use gatehouse_core::hook::HookEvent;
    use gatehouse_core::policy::UserName;
    use gatehouse_core::promotion::RequestId;
    use gatehouse_core::time::Timestamp;

    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_in_hex() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    /// What the listener saw of one request.
    struct Seen {
        signature: Option<String>,
        body: Vec<u8>,
    }

    /// Serves one answer per connection from `answers`, on 127.0.0.1, in a thread.
    fn listener(answers: Vec<(u16, &'static str)>) -> (String, thread::JoinHandle<Vec<Seen>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks/deploy", listener.local_addr().unwrap());
        let handle = thread::spawn(move || {
            let mut seen = Vec::new();
            for (status, body) in answers {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                let mut signature = None;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':') {
                        let value = value.trim().to_owned();
                        match name.to_ascii_lowercase().as_str() {
                            "content-length" => length = value.parse().unwrap(),
                            "x-gatehouse-signature" => signature = Some(value),
                            _ => {}
                        }
                    }
                }
                let mut bytes = vec![0; length];
                reader.read_exact(&mut bytes).unwrap();
                seen.push(Seen {
                    signature,
                    body: bytes,
                });
                let mut stream = stream;
                write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .unwrap();
            }
            seen
        });
        (url, handle)
    }

    fn payload() -> HookPayload {
        HookPayload {
            event: HookEvent::Rollback,
            model: "churn".into(),
            version: "2".into(),
            previous: Some("3".into()),
            pointer: "production".into(),
            request: Some(RequestId(7)),
            actor: UserName::from("rule:rollout"),
            at: Timestamp(1_795_000_000_000),
        }
    }

    fn options() -> ClientOptions {
        ClientOptions {
            retry_pause: Duration::from_millis(10),
            ..ClientOptions::default()
        }
    }

    fn hook(url: &str) -> HookSpec {
        HookSpec {
            url: url.to_owned(),
            events: vec![HookEvent::Rollback],
            secret: Some("gatehouse/hook".into()),
        }
    }

    #[tokio::test]
    async fn a_hook_is_signed_retried_on_5xx_and_its_answer_kept() {
        let (url, server) = listener(vec![(503, "busy"), (202, "{\"sync\":\"started\"}")]);
        let secret = Secret::new("s3cr3t");
        let response = call(&hook(&url), &payload(), Some(&secret), options())
            .await
            .unwrap();
        assert_eq!((response.status, response.attempts), (202, 2));
        assert_eq!(
            response.summary(),
            format!("hook {url} answered 202 after 2 tries: {{\"sync\":\"started\"}}")
        );
        let seen = server.join().unwrap();
        for request in &seen {
            // The receiver checks the signature with the shared secret, independently of ours.
            let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cr3t").unwrap();
            mac.update(&request.body);
            let given = request.signature.as_deref().unwrap();
            let hex = given.strip_prefix("sha256=").unwrap();
            mac.verify_slice(&hex::decode(hex).unwrap()).unwrap();
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
            assert_eq!(
                body,
                serde_json::json!({"event": "rollback", "model": "churn", "version": "2",
                    "previous": "3", "pointer": "production", "request": 7,
                    "actor": "rule:rollout", "at": 1_795_000_000_000_i64})
            );
        }
    }

    #[tokio::test]
    async fn a_refusal_is_not_retried_and_an_absent_receiver_is_unreachable() {
        let (url, server) = listener(vec![(400, "unknown app")]);
        let err = call(&hook(&url), &payload(), None, options())
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("deploy hook rejected {url} (400): unknown app after 1 try")
        );
        let seen = server.join().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].signature, None);

        // Nobody listens on a port just released.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/hook");
        let err = call(&hook(&url), &payload(), None, options())
            .await
            .unwrap_err();
        assert!(
            matches!(err.error, ConnectorError::Unreachable { .. }),
            "{err}"
        );
        assert_eq!(err.attempts, 3, "no connection is retried");
    }

    #[tokio::test]
    async fn a_hook_that_does_not_answer_in_time_is_not_called_again() {
        // It reads the call and says nothing: it may have acted, so a second call could act twice.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/slow", listener.local_addr().unwrap());
        let server = thread::spawn(move || {
            let mut accepted = Vec::new();
            listener.set_nonblocking(true).unwrap();
            let until = std::time::Instant::now() + Duration::from_millis(1500);
            while std::time::Instant::now() < until {
                if let Ok((stream, _)) = listener.accept() {
                    accepted.push(stream);
                }
                thread::sleep(Duration::from_millis(10));
            }
            accepted.len()
        });
        let options = ClientOptions {
            timeout: Duration::from_millis(300),
            ..options()
        };
        let err = call(&hook(&url), &payload(), None, options)
            .await
            .unwrap_err();
        assert_eq!(err.attempts, 1);
        assert!(
            err.to_string()
                .ends_with("no answer in time (the hook may still have acted) after 1 try"),
            "{err}"
        );
        assert_eq!(server.join().unwrap(), 1);
    }

    #[tokio::test]
    async fn the_sink_reads_the_secret_from_the_keyring_and_names_a_missing_one() {
        let (url, server) = listener(vec![(200, "ok")]);
        let entry = format!("test/hook-{}", std::process::id());
        store_secret(&entry, Secret::new("kept-in-the-keyring")).unwrap();
        let spec = HookSpec {
            secret: Some(entry.clone()),
            ..hook(&url)
        };
        let sink = Webhooks::new(options());
        let answer = sink.call(&spec, &payload()).await.unwrap();
        assert_eq!(answer, format!("hook {url} answered 200 after 1 try: ok"));
        let seen = server.join().unwrap();
        assert_eq!(
            seen[0].signature.as_deref(),
            Some(signature(b"kept-in-the-keyring", &seen[0].body).as_str())
        );
        secret::delete(&entry).unwrap();

        let err = sink.call(&spec, &payload()).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("keyring: no signing secret under entry `{entry}`: store one with `gatehouse hooks secret {entry}`")
        );
    }
}
