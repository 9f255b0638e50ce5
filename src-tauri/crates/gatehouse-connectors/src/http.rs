//! The HTTP plumbing the Prometheus and Alertmanager clients share: one client with timeouts, a
//! base URL, retries for reads only, and answers turned into [`ConnectorError`]s without ever
//! quoting more of a body than a short message.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ConnectorError;
use crate::secret::Credential;

/// How a client talks to its back end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientOptions {
    /// The longest a whole call may take.
    pub timeout: Duration,
    /// The longest connecting may take.
    pub connect_timeout: Duration,
    /// How many times a failed read is tried again (writes are never retried).
    pub read_retries: u32,
    /// The pause before the first retry; it doubles with each one.
    pub retry_pause: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
            read_retries: 2,
            retry_pause: Duration::from_millis(100),
        }
    }
}

/// A back end at a base URL.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    backend: &'static str,
    base: reqwest::Url,
    client: reqwest::Client,
    options: ClientOptions,
    credential: Option<Credential>,
}

impl Endpoint {
    pub(crate) fn new(
        backend: &'static str,
        base_url: &str,
        options: ClientOptions,
    ) -> Result<Endpoint, ConnectorError> {
        let mut base = reqwest::Url::parse(base_url.trim()).map_err(|e| {
            ConnectorError::Invalid(format!("{backend} url `{base_url}` is not a url: {e}"))
        })?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(ConnectorError::Invalid(format!(
                "{backend} url `{base_url}` must start with http:// or https://"
            )));
        }
        if !base.username().is_empty() || base.password().is_some() {
            return Err(ConnectorError::Invalid(format!(
                "the {backend} url holds credentials: keep them in the keyring with `gatehouse connect {backend}`"
            )));
        }
        // Paths are joined onto the base, so it must end with a slash to keep a prefix such as
        // `https://host/prometheus/`.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let client = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .build()
            .map_err(|e| ConnectorError::Invalid(format!("cannot build an http client: {e}")))?;
        Ok(Endpoint {
            backend,
            base,
            client,
            options,
            credential: None,
        })
    }

    /// The same endpoint, sending `credential` with every request.
    pub(crate) fn with_credential(self, credential: Option<Credential>) -> Endpoint {
        Endpoint { credential, ..self }
    }

    /// The request with the credential, if any, in its `Authorization` header.
    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.credential {
            None => request,
            Some(Credential::Basic { username, password }) => {
                request.basic_auth(username, Some(password.expose()))
            }
            Some(Credential::Bearer { token }) => request.bearer_auth(token.expose()),
        }
    }

    pub(crate) fn base(&self) -> &str {
        self.base.as_str()
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, ConnectorError> {
        self.base.join(path.trim_start_matches('/')).map_err(|e| {
            ConnectorError::Invalid(format!("bad {} path `{path}`: {e}", self.backend))
        })
    }

    /// A read: retried on connection failures, timeouts and 5xx answers.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ConnectorError> {
        let url = self.url(path)?;
        let mut pause = self.options.retry_pause;
        let mut attempt = 0;
        loop {
            let result = self
                .send(self.client.get(url.clone()).query(query), path)
                .await;
            match result {
                Err(e) if attempt < self.options.read_retries && transient(&e) => {
                    attempt += 1;
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Err(e) => return Err(e),
                Ok(bytes) => return self.decode(path, &bytes),
            }
        }
    }

    /// A write with a JSON body, sent once.
    pub(crate) async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ConnectorError> {
        let request = self.client.post(self.url(path)?).json(body);
        let bytes = self.send(request, path).await?;
        self.decode(path, &bytes)
    }

    /// A delete, sent once; the answer's body is ignored.
    pub(crate) async fn delete(&self, path: &str) -> Result<(), ConnectorError> {
        self.send(self.client.delete(self.url(path)?), path)
            .await
            .map(|_| ())
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        path: &str,
    ) -> Result<Vec<u8>, ConnectorError> {
        let response = self
            .authorized(request)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.unreachable(&e))?
            .to_vec();
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        let message = short_message(&bytes);
        let endpoint = path.to_owned();
        Err(match status {
            401 | 403 => ConnectorError::Denied {
                backend: self.backend,
                detail: if message.is_empty() {
                    format!("{endpoint} needs other credentials")
                } else {
                    message
                },
                status,
            },
            500..=599 => ConnectorError::Server {
                backend: self.backend,
                endpoint,
                status,
                message,
            },
            _ => ConnectorError::Rejected {
                backend: self.backend,
                endpoint,
                status,
                message,
            },
        })
    }

    fn decode<T: DeserializeOwned>(&self, path: &str, bytes: &[u8]) -> Result<T, ConnectorError> {
        serde_json::from_slice(bytes).map_err(|e| self.unexpected(path, undecodable(bytes, &e)))
    }

    /// An answer that is not what the API documents; `detail` says what, cut to one short line.
    pub(crate) fn unexpected(&self, path: &str, detail: String) -> ConnectorError {
        const MAX: usize = 200;
        let line = detail.replace(['\r', '\n'], " ");
        let detail = if line.chars().count() > MAX {
            line.chars().take(MAX - 1).chain(['…']).collect()
        } else {
            line
        };
        ConnectorError::UnexpectedResponse {
            backend: self.backend,
            endpoint: path.to_owned(),
            detail,
        }
    }

    fn unreachable(&self, e: &reqwest::Error) -> ConnectorError {
        let reason = if e.is_timeout() {
            "no answer in time".to_owned()
        } else if e.is_connect() {
            "connection failed".to_owned()
        } else {
            lowercase(&e.to_string())
        };
        ConnectorError::Unreachable {
            backend: self.backend,
            url: self.base.to_string(),
            reason,
        }
    }
}

