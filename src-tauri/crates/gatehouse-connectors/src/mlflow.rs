//! The MLflow registry over its REST API (`/api/2.0/mlflow/…`): registered models with their
//! aliases, versions with their runs' metrics, and the alias moves that promotions and rollbacks
//! make, behind the core's [`Registry`] port.
//!
//! Three facts of MLflow shape this module. Its page tokens are offsets, so a write between two
//! pages shifts the rows under the reader: [`Client::list`] detects every shift (a repeated row,
//! or an overlap row that is not the one it should be) and lists again. Its alias set is an upsert
//! with no compare-and-swap, so the core reads the pointer before moving it and this client reads
//! it back after. And it records no actor, so a moved version is tagged with who promoted it and
//! for which request.
//!
//! Older servers promote with legacy stages instead of aliases. When the policy says so
//! (`pointers = "stages"`), a pointer is a stage (`Staging`, `Production`): it points to the
//! newest version in that stage, and moving it transitions the version there, archiving the one
//! that held it, so that a stage points to one version as an alias does.

mod wire;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use base64::Engine;
use gatehouse_core::policy::{Backend, BackendKind, PointerKind, UserName};
use gatehouse_core::ports::Registry;
use gatehouse_core::promotion::RequestId;
use gatehouse_core::reading::ModelName;
use gatehouse_core::registry::{Model, ModelVersion, PointerName, VersionId};
use gatehouse_core::time::Timestamp;
use gatehouse_core::Error;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ConnectorError;
use crate::secret::{self, Credential};

const BACKEND: &str = "mlflow";
const API: &str = "api/2.0/mlflow";

/// The tag on a version naming who promoted it.
pub const TAG_PROMOTED_BY: &str = "gatehouse.promoted_by";
/// The tag on a version naming the request that promoted it.
pub const TAG_REQUEST: &str = "gatehouse.request";
/// The tag on a version naming the pointer it was promoted to.
pub const TAG_POINTER: &str = "gatehouse.pointer";

/// The legacy stages a pointer may name when the registry uses stages. `Archived` holds every
/// retired version and `None` no version at all: neither says which version serves.
pub const STAGES: [&str; 2] = ["Staging", "Production"];

/// The largest page sizes MLflow 3 accepts (`SEARCH_*_MAX_RESULTS_THRESHOLD`). Older servers
/// accept less: a refused size is divided by ten until the server takes it.
const MAX_MODEL_PAGE: u32 = 1_000;
const MAX_VERSION_PAGE: u32 = 200_000;
const MAX_RUN_PAGE: u32 = 50_000;

/// How a [`Client`] talks to its server.
#[derive(Debug, Clone)]
pub struct Config {
    /// The whole of one HTTP exchange, from connecting to the last byte.
    pub timeout: Duration,
    /// Connecting alone.
    pub connect_timeout: Duration,
    /// How many times a read is tried before it fails (writes are tried once).
    pub read_attempts: u32,
    /// The wait before the second try of a read; doubled before each further one.
    pub backoff: Duration,
    /// Registered models per page (at most what the server accepts).
    pub model_page_size: u32,
    /// Model versions per page (at most what the server accepts).
    pub version_page_size: u32,
    /// Run ids per `runs/search` request when reading metrics.
    pub run_batch: usize,
    /// How many times a listing is taken again when the registry changed under it.
    pub listing_attempts: u32,
    /// Whether pointers are aliases or legacy stages.
    pub pointers: PointerKind,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            read_attempts: 3,
            backoff: Duration::from_millis(200),
            model_page_size: MAX_MODEL_PAGE,
            version_page_size: MAX_VERSION_PAGE,
            run_batch: 100,
            listing_attempts: 4,
            pointers: PointerKind::Aliases,
        }
    }
}

/// Whether a version's files are registered (MLflow's `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// Registered and usable.
    Ready,
    /// Still being registered.
    PendingRegistration,
    /// Registration failed.
    FailedRegistration,
    /// A status this client does not know (a newer server).
    Unrecognised,
}

impl VersionStatus {
    fn from_wire(s: &str) -> VersionStatus {
        match s {
            "READY" | "" => VersionStatus::Ready,
            "PENDING_REGISTRATION" => VersionStatus::PendingRegistration,
            "FAILED_REGISTRATION" => VersionStatus::FailedRegistration,
            _ => VersionStatus::Unrecognised,
        }
    }
}

/// What MLflow knows of a version beyond the core's [`ModelVersion`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionDetails {
    /// Registration status.
    pub status: VersionStatus,
    /// Its description (empty when none).
    pub description: String,
    /// Its legacy stage (`Staging`, `Production`, `Archived`), if any.
    pub stage: Option<String>,
    /// Where its files are (`runs:/…`, `s3://…`).
    pub source: String,
    /// Its run's parameters, when runs were read.
    pub params: BTreeMap<String, String>,
}