/// What is wrong with a body that is not the JSON expected, in words: an empty body and an HTML
/// page (a proxy's login or error page) said as such, a body cut short as such, else the
/// parser's message with the values it quotes kept short.
fn undecodable(bytes: &[u8], e: &serde_json::Error) -> String {
    let text = String::from_utf8_lossy(bytes);
    let start = text.trim_start();
    if start.is_empty() {
        return "an empty body".into();
    }
    if start.starts_with('<') {
        return "an html page, not json (a proxy or login page in the way?)".into();
    }
    let message = shorten_quoted(&e.to_string());
    if e.is_eof() {
        format!("the body ends early: {message}")
    } else {
        message
    }
}

/// `message` with every double-quoted value longer than 40 characters cut short, so that the
/// parser's "expected …" after a long value stays in view.
fn shorten_quoted(message: &str) -> String {
    const KEEP: usize = 40;
    let mut out = String::with_capacity(message.len().min(400));
    let (mut inside, mut escaped, mut run) = (false, false, 0usize);
    for c in message.chars() {
        if !inside {
            inside = c == '"';
            run = 0;
            out.push(c);
            continue;
        }
        if !escaped && c == '"' {
            inside = false;
            if run > KEEP {
                out.push('…');
            }
            out.push(c);
            continue;
        }
        escaped = !escaped && c == '\\';
        run += 1;
        if run <= KEEP {
            out.push(c);
        }
    }
    out
}

fn transient(e: &ConnectorError) -> bool {
    match e {
        ConnectorError::Unreachable { .. } | ConnectorError::Server { .. } => true,
        ConnectorError::Denied { .. }
        | ConnectorError::UnexpectedResponse { .. }
        | ConnectorError::NotFound(_)
        | ConnectorError::Rejected { .. }
        | ConnectorError::Unsettled { .. }
        | ConnectorError::Invalid(_)
        | ConnectorError::Keyring(_) => false,
    }
}

fn lowercase(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The message of an error answer: the `error` or `message` field of a JSON body (Prometheus,
/// Alertmanager), or a body that is one short line of text; never HTML or a long body.
pub(crate) fn short_message(bytes: &[u8]) -> String {
    const MAX: usize = 200;
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(bytes) {
        for key in ["error", "message"] {
            if let Some(serde_json::Value::String(s)) = map.get(key) {
                return s.chars().take(MAX).collect();
            }
        }
    }
    if let Ok(serde_json::Value::String(s)) = serde_json::from_slice(bytes) {
        return s.chars().take(MAX).collect();
    }
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if !text.is_empty() && text.len() <= MAX && !text.contains('\n') && !text.starts_with('<') {
        text.to_owned()
    } else {
        String::new()
    }
}