/// A run's metrics, parameters and lineage, as read for the versions it produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSummary {
    /// Latest value of each finite metric.
    pub metrics: BTreeMap<String, f64>,
    /// Parameters.
    pub params: BTreeMap<String, String>,
    /// The git commit MLflow recorded (`mlflow.source.git.commit`), if any.
    pub code_commit: Option<String>,
    /// The `data_version` parameter or tag, if any.
    pub data_version: Option<String>,
}

/// The registry as one consistent listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    /// Models by name, each with its aliases and versions (oldest first).
    pub models: Vec<Model>,
    /// What MLflow knows beyond the core's types, per model and version.
    pub details: BTreeMap<(ModelName, VersionId), VersionDetails>,
    /// How many times the registry was listed before a listing held (1 when nothing changed).
    pub attempts: u32,
}

/// Called after each page of a listing with the endpoint and the page's number (from 1): lets
/// drills and tests write between pages.
pub type PageHook<'a> =
    dyn Fn(&'static str, u32) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync + 'a;

/// An MLflow client. Cheap to clone the inner connection pool is shared.
pub struct Client {
    http: reqwest::Client,
    base: String,
    credential: Option<Credential>,
    config: Config,
    model_page: AtomicU32,
    version_page: AtomicU32,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("credential", &self.credential)
            .field("config", &self.config)
            .finish()
    }
}

/// One HTTP exchange to make.
struct Call<'a> {
    method: Method,
    endpoint: &'a str,
    query: Vec<(&'static str, String)>,
    body: Option<serde_json::Value>,
    /// What it does, for refusals: "edit model `churn`".
    action: String,
    /// Reads are retried; writes are not.
    read: bool,
}

impl Client {
    /// A client for the server at `url` (`http://host:5000`, with or without a path prefix).
    pub fn new(
        url: &str,
        credential: Option<Credential>,
        config: Config,
    ) -> Result<Client, ConnectorError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| ConnectorError::Invalid(format!("`{url}` is not a url: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ConnectorError::Invalid(format!(
                "`{url}` must start with http:// or https://"
            )));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(ConnectorError::Invalid(
                "the mlflow url holds credentials: keep them in the keyring with `gatehouse connect`"
                    .into(),
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| ConnectorError::Invalid(format!("http client: {e}")))?;
        Ok(Client {
            http,
            base: url.trim_end_matches('/').to_owned(),
            credential,
            model_page: AtomicU32::new(config.model_page_size.clamp(1, MAX_MODEL_PAGE)),
            version_page: AtomicU32::new(config.version_page_size.clamp(1, MAX_VERSION_PAGE)),
            config,
        })
    }

    /// A client for the policy's registry back end, with its credential from the keyring and its
    /// kind of pointers.
    pub fn from_backend(backend: &Backend, config: Config) -> Result<Client, ConnectorError> {
        if backend.kind != BackendKind::Mlflow {
            return Err(ConnectorError::Invalid(
                "the registry back end is not mlflow".into(),
            ));
        }
        let url = backend.url.as_deref().ok_or_else(|| {
            ConnectorError::Invalid("`backends.registry.url` is required for mlflow".into())
        })?;
        let credential = match &backend.credential {
            Some(entry) => Some(secret::load(entry)?),
            None => None,
        };
        let config = Config {
            pointers: backend.pointers,
            ..config
        };
        Client::new(url, credential, config)
    }

    /// The server's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// The page size the client uses for model versions now (after any the server refused).
    pub fn version_page_size(&self) -> u32 {
        self.version_page.load(Ordering::Relaxed)
    }

    fn who(&self) -> String {
        match self.credential.as_ref().and_then(Credential::username) {
            Some(u) => format!("user `{u}`"),
            None => "this client".into(),
        }
    }

    fn unreachable(&self, reason: String) -> ConnectorError {
        ConnectorError::Unreachable {
            backend: BACKEND,
            url: self.base.clone(),
            reason,
        }
    }

    /// One exchange: retried with backoff when it is a read that failed in transit or on a 5xx.
    async fn send<T: DeserializeOwned>(&self, call: &Call<'_>) -> Result<T, ConnectorError> {
        let attempts = if call.read {
            self.config.read_attempts.max(1)
        } else {
            1
        };
        let mut wait = self.config.backoff;
        let mut tried = 1;
        loop {
            match self.send_once(call).await {
                Err(e) if tried < attempts && transient(&e) => {
                    tokio::time::sleep(wait).await;
                    wait = wait.saturating_mul(2);
                    tried += 1;
                }
                done => return done,
            }
        }
    }

    async fn send_once<T: DeserializeOwned>(&self, call: &Call<'_>) -> Result<T, ConnectorError> {
        let url = format!("{}/{API}/{}", self.base, call.endpoint);
        let mut req = self
            .http
            .request(call.method.clone(), &url)
            .query(&call.query);
        if let Some(body) = &call.body {
            req = req.json(body);
        }
        req = match &self.credential {
            Some(Credential::Basic { username, password }) => {
                req.basic_auth(username, Some(password.expose()))
            }
            Some(Credential::Bearer { token }) => req.bearer_auth(token.expose()),
            None => req,
        };
        let response = req.send().await.map_err(|e| self.transport(&e))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| self.transport(&e))?;
        decode(status, &bytes, call, &self.who())
    }

    fn transport(&self, e: &reqwest::Error) -> ConnectorError {
        let reason = if e.is_timeout() {
            format!("no answer within {} s", self.config.timeout.as_secs_f64())
        } else if e.is_connect() {
            "connection refused or failed".to_owned()
        } else if e.is_body() || e.is_decode() {
            "the connection broke while reading the answer".to_owned()
        } else {
            // reqwest's message names the url, which holds no credential (checked in `new`).
            lowercase_first(&e.to_string())
        };
        self.unreachable(reason)
    }

    async fn get<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        query: Vec<(&'static str, String)>,
        action: String,
    ) -> Result<T, ConnectorError> {
        self.send(&Call {
            method: Method::GET,
            endpoint,
            query,
            body: None,
            action,
            read: true,
        })
        .await
    }

    async fn post<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        body: serde_json::Value,
        action: String,
        read: bool,
    ) -> Result<T, ConnectorError> {
        self.send(&Call {
            method: Method::POST,
            endpoint,
            query: Vec::new(),
            body: Some(body),
            action,
            read,
        })
        .await
    }

    /// Whether the server answers at all (`/health`, outside the API prefix).
    pub async fn health(&self) -> Result<(), ConnectorError> {
        let url = format!("{}/health", self.base);
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| self.transport(&e))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(self.unreachable(format!("/health answered {}", response.status().as_u16())))
        }
    }

    // ---- reads -------------------------------------------------------------------------------

    /// Checks that the server answers and accepts the credential, with the cheapest registry
    /// read there is (one registered model). A refused credential is [`ConnectorError::Denied`].
    pub async fn check(&self) -> Result<(), ConnectorError> {
        let _: wire::SearchModels = self
            .get(
                "registered-models/search",
                vec![("max_results", "1".into())],
                "read the registry".into(),
            )
            .await?;
        Ok(())
    }

    /// The version `model@alias` points to; `None` when the alias is not set. A missing model is
    /// [`ConnectorError::NotFound`].
    pub async fn alias(
        &self,
        model: &ModelName,
        alias: &PointerName,
    ) -> Result<Option<VersionId>, ConnectorError> {
        let got: Result<wire::OneVersion, _> = self
            .get(
                "registered-models/alias",
                vec![("name", model.0.clone()), ("alias", alias.0.clone())],
                format!("read model `{model}`"),
            )
            .await;
        match got {
            Ok(one) => {
                let v = one.model_version.ok_or_else(|| {
                    unexpected(
                        "registered-models/alias",
                        "no model_version in the answer".into(),
                    )
                })?;
                version_id(&v.version, "registered-models/alias").map(Some)
            }
            // MLflow answers a missing alias with 400 INVALID_PARAMETER_VALUE, not 404.
            Err(ConnectorError::Rejected {
                status: 400,
                message,
                ..
            }) if message.contains("not found") && message.contains("lias") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The newest version of `model` in the legacy `stage`; `None` when no version is in it. A
    /// missing model is [`ConnectorError::NotFound`].
    pub async fn stage(
        &self,
        model: &ModelName,
        stage: &str,
    ) -> Result<Option<VersionId>, ConnectorError> {
        const ENDPOINT: &str = "registered-models/get-latest-versions";
        // A POST that only reads: retried like a read.
        let got: wire::SearchVersions = self
            .post(
                ENDPOINT,
                serde_json::json!({"name": model.0, "stages": [stage]}),
                format!("read model `{model}`"),
                true,
            )
            .await?;
        let mut newest: Option<(u64, VersionId)> = None;
        for v in got.model_versions {
            let id = version_id(&v.version, ENDPOINT)?;
            let n = id.0.parse::<u64>().unwrap_or(u64::MAX);
            if newest.as_ref().is_none_or(|(m, _)| n > *m) {
                newest = Some((n, id));
            }
        }
        Ok(newest.map(|(_, id)| id))
    }

    /// The stage `pointer` names when the registry uses stages; `None` when pointers are
    /// aliases. A name that is no stage is refused rather than taken as an alias.
    fn stage_of(&self, pointer: &PointerName) -> Result<Option<&'static str>, ConnectorError> {
        match self.config.pointers {
            PointerKind::Aliases => Ok(None),
            PointerKind::Stages => STAGES
                .iter()
                .find(|s| **s == pointer.as_str())
                .map(|s| Some(*s))
                .ok_or_else(|| {
                    ConnectorError::Invalid(format!(
                        "this mlflow registry uses stages (`pointers = \"stages\"` in the policy): `{}` is none of {}",
                        clip(pointer.as_str(), 60),
                        STAGES.join(", ")
                    ))
                }),
        }
    }

    /// The version `model`'s pointer names: the alias's version, or the newest version in the
    /// stage when the registry uses stages.
    pub async fn pointer_version(
        &self,
        model: &ModelName,
        pointer: &PointerName,
    ) -> Result<Option<VersionId>, ConnectorError> {
        match self.stage_of(pointer)? {
            Some(stage) => self.stage(model, stage).await,
            None => self.alias(model, pointer).await,
        }
    }

    /// One version, or `None` when the model has no such version.
    pub async fn version(
        &self,
        model: &ModelName,
        version: &VersionId,
    ) -> Result<Option<(ModelVersion, VersionDetails)>, ConnectorError> {
        if !is_version_number(version.as_str()) {
            // MLflow answers 400 to anything but a number; no such version exists.
            return Ok(None);
        }
        let got: Result<wire::OneVersion, _> = self
            .get(
                "model-versions/get",
                vec![("name", model.0.clone()), ("version", version.0.clone())],
                format!("read model `{model}`"),
            )
            .await;
        match got {
            Ok(one) => {
                let v = one.model_version.ok_or_else(|| {
                    unexpected(
                        "model-versions/get",
                        "no model_version in the answer".into(),
                    )
                })?;
                convert::version(v, "model-versions/get").map(|(_, mv, d)| Some((mv, d)))
            }
            Err(ConnectorError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The registry: every model with its aliases and versions, without run metrics. Exact even
    /// when the registry changes while it is read: see the module's documentation.
    pub async fn list(&self) -> Result<Listing, ConnectorError> {
        self.list_observed(None).await
    }

    /// [`Client::list`] with the source runs' metrics, parameters and lineage filled in.
    pub async fn list_with_runs(&self) -> Result<Listing, ConnectorError> {
        let mut listing = self.list().await?;
        let ids: BTreeSet<String> = listing
            .models
            .iter()
            .flat_map(|m| m.versions.iter())
            .filter(|v| !v.run_id.is_empty())
            .map(|v| v.run_id.clone())
            .collect();
        let runs = self.runs(&ids).await?;
        for model in &mut listing.models {
            for v in &mut model.versions {
                let Some(run) = runs.get(&v.run_id) else {
                    continue;
                };
                v.metrics = run.metrics.clone();
                v.code_commit = v.code_commit.take().or_else(|| run.code_commit.clone());
                v.data_version = v.data_version.take().or_else(|| run.data_version.clone());
                if let Some(d) = listing
                    .details
                    .get_mut(&(model.name.clone(), v.version.clone()))
                {
                    d.params = run.params.clone();
                }
            }
        }
        Ok(listing)
    }

    /// [`Client::list`], calling `hook` after every page.
    pub async fn list_observed(
        &self,
        hook: Option<&PageHook<'_>>,
    ) -> Result<Listing, ConnectorError> {
        let attempts = self.config.listing_attempts.max(1);
        let mut previous: Option<Listing> = None;
        for attempt in 1..=attempts {
            let Some((listing, verified)) = self.list_once(hook).await? else {
                continue;
            };
            let listing = Listing {
                attempts: attempt,
                ..listing
            };
            if verified {
                return Ok(listing);
            }
            // The server's page tokens could not be checked for shifts: accept a listing only
            // when two in a row agree.
            if let Some(before) = &previous {
                if before.models == listing.models && before.details == listing.details {
                    return Ok(listing);
                }
            }
            previous = Some(listing);
        }
        Err(ConnectorError::Unsettled {
            backend: BACKEND,
            attempts,
        })
    }

    /// One listing; `None` when a shift was seen and the caller should list again. The flag says
    /// whether every page boundary was checked.
    async fn list_once(
        &self,
        hook: Option<&PageHook<'_>>,
    ) -> Result<Option<(Listing, bool)>, ConnectorError> {
        let Some(models) = self
            .paginate::<wire::SearchModels, _>(
                "registered-models/search",
                vec![("order_by", "name ASC".into())],
                &self.model_page,
                MAX_MODEL_PAGE,
                |m: &wire::RegisteredModel| m.name.clone(),
                hook,
            )
            .await?
        else {
            return Ok(None);
        };
        let Some(versions) = self
            .paginate::<wire::SearchVersions, _>(
                "model-versions/search",
                vec![
                    ("order_by", "name ASC".into()),
                    ("order_by", "version_number ASC".into()),
                ],
                &self.version_page,
                MAX_VERSION_PAGE,
                |v: &wire::ModelVersion| (v.name.clone(), v.version.clone()),
                hook,
            )
            .await?
        else {
            return Ok(None);
        };
        let verified = models.verified && versions.verified;
        let listing =
            convert::listing(models.items, versions.items)?.map(|l| match self.config.pointers {
                PointerKind::Aliases => l,
                PointerKind::Stages => with_stage_pointers(l),
            });
        Ok(listing.map(|l| (l, verified)))
    }

    /// Every row of a search, page by page at the largest page size the server takes. Returns
    /// `None` when the rows shifted between two pages (a repeated row, or an overlap row that is
    /// not the last row of the page before).
    ///
    /// MLflow's tokens are base64 of `{"offset": n}` (documented as unstable). When a token has
    /// that form, the next page is asked from one row earlier, so that its first row must be the
    /// previous page's last: any insert or delete before the boundary shows as a mismatch. Below
    /// the server's `max` such a page asks for one row more, so that every page still brings
    /// `page_size` new rows and the listing takes as many requests as a plain reader's. A token
    /// of another form is used as it is, and the result is marked unverified.
    async fn paginate<P, K>(
        &self,
        endpoint: &'static str,
        params: Vec<(&'static str, String)>,
        page_size: &AtomicU32,
        max: u32,
        key: impl Fn(&P::Item) -> K,
        hook: Option<&PageHook<'_>>,
    ) -> Result<Option<Paged<P::Item>>, ConnectorError>
    where
        P: Page,
        K: Eq + std::hash::Hash,
    {
        'restart: loop {
            let size = page_size.load(Ordering::Relaxed);
            let mut items: Vec<P::Item> = Vec::new();
            let mut seen: HashSet<K> = HashSet::new();
            let mut token: Option<String> = None;
            let mut overlap = false;
            let mut verified = true;
            let mut page = 0;
            loop {
                let mut query = params.clone();
                let ask = if overlap && size < max {
                    size + 1
                } else {
                    size
                };
                query.push(("max_results", ask.to_string()));
                if let Some(t) = &token {
                    query.push(("page_token", t.clone()));
                }
                let answer: Result<P, _> =
                    self.get(endpoint, query, "read the registry".into()).await;
                let answer = match answer {
                    Err(ConnectorError::Rejected {
                        status: 400,
                        message,
                        ..
                    }) if message.contains("max_results") && size > 1 => {
                        page_size.store((size / 10).max(1), Ordering::Relaxed);
                        continue 'restart;
                    }
                    other => other?,
                };
                page += 1;
                let (rows, next) = answer.split();
                let mut rows = rows.into_iter();
                if overlap {
                    let last = items.last().map(&key);
                    match rows.next() {
                        Some(first) if Some(key(&first)) == last => {}
                        _ => return Ok(None),
                    }
                }
                for row in rows {
                    if !seen.insert(key(&row)) {
                        return Ok(None);
                    }
                    items.push(row);
                }
                if let Some(hook) = hook {
                    hook(endpoint, page).await;
                }
                if next.is_empty() {
                    return Ok(Some(Paged { items, verified }));
                }
                match offset_of(&next) {
                    Some(offset) if offset > 0 && !items.is_empty() => {
                        token = Some(offset_token(offset - 1));
                        overlap = true;
                    }
                    _ => {
                        token = Some(next);
                        overlap = false;
                        verified = false;
                    }
                }
            }
        }
    }

    /// The runs with these ids: metrics, parameters, lineage. Runs in experiments the server
    /// lists are read in batches with `runs/search`; any left over one by one with `runs/get`;
    /// a run that no longer exists is left out.
    pub async fn runs(
        &self,
        ids: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, RunSummary>, ConnectorError> {
        let mut found: BTreeMap<String, RunSummary> = BTreeMap::new();
        if ids.is_empty() {
            return Ok(found);
        }
        let batchable: Vec<&String> = ids.iter().filter(|id| is_run_id(id)).collect();
        if !batchable.is_empty() {
            let experiments = self.experiment_ids().await?;
            if !experiments.is_empty() {
                for chunk in batchable.chunks(self.config.run_batch.max(1)) {
                    let quoted: Vec<String> = chunk.iter().map(|id| format!("'{id}'")).collect();
                    let filter = format!("attributes.run_id IN ({})", quoted.join(", "));
                    let mut token = String::new();
                    loop {
                        let mut body = serde_json::json!({
                            "experiment_ids": experiments,
                            "filter": filter,
                            "run_view_type": "ALL",
                            "max_results": (chunk.len() as u32).clamp(1, MAX_RUN_PAGE),
                        });
                        if !token.is_empty() {
                            body["page_token"] = serde_json::Value::String(token.clone());
                        }
                        // runs/search is a POST that only reads: retried like a read.
                        let page: wire::SearchRuns = self
                            .post("runs/search", body, "read runs".into(), true)
                            .await?;
                        for run in page.runs {
                            let (id, summary) = convert::run(run);
                            found.insert(id, summary);
                        }
                        if page.next_page_token.is_empty() {
                            break;
                        }
                        token = page.next_page_token;
                    }
                }
            }
        }
        let missing: Vec<&String> = ids.iter().filter(|id| !found.contains_key(*id)).collect();
        for id in missing {
            let got: Result<wire::OneRun, _> = self
                .get(
                    "runs/get",
                    vec![("run_id", id.clone())],
                    format!("read run `{id}`"),
                )
                .await;
            match got {
                Ok(wire::OneRun { run: Some(run) }) => {
                    let (_, summary) = convert::run(run);
                    found.insert(id.clone(), summary);
                }
                Ok(wire::OneRun { run: None }) | Err(ConnectorError::NotFound(_)) => {}
                // A run the user may not read leaves its metrics out rather than the listing.
                Err(ConnectorError::Denied { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(found)
    }

    async fn experiment_ids(&self) -> Result<Vec<String>, ConnectorError> {
        let mut ids = Vec::new();
        let mut token = String::new();
        loop {
            let mut query = vec![
                ("max_results", MAX_RUN_PAGE.to_string()),
                ("view_type", "ALL".to_owned()),
            ];
            if !token.is_empty() {
                query.push(("page_token", token.clone()));
            }
            let page: wire::SearchExperiments = self
                .get("experiments/search", query, "list experiments".into())
                .await?;
            ids.extend(
                page.experiments
                    .into_iter()
                    .map(|e| e.experiment_id)
                    .filter(|id| !id.is_empty()),
            );
            if page.next_page_token.is_empty() {
                return Ok(ids);
            }
            token = page.next_page_token;
        }
    }

    // ---- writes ------------------------------------------------------------------------------

    /// Points `model@alias` at `version` (an upsert: MLflow has no compare-and-swap).
    pub async fn set_alias(
        &self,
        model: &ModelName,
        alias: &PointerName,
        version: &VersionId,
    ) -> Result<(), ConnectorError> {
        let _: wire::Empty = self
            .post(
                "registered-models/alias",
                serde_json::json!({"name": model.0, "alias": alias.0, "version": version.0}),
                format!("edit model `{model}`"),
                false,
            )
            .await?;
        Ok(())
    }

    /// Removes `model@alias`.
    pub async fn delete_alias(
        &self,
        model: &ModelName,
        alias: &PointerName,
    ) -> Result<(), ConnectorError> {
        // MLflow takes this DELETE's parameters only as a JSON body.
        let _: wire::Empty = self
            .send(&Call {
                method: Method::DELETE,
                endpoint: "registered-models/alias",
                query: Vec::new(),
                body: Some(serde_json::json!({"name": model.0, "alias": alias.0})),
                action: format!("manage model `{model}`"),
                read: false,
            })
            .await?;
        Ok(())
    }

    /// Transitions `version` to the legacy `stage`, archiving the versions that were in it.
    pub async fn transition(
        &self,
        model: &ModelName,
        version: &VersionId,
        stage: &str,
    ) -> Result<(), ConnectorError> {
        let _: wire::OneVersion = self
            .post(
                "model-versions/transition-stage",
                serde_json::json!({
                    "name": model.0,
                    "version": version.0,
                    "stage": stage,
                    "archive_existing_versions": true,
                }),
                format!("edit model `{model}`"),
                false,
            )
            .await?;
        Ok(())
    }

    /// Sets a tag on a version.
    pub async fn set_version_tag(
        &self,
        model: &ModelName,
        version: &VersionId,
        key: &str,
        value: &str,
    ) -> Result<(), ConnectorError> {
        let _: wire::Empty = self
            .post(
                "model-versions/set-tag",
                serde_json::json!({"name": model.0, "version": version.0, "key": key, "value": value}),
                format!("edit model `{model}`"),
                false,
            )
            .await?;
        Ok(())
    }

    /// Moves `model@alias` to `version` (or transitions `version` to the stage the pointer
    /// names, when the registry uses stages), reads it back, and tags the version with who moved
    /// it and for which request. Returns the outcome for the audit log.
    pub async fn promote(
        &self,
        model: &ModelName,
        alias: &PointerName,
        version: &VersionId,
        actor: &UserName,
        request: RequestId,
    ) -> Result<String, ConnectorError> {
        let stage = self.stage_of(alias)?;
        let before = self.pointer_version(model, alias).await?;
        let (endpoint, what) = match stage {
            Some(stage) => {
                self.transition(model, version, stage).await?;
                (
                    "model-versions/transition-stage",
                    format!("{model} stage {stage}"),
                )
            }
            None => {
                self.set_alias(model, alias, version).await?;
                ("registered-models/alias", format!("{model}@{alias}"))
            }
        };
        let after = self.pointer_version(model, alias).await?;
        if after.as_ref() != Some(version) {
            return Err(unexpected(
                endpoint,
                format!(
                    "{what} reads back as {} after it was set to {version}",
                    show(after.as_ref())
                ),
            ));
        }
        // The alias has moved: a failed tag is reported in the outcome, not as a failed move.
        let tags = [
            (TAG_PROMOTED_BY, actor.to_string()),
            (TAG_REQUEST, request.0.to_string()),
            (TAG_POINTER, alias.0.clone()),
        ];
        let mut tagging = String::new();
        for (key, value) in &tags {
            if let Err(e) = self.set_version_tag(model, version, key, value).await {
                tagging = format!("; tagging the version failed: {e}");
                break;
            }
        }
        Ok(format!(
            "mlflow {}: {what} {} → {version}, read back {version}; tagged {TAG_PROMOTED_BY}={actor}, {TAG_REQUEST}={}{tagging}",
            self.base,
            show(before.as_ref()),
            request.0,
        ))
    }
}

impl Registry for Client {
    async fn pointer(
        &self,
        model: &ModelName,
        pointer: &PointerName,
    ) -> Result<Option<VersionId>, Error> {
        Ok(self.pointer_version(model, pointer).await?)
    }

    async fn version_exists(&self, model: &ModelName, version: &VersionId) -> Result<bool, Error> {
        Ok(self.version(model, version).await?.is_some())
    }

    async fn move_pointer(
        &self,
        model: &ModelName,
        pointer: &PointerName,
        version: &VersionId,
        actor: &UserName,
        request: RequestId,
    ) -> Result<String, Error> {
        Ok(self
            .promote(model, pointer, version, actor, request)
            .await?)
    }
}

/// `listing` with each model's pointers taken from its versions' stages: each stage of
/// [`STAGES`] points to the newest version in it (versions are listed oldest first).
fn with_stage_pointers(mut listing: Listing) -> Listing {
    for model in &mut listing.models {
        model.pointers.clear();
        for v in &model.versions {
            let stage = listing
                .details
                .get(&(model.name.clone(), v.version.clone()))
                .and_then(|d| d.stage.as_deref());
            if let Some(stage) = stage.filter(|s| STAGES.contains(s)) {
                model
                    .pointers
                    .insert(PointerName(stage.to_owned()), v.version.clone());
            }
        }
    }
    listing
}

/// The rows of a search and whether every page boundary was checked.
struct Paged<T> {
    items: Vec<T>,
    verified: bool,
}

/// A page of a search.
trait Page: DeserializeOwned {
    type Item;
    fn split(self) -> (Vec<Self::Item>, String);
}

impl Page for wire::SearchModels {
    type Item = wire::RegisteredModel;
    fn split(self) -> (Vec<Self::Item>, String) {
        (self.registered_models, self.next_page_token)
    }
}

impl Page for wire::SearchVersions {
    type Item = wire::ModelVersion;
    fn split(self) -> (Vec<Self::Item>, String) {
        (self.model_versions, self.next_page_token)
    }
}

/// The offset in an MLflow page token, when it has the form MLflow 2 and 3 use.
fn offset_of(token: &str) -> Option<u64> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let object = value.as_object()?;
    if object.len() != 1 {
        return None;
    }
    object.get("offset")?.as_u64()
}

fn offset_token(offset: u64) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{{\"offset\": {offset}}}"))
}

fn transient(e: &ConnectorError) -> bool {
    match e {
        ConnectorError::Unreachable { .. } => true,
        ConnectorError::Server { status, .. } => *status >= 500,
        ConnectorError::Rejected { status, .. } => *status == 429,
        ConnectorError::Denied { .. }
        | ConnectorError::UnexpectedResponse { .. }
        | ConnectorError::NotFound(_)
        | ConnectorError::Unsettled { .. }
        | ConnectorError::Invalid(_)
        | ConnectorError::Keyring(_) => false,
    }
}

fn unexpected(endpoint: &str, detail: String) -> ConnectorError {
    ConnectorError::UnexpectedResponse {
        backend: BACKEND,
        endpoint: endpoint.to_owned(),
        detail,
    }
}

fn show(v: Option<&VersionId>) -> String {
    v.map(|v| v.0.clone()).unwrap_or_else(|| "unset".into())
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn is_version_number(s: &str) -> bool {
    !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_run_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn version_id(s: &str, endpoint: &str) -> Result<VersionId, ConnectorError> {
    if is_version_number(s) {
        Ok(VersionId(s.to_owned()))
    } else {
        Err(unexpected(
            endpoint,
            format!("`{}` is not a version number", clip(s, 40)),
        ))
    }
}

/// At most `max` characters of `s`, for quoting outside input in messages.
fn clip(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

/// Turns a status and a body into the answer or an error; never panics, whatever the body.
fn decode<T: DeserializeOwned>(
    status: StatusCode,
    body: &[u8],
    call: &Call<'_>,
    who: &str,
) -> Result<T, ConnectorError> {
    let endpoint = call.endpoint;
    if status.is_success() {
        return serde_json::from_slice(body).map_err(|e| {
            let what = if serde_json::from_slice::<serde_json::Value>(body).is_ok() {
                format!("json of an unexpected shape ({e})")
            } else {
                format!("not json ({})", describe_body(body))
            };
            unexpected(endpoint, what)
        });
    }
    let code = status.as_u16();
    // MLflow's handlers answer JSON errors; its router and auth layer answer text or HTML.
    let json: Option<wire::ErrorBody> = serde_json::from_slice(body)
        .ok()
        .filter(|b: &wire::ErrorBody| !b.error_code.is_empty() || !b.message.is_empty());
    let message = match &json {
        Some(b) => clip(b.message.trim(), 300),
        None => describe_body(body),
    };
    match code {
        401 => Err(ConnectorError::Denied {
            backend: BACKEND,
            detail: if who.starts_with("user") {
                format!("the server did not accept the credentials of {who}")
            } else {
                "the server needs credentials: store them with `gatehouse connect mlflow URL --username U --password-stdin`".into()
            },
            status: code,
        }),
        403 => Err(ConnectorError::Denied {
            backend: BACKEND,
            detail: format!("{who} may not {}", call.action),
            status: code,
        }),
        404 if json
            .as_ref()
            .is_some_and(|b| b.error_code == "RESOURCE_DOES_NOT_EXIST") =>
        {
            Err(ConnectorError::NotFound(format!(
                "mlflow: {}",
                lowercase_first(&message)
            )))
        }
        404 | 405 if json.is_none() => Err(unexpected(
            endpoint,
            format!("no such endpoint ({code}): is this an mlflow server with a model registry?"),
        )),
        500..=599 => Err(ConnectorError::Server {
            backend: BACKEND,
            endpoint: endpoint.to_owned(),
            status: code,
            message,
        }),
        _ => Err(ConnectorError::Rejected {
            backend: BACKEND,
            endpoint: endpoint.to_owned(),
            status: code,
            message,
        }),
    }
}

/// A short, safe description of a non-JSON body: its first line of text, or what kind it is.
fn describe_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        "an empty body".into()
    } else if text.starts_with('<') {
        "an html page".into()
    } else {
        let line = text.lines().next().unwrap_or_default();
        format!("\"{}\"", clip(line, 120))
    }
}

/// Wire types to domain types, validating what MLflow must send.
mod convert {
    use super::*;

    pub(super) fn version(
        v: wire::ModelVersion,
        endpoint: &str,
    ) -> Result<(ModelName, ModelVersion, VersionDetails), ConnectorError> {
        if v.name.is_empty() {
            return Err(unexpected(
                endpoint,
                "a model version without a model name".into(),
            ));
        }
        let id = version_id(&v.version, endpoint)?;
        let tags: BTreeMap<String, String> = v.tags.into_iter().map(|t| (t.key, t.value)).collect();
        let data_version = tags
            .get("data_version")
            .or_else(|| tags.get("gatehouse.data_version"))
            .cloned();
        let code_commit = tags.get("mlflow.source.git.commit").cloned();
        let stage = match v.current_stage.as_str() {
            "" | "None" => None,
            s => Some(s.to_owned()),
        };
        Ok((
            ModelName(v.name),
            ModelVersion {
                version: id,
                run_id: v.run_id,
                created_at: Timestamp(v.creation_timestamp),
                metrics: BTreeMap::new(),
                tags,
                data_version,
                code_commit,
            },
            VersionDetails {
                status: VersionStatus::from_wire(&v.status),
                description: v.description,
                stage,
                source: v.source,
                params: BTreeMap::new(),
            },
        ))
    }

    /// The listing from both searches; `None` when they disagree (a model or version was written
    /// between them), so that the caller lists again.
    pub(super) fn listing(
        models: Vec<wire::RegisteredModel>,
        versions: Vec<wire::ModelVersion>,
    ) -> Result<Option<Listing>, ConnectorError> {
        let mut by_name: BTreeMap<ModelName, Model> = BTreeMap::new();
        for m in models {
            if m.name.is_empty() {
                return Err(unexpected(
                    "registered-models/search",
                    "a registered model without a name".into(),
                ));
            }
            let mut pointers = BTreeMap::new();
            for a in m.aliases {
                if a.alias.is_empty() {
                    return Err(unexpected(
                        "registered-models/search",
                        format!("an alias of `{}` without a name", clip(&m.name, 60)),
                    ));
                }
                pointers.insert(
                    PointerName(a.alias),
                    version_id(&a.version, "registered-models/search")?,
                );
            }
            let name = ModelName(m.name);
            by_name.insert(
                name.clone(),
                Model {
                    name,
                    description: m.description,
                    pointers,
                    versions: Vec::new(),
                },
            );
        }
        let mut details = BTreeMap::new();
        for v in versions {
            let (name, version, detail) = version(v, "model-versions/search")?;
            let Some(model) = by_name.get_mut(&name) else {
                return Ok(None);
            };
            details.insert((name, version.version.clone()), detail);
            model.versions.push(version);
        }
        for model in by_name.values_mut() {
            model
                .versions
                .sort_by_key(|v| v.version.0.parse::<u64>().unwrap_or(u64::MAX));
            let known: BTreeSet<&VersionId> = model.versions.iter().map(|v| &v.version).collect();
            if !model.pointers.values().all(|v| known.contains(v)) {
                return Ok(None);
            }
        }
        Ok(Some(Listing {
            models: by_name.into_values().collect(),
            details,
            attempts: 1,
        }))
    }

    pub(super) fn run(run: wire::Run) -> (String, RunSummary) {
        let id = if run.info.run_id.is_empty() {
            run.info.run_uuid
        } else {
            run.info.run_id
        };
        let params: BTreeMap<String, String> = run
            .data
            .params
            .into_iter()
            .map(|p| (p.key, p.value))
            .collect();
        let tags: BTreeMap<String, String> = run
            .data
            .tags
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect();
        let summary = RunSummary {
            // Non-finite values (MLflow sends "NaN") have no JSON number and no use in a gate.
            metrics: run
                .data
                .metrics
                .into_iter()
                .filter(|m| m.value.is_finite() && !m.key.is_empty())
                .map(|m| (m.key, m.value))
                .collect(),
            code_commit: tags.get("mlflow.source.git.commit").cloned(),
            data_version: params
                .get("data_version")
                .or_else(|| tags.get("data_version"))
                .cloned(),
            params,
        };
        (id, summary)
    }
}

#[cfg(test)]
mod tests;
