//! The MLflow registry connector against a real `mlflow server` (SQLite store in a temp dir,
//! started from the venv `scripts/setup --test` creates, killed when the test ends): listing
//! equals what the REST API returns on hundreds of versions, pagination stays exact when the
//! registry changes between pages, promotions and rollbacks move the alias through the core's
//! `Desk` and are read back and tagged, a concurrent alias change is refused as stale, a READ-only
//! user is refused by the server (exit 4) with the alias unchanged, and the password appears in
//! no file of the workspace, no database and no log.

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gatehouse_connectors::mlflow::{Client, Config, Listing, TAG_PROMOTED_BY, TAG_REQUEST};
use gatehouse_connectors::secret::{self, Credential, Secret};
use gatehouse_core::audit::AuditAction;
use gatehouse_core::hook::NoHooks;
use gatehouse_core::policy::{Policy, UserName};
use gatehouse_core::ports::{PromotionStore, Registry};
use gatehouse_core::promotion::{Desk, Quiet, RequestState};
use gatehouse_core::reading::{ModelName, Reading, SignalName};
use gatehouse_core::registry::{PointerName, VersionId};
use gatehouse_core::time::{Clock, SystemClock};
use gatehouse_core::{Error, ErrorCode};
use gatehouse_store::Workspace;
use serde_json::{json, Value};

const ADMIN_PASSWORD: &str = "gatehouse-admin-pw-7731";

/// The `mlflow` executable: `$GATEHOUSE_MLFLOW`, else the venv `scripts/setup --test` makes.
fn mlflow_bin() -> PathBuf {
    let path = match std::env::var_os("GATEHOUSE_MLFLOW") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/gatehouse/venv-mlflow/bin/mlflow"),
    };
    assert!(
        path.is_file(),
        "the mlflow executable is missing at {}: run scripts/setup --test (or set GATEHOUSE_MLFLOW)",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An `mlflow server` in its own process group, which is ended as a whole when dropped (the
/// server forks uvicorn workers).
struct Server {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let kill = |signal: &str| {
            let _ = Command::new("kill")
                .args([signal, "--", &group])
                .stderr(Stdio::null())
                .status();
        };
        kill("-TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        kill("-KILL");
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(basic_auth: bool) -> Server {
        use std::os::unix::process::CommandExt;
        let bin = mlflow_bin();
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let mut cmd = Command::new(&bin);
        cmd.args(["server", "--host", "127.0.0.1", "--port", &port.to_string()])
            .arg("--backend-store-uri")
            .arg(format!("sqlite:///{}/mlflow.db", dir.path().display()))
            .arg("--default-artifact-root")
            .arg(dir.path().join("artifacts"))
            .args(["--workers", "2"])
            .env("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0);
        if basic_auth {
            let ini = dir.path().join("basic_auth.ini");
            std::fs::write(
                &ini,
                format!(
                    "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{}/basic_auth.db\nadmin_username = admin\nadmin_password = {ADMIN_PASSWORD}\nauthorization_function = mlflow.server.auth:authenticate_request_basic_auth\nauth_cache_ttl_seconds = 60\n",
                    dir.path().display()
                ),
            )
            .unwrap();
            cmd.args(["--app-name", "basic-auth"])
                .env("MLFLOW_AUTH_CONFIG_PATH", &ini)
                .env(
                    "MLFLOW_FLASK_SERVER_SECRET_KEY",
                    format!("gatehouse-test-{}-{port}", std::process::id()),
                );
        }
        let child = cmd.spawn().unwrap();
        let mut server = Server { child, url, dir };
        let deadline = Instant::now() + Duration::from_secs(180);
        let http = reqwest::blocking::Client::new();
        loop {
            if let Ok(r) = http.get(format!("{}/health", server.url)).send() {
                if r.status().is_success() {
                    return server;
                }
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "mlflow server exited with {status}:\n{}",
                    std::fs::read_to_string(server.dir.path().join("server.log"))
                        .unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "mlflow server did not answer /health within 180 s"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// Raw REST calls for seeding and for the expected answers, independent of the client.
#[derive(Clone)]
struct Rest {
    http: reqwest::Client,
    url: String,
    auth: Option<(String, String)>,
}

impl Rest {
    fn new(url: &str, auth: Option<(&str, &str)>) -> Rest {
        Rest {
            http: reqwest::Client::new(),
            url: url.to_owned(),
            auth: auth.map(|(u, p)| (u.to_owned(), p.to_owned())),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = if path.starts_with("api/") {
            format!("{}/{path}", self.url)
        } else {
            format!("{}/api/2.0/mlflow/{path}", self.url)
        };
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        if let Some((u, p)) = &self.auth {
            req = req.basic_auth(u, Some(p));
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let (status, v) = self.call(reqwest::Method::POST, path, Some(body)).await;
        assert_eq!(status, 200, "POST {path}: {v}");
        v
    }

    async fn get(&self, path: &str) -> Value {
        let (status, v) = self.call(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {v}");
        v
    }

    async fn alias(&self, model: &str, alias: &str) -> Option<String> {
        let (status, v) = self
            .call(
                reqwest::Method::GET,
                &format!("registered-models/alias?name={model}&alias={alias}"),
                None,
            )
            .await;
        (status == 200).then(|| v["model_version"]["version"].as_str().unwrap().to_owned())
    }

    async fn create_version(&self, model: &str, run: &str, n: usize) -> String {
        let mut body =
            json!({"name": model, "source": format!("runs:/{run}/model"), "run_id": run});
        if n.is_multiple_of(3) {
            body["description"] = json!(format!("candidate {n}"));
        }
        if n.is_multiple_of(4) {
            body["tags"] = json!([{"key": "team", "value": "retention"}, {"key": "n", "value": n.to_string()}]);
        }
        let v = self.post("model-versions/create", body).await;
        v["model_version"]["version"].as_str().unwrap().to_owned()
    }

    /// Every row of a search with the server's own tokens, as a naive reader pages it.
    async fn pages(&self, path: &str, key: &str, page: u32) -> Vec<Value> {
        let mut rows = Vec::new();
        let mut token = String::new();
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let mut p = format!("{path}{sep}max_results={page}");
            if !token.is_empty() {
                p.push_str(&format!("&page_token={token}"));
            }
            let v = self.get(&p).await;
            rows.extend(v[key].as_array().cloned().unwrap_or_default());
            match v["next_page_token"].as_str() {
                Some(t) if !t.is_empty() => token = t.to_owned(),
                _ => return rows,
            }
        }
    }
}

/// What the REST API says the registry holds, in the listing's shape:
/// model → (aliases, version → (run, tags, description, status)).
type Expected = BTreeMap<
    String,
    (
        BTreeMap<String, String>,
        BTreeMap<String, (String, BTreeMap<String, String>, String, String)>,
    ),
>;

async fn expected(rest: &Rest) -> Expected {
    let mut out = Expected::new();
    for m in rest
        .pages("registered-models/search", "registered_models", 1000)
        .await
    {
        let aliases = m["aliases"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|a| {
                        (
                            a["alias"].as_str().unwrap().to_owned(),
                            a["version"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.insert(
            m["name"].as_str().unwrap().to_owned(),
            (aliases, BTreeMap::new()),
        );
    }
    for v in rest
        .pages("model-versions/search", "model_versions", 200_000)
        .await
    {
        let tags = v["tags"]
            .as_array()
            .map(|t| {
                t.iter()
                    .map(|t| {
                        (
                            t["key"].as_str().unwrap().to_owned(),
                            t["value"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        out.get_mut(v["name"].as_str().unwrap()).unwrap().1.insert(
            s("version"),
            (s("run_id"), tags, s("description"), s("status")),
        );
    }
    out
}

fn as_expected(listing: &Listing) -> Expected {
    listing
        .models
        .iter()
        .map(|m| {
            let aliases = m
                .pointers
                .iter()
                .map(|(p, v)| (p.0.clone(), v.0.clone()))
                .collect();
            let versions = m
                .versions
                .iter()
                .map(|v| {
                    let d = &listing.details[&(m.name.clone(), v.version.clone())];
                    let status = match d.status {
                        gatehouse_connectors::mlflow::VersionStatus::Ready => "READY",
                        gatehouse_connectors::mlflow::VersionStatus::PendingRegistration => {
                            "PENDING_REGISTRATION"
                        }
                        gatehouse_connectors::mlflow::VersionStatus::FailedRegistration => {
                            "FAILED_REGISTRATION"
                        }
                        gatehouse_connectors::mlflow::VersionStatus::Unrecognised => "?",
                    };
                    (
                        v.version.0.clone(),
                        (
                            v.run_id.clone(),
                            v.tags.clone(),
                            d.description.clone(),
                            status.to_owned(),
                        ),
                    )
                })
                .collect();
            (m.name.0.clone(), (aliases, versions))
        })
        .collect()
}

/// Seeds: 30 runs with metrics in one experiment; models `aaa-first` (20 versions), `churn`
/// (200), `fraud` (80); aliases `churn@champion → 1`, `fraud@champion → 3`.
async fn seed(rest: &Rest) -> Vec<String> {
    let exp = rest
        .post("experiments/create", json!({"name": "training"}))
        .await["experiment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut runs = Vec::new();
    for i in 0..30 {
        let run = rest
            .post("runs/create", json!({"experiment_id": exp}))
            .await["run"]["info"]["run_id"]
            .as_str()
            .unwrap()
            .to_owned();
        rest.post(
            "runs/log-batch",
            json!({"run_id": run, "metrics": [
                {"key": "auc", "value": 0.80 + f64::from(i) / 1000.0, "timestamp": 1, "step": 0},
                {"key": "f1", "value": 0.5 + f64::from(i) / 100.0, "timestamp": 1, "step": 0}],
                "params": [{"key": "lr", "value": format!("0.{i}")}],
                "tags": [{"key": "mlflow.source.git.commit", "value": format!("c0ffee{i:02}")}]}),
        )
        .await;
        runs.push(run);
    }
    let mut handles = Vec::new();
    for (model, count) in [("aaa-first", 20usize), ("churn", 200), ("fraud", 80)] {
        let rest = rest.clone();
        let runs = runs.clone();
        handles.push(tokio::spawn(async move {
            rest.post(
                "registered-models/create",
                json!({"name": model, "description": format!("the {model} model")}),
            )
            .await;
            for n in 0..count {
                rest.create_version(model, &runs[n % runs.len()], n).await;
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    rest.post(
        "registered-models/alias",
        json!({"name": "churn", "alias": "champion", "version": "1"}),
    )
    .await;
    rest.post(
        "registered-models/alias",
        json!({"name": "fraud", "alias": "champion", "version": "3"}),
    )
    .await;
    runs
}

const POLICY: &str = r##"
[workspace]
name = "mlflow journey"
model = "churn"

[backends.registry]
kind = "mlflow"
url = "URL"
CREDENTIAL

[owners.models]
name = "Modelling"
contact = "#models"
escalation = "erin@example.com"
members = ["priya"]

[users.priya]
name = "Priya"
roles = ["approver"]

[users.marco]
name = "Marco"
roles = ["approver", "operator"]

[users.erin]
name = "Erin"
roles = ["admin"]

[[gates]]
id = "model-validation"
owner = "models"

[[gates.checks]]
id = "auc"
signal = "model.auc"
min = 0.8

[promotion]
production_pointer = "champion"
request = ["approver", "admin"]
approve = ["approver", "admin"]
rollback = ["operator", "admin"]
override = ["admin"]

[pointers.champion]
approvals = 2
"##;

/// A workspace whose registry is the MLflow server, with a passing model-validation reading.
async fn workspace(dir: &Path, url: &str, credential: Option<&str>) -> (Workspace, Policy) {
    let text = POLICY.replace("URL", url).replace(
        "CREDENTIAL",
        &credential
            .map(|c| format!("credential = \"{c}\""))
            .unwrap_or_default(),
    );
    std::fs::write(dir.join("gatehouse.toml"), text).unwrap();
    let ws = Workspace::open(dir).await.unwrap();
    let policy = ws.policy().unwrap();
    for model in ["churn", "fraud"] {
        ws.record_reading(&Reading {
            model: ModelName::from(model),
            signal: SignalName::from("model.auc"),
            value: 0.9,
            read_at: SystemClock.now(),
            source: "test".into(),
            note: None,
        })
        .await
        .unwrap();
    }
    (ws, policy)
}

fn desk<'a>(
    policy: &'a Policy,
    ws: &'a Workspace,
    client: &'a Client,
    actor: &str,
) -> Desk<'a, Workspace, Client> {
    Desk {
        policy,
        actor: UserName::from(actor),
        now: SystemClock.now(),
        store: ws,
        registry: client,
        observer: &Quiet,
        hooks: &NoHooks,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn mlflow_listing_pagination_and_promotions() {
    let server = Server::start(false);
    runtime().block_on(async {
        let rest = Rest::new(&server.url, None);
        let runs = seed(&rest).await;
        let client = Client::new(&server.url, None, Config::default()).unwrap();

        // 1. The listing equals the REST API's answer, model for model, version for version,
        //    alias for alias, at the largest page size (one page for 300 versions).
        let listing = client.list_with_runs().await.unwrap();
        assert_eq!(listing.attempts, 1);
        assert_eq!(as_expected(&listing), expected(&rest).await);
        let total: usize = listing.models.iter().map(|m| m.versions.len()).sum();
        assert_eq!(total, 300);
        assert_eq!(client.version_page_size(), 200_000);
        let churn = listing.models.iter().find(|m| m.name.0 == "churn").unwrap();
        assert_eq!(churn.description, "the churn model");
        assert_eq!(churn.pointers[&PointerName::from("champion")].0, "1");
        let numbers: Vec<u64> = churn
            .versions
            .iter()
            .map(|v| v.version.0.parse().unwrap())
            .collect();
        assert_eq!(
            numbers,
            (1..=200).collect::<Vec<u64>>(),
            "versions oldest first"
        );
        // Metrics, lineage and params come from the source runs, as runs/get reports them.
        for v in churn.versions.iter().take(31) {
            let run = rest.get(&format!("runs/get?run_id={}", v.run_id)).await;
            let metrics: BTreeMap<String, f64> = run["run"]["data"]["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    (
                        m["key"].as_str().unwrap().to_owned(),
                        m["value"].as_f64().unwrap(),
                    )
                })
                .collect();
            assert_eq!(v.metrics, metrics);
            let i = runs.iter().position(|r| *r == v.run_id).unwrap();
            assert_eq!(
                v.code_commit.as_deref(),
                Some(format!("c0ffee{i:02}").as_str())
            );
            let d = &listing.details[&(churn.name.clone(), v.version.clone())];
            assert_eq!(d.params["lr"], format!("0.{i}"));
        }

        // 2. Small pages give the same listing.
        let small = Client::new(
            &server.url,
            None,
            Config {
                model_page_size: 2,
                version_page_size: 7,
                ..Config::default()
            },
        )
        .unwrap();
        let paged = small.list().await.unwrap();
        let without_runs = |models: &[gatehouse_core::registry::Model]| {
            let mut models = models.to_vec();
            for v in models.iter_mut().flat_map(|m| m.versions.iter_mut()) {
                v.metrics.clear();
                v.code_commit = None;
            }
            models
        };
        assert!(
            paged.models == without_runs(&listing.models),
            "small pages list differently"
        );
        assert_eq!(as_expected(&paged), as_expected(&listing));

        // 3. A write between pages, before the page boundary, shifts MLflow's offsets. A naive
        //    reader then skips a row (after a delete) or repeats one (after an insert); the client
        //    notices and lists again, and its answer is exact.
        for write in ["delete", "insert"] {
            let fired = Arc::new(AtomicBool::new(false));
            let hook_rest = rest.clone();
            let hook_fired = fired.clone();
            let hook_run = runs[0].clone();
            let hook = move |endpoint: &'static str, page: u32| {
                let rest = hook_rest.clone();
                let fired = hook_fired.clone();
                let run = hook_run.clone();
                Box::pin(async move {
                    // After page 4 of 7 rows the boundary (row 28) is past `aaa-first`'s rows.
                    if endpoint == "model-versions/search"
                        && page == 4
                        && !fired.swap(true, Ordering::SeqCst)
                    {
                        write_in_first_model(&rest, write, &run).await;
                    }
                })
                    as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
            };
            let listing = small.list_observed(Some(&hook)).await.unwrap();
            assert!(fired.load(Ordering::SeqCst));
            assert!(listing.attempts >= 2, "{write}: the shift went unnoticed");
            assert_eq!(as_expected(&listing), expected(&rest).await, "{write}");

            // The same write under a naive reader with the server's own tokens loses exactness.
            let naive = naive_listing_with_write(&rest, write, &runs[0]).await;
            let truth: BTreeSet<(String, String)> = expected(&rest)
                .await
                .into_iter()
                .flat_map(|(m, (_, vs))| vs.into_keys().map(move |v| (m.clone(), v)))
                .collect();
            assert_ne!(
                naive, truth,
                "{write}: the naive reader happened to be exact"
            );
        }

        // 4. The port: aliases, versions.
        let churn = ModelName::from("churn");
        let champion = PointerName::from("champion");
        assert_eq!(
            client.pointer(&churn, &champion).await.unwrap(),
            Some(VersionId::from("1"))
        );
        assert_eq!(
            client
                .pointer(&churn, &PointerName::from("nope"))
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            client
                .pointer(&ModelName::from("no-such-model"), &champion)
                .await
                .unwrap_err()
                .code(),
            ErrorCode::NotFound
        );
        assert!(client
            .version_exists(&churn, &VersionId::from("200"))
            .await
            .unwrap());
        assert!(!client
            .version_exists(&churn, &VersionId::from("201"))
            .await
            .unwrap());
        assert!(!client
            .version_exists(&churn, &VersionId::from("v1"))
            .await
            .unwrap());

        // 5. Promotion through the core: request, approve, approve → the alias moves, is read
        //    back, and the version is tagged with who promoted it for which request.
        let dir = tempfile::tempdir().unwrap();
        let (ws, policy) = workspace(dir.path(), &server.url, None).await;
        let req = desk(&policy, &ws, &client, "priya")
            .request(&churn, &VersionId::from("5"), &champion, "v5 wins")
            .await
            .unwrap();
        assert_eq!(req.from_version, Some(VersionId::from("1")));
        let after_one = desk(&policy, &ws, &client, "marco")
            .approve(req.id, None)
            .await
            .unwrap();
        assert_eq!(after_one.state, RequestState::Requested);
        assert_eq!(rest.alias("churn", "champion").await.as_deref(), Some("1"));
        let done = desk(&policy, &ws, &client, "erin")
            .approve(req.id, None)
            .await
            .unwrap();
        assert_eq!(done.state, RequestState::Done, "{:?}", done.outcome);
        assert_eq!(rest.alias("churn", "champion").await.as_deref(), Some("5"));
        let v5 = rest.get("model-versions/get?name=churn&version=5").await;
        let tags: BTreeMap<String, String> = v5["model_version"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["key"].as_str().unwrap().to_owned(),
                    t["value"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(tags[TAG_PROMOTED_BY], "erin");
        assert_eq!(tags[TAG_REQUEST], req.id.0.to_string());
        let outcome = done.outcome.unwrap();
        assert!(
            outcome.contains("churn@champion 1 → 5, read back 5"),
            "{outcome}"
        );

        // Rollback moves it back to the version before, from the audit log.
        let back = desk(&policy, &ws, &client, "marco")
            .rollback(&churn, None, None, "v5 regressed in canary")
            .await
            .unwrap();
        assert_eq!(back.state, RequestState::Done);
        assert_eq!(rest.alias("churn", "champion").await.as_deref(), Some("1"));

        // 6. A concurrent alias change made directly in MLflow between approval and execution is
        //    detected: the core refuses with Blocked, nothing moves, the audit log says why.
        let req = desk(&policy, &ws, &client, "priya")
            .request(&churn, &VersionId::from("7"), &champion, "v7 wins")
            .await
            .unwrap();
        desk(&policy, &ws, &client, "marco")
            .approve(req.id, None)
            .await
            .unwrap();
        rest.post(
            "registered-models/alias",
            json!({"name": "churn", "alias": "champion", "version": "9"}),
        )
        .await;
        let stale = desk(&policy, &ws, &client, "erin")
            .approve(req.id, None)
            .await
            .unwrap_err();
        assert!(matches!(stale, Error::Blocked(_)), "{stale}");
        assert!(stale.to_string().contains("moved from 1 to 9"), "{stale}");
        assert_eq!(rest.alias("churn", "champion").await.as_deref(), Some("9"));
        let req = ws.request(req.id).await.unwrap().unwrap();
        assert_eq!(req.state, RequestState::Failed);
        let log = ws.audit_log().await.unwrap();
        assert!(log
            .iter()
            .any(|e| e.action == AuditAction::Failed && e.request == Some(req.id)));
        ws.close().await;
    });
    drop(server);
}

/// Deletes or creates a version of `aaa-first`, the model listed first.
async fn write_in_first_model(rest: &Rest, write: &str, run: &str) {
    if write == "delete" {
        let versions = rest
            .get("model-versions/search?filter=name%3D%27aaa-first%27&max_results=1000")
            .await;
        let first = versions["model_versions"][0]["version"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, v) = rest
            .call(
                reqwest::Method::DELETE,
                "model-versions/delete",
                Some(json!({"name": "aaa-first", "version": first})),
            )
            .await;
        assert_eq!(status, 200, "{v}");
    } else {
        rest.create_version("aaa-first", run, 1).await;
    }
}

/// Pages `model-versions/search` by 7 with the server's tokens, writing after page 4.
async fn naive_listing_with_write(
    rest: &Rest,
    write: &str,
    run: &str,
) -> BTreeSet<(String, String)> {
    let mut rows = Vec::new();
    let mut token = String::new();
    let mut page = 0;
    loop {
        let mut p =
            "model-versions/search?max_results=7&order_by=name%20ASC&order_by=version_number%20ASC"
                .to_owned();
        if !token.is_empty() {
            p.push_str(&format!("&page_token={token}"));
        }
        let v = rest.get(&p).await;
        rows.extend(v["model_versions"].as_array().cloned().unwrap_or_default());
        page += 1;
        if page == 4 {
            write_in_first_model(rest, write, run).await;
        }
        match v["next_page_token"].as_str() {
            Some(t) if !t.is_empty() => token = t.to_owned(),
            _ => break,
        }
    }
    // A repeated row shows as a count mismatch; a skipped one as a missing key.
    let keys: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_owned(),
                r["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    if keys.len() != rows.len() {
        let mut with_dup = keys;
        with_dup.insert(("(repeated)".into(), "".into()));
        return with_dup;
    }
    keys
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn mlflow_permissions_and_secrets() {
    let server = Server::start(true);
    runtime().block_on(async {
        let admin = Rest::new(&server.url, Some(("admin", ADMIN_PASSWORD)));
        let editor_pw = format!("editor-secret-{}-zq", std::process::id());
        let reader_pw = format!("reader-secret-{}-zq", std::process::id());
        for (user, pw) in [("editor", &editor_pw), ("reader", &reader_pw)] {
            admin
                .post("users/create", json!({"username": user, "password": pw}))
                .await;
        }
        admin.post("registered-models/create", json!({"name": "churn"})).await;
        let exp = admin.post("experiments/create", json!({"name": "t"})).await["experiment_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let run = admin.post("runs/create", json!({"experiment_id": exp})).await["run"]["info"]
            ["run_id"]
            .as_str()
            .unwrap()
            .to_owned();
        for n in 0..4 {
            admin.create_version("churn", &run, n).await;
        }
        admin
            .post(
                "registered-models/alias",
                json!({"name": "churn", "alias": "champion", "version": "1"}),
            )
            .await;
        for (user, permission) in [("editor", "EDIT"), ("reader", "READ")] {
            admin
                .post(
                    "api/3.0/mlflow/users/permissions/grant",
                    json!({"username": user, "resource_type": "registered_model", "resource_id": "churn", "permission": permission}),
                )
                .await;
        }

        // Credentials live in the keyring; the policy names only the entries.
        let tag = std::process::id();
        let editor_entry = format!("test/mlflow-editor-{tag}");
        let reader_entry = format!("test/mlflow-reader-{tag}");
        secret::store(&editor_entry, &Credential::Basic { username: "editor".into(), password: Secret::new(editor_pw.clone()) }).unwrap();
        secret::store(&reader_entry, &Credential::Basic { username: "reader".into(), password: Secret::new(reader_pw.clone()) }).unwrap();

        let churn = ModelName::from("churn");
        let champion = PointerName::from("champion");

        // No credentials: 401 → permission denied with a hint.
        let anonymous = Client::new(&server.url, None, Config::default()).unwrap();
        let e: Error = anonymous.alias(&churn, &champion).await.unwrap_err().into();
        assert_eq!(e.code(), ErrorCode::PermissionDenied, "{e}");
        assert!(e.to_string().contains("gatehouse connect"), "{e}");

        // READ only: the server refuses the move; the core reports Denied (exit 4), the alias
        // stays, the request fails and the audit log records the refusal.
        let dir = tempfile::tempdir().unwrap();
        let (ws, policy) = workspace(dir.path(), &server.url, Some(&reader_entry)).await;
        let reader = Client::from_backend(&policy.backends.registry, Config::default()).unwrap();
        let req = desk(&policy, &ws, &reader, "priya")
            .request(&churn, &VersionId::from("3"), &champion, "v3 please")
            .await
            .unwrap();
        desk(&policy, &ws, &reader, "marco").approve(req.id, None).await.unwrap();
        let refused = desk(&policy, &ws, &reader, "erin").approve(req.id, None).await.unwrap_err();
        assert_eq!(refused.code(), ErrorCode::PermissionDenied, "{refused}");
        assert_eq!(
            refused.to_string(),
            "mlflow refused: user `reader` may not edit model `churn` (403)"
        );
        assert_eq!(admin.alias("churn", "champion").await.as_deref(), Some("1"));
        let failed = ws.request(req.id).await.unwrap().unwrap();
        assert_eq!(failed.state, RequestState::Failed);
        assert!(failed.outcome.unwrap().contains("may not edit model `churn` (403)"));
        let log = ws.audit_log().await.unwrap();
        assert!(log.iter().any(|e| e.action == AuditAction::Failed
            && e.request == Some(req.id)
            && e.response.as_deref().is_some_and(|r| r.contains("403"))));
        ws.close().await;

        // EDIT: the same promotion goes through with basic auth from the keyring.
        let dir2 = tempfile::tempdir().unwrap();
        let (ws, policy) = workspace(dir2.path(), &server.url, Some(&editor_entry)).await;
        let editor = Client::from_backend(&policy.backends.registry, Config::default()).unwrap();
        assert!(!format!("{editor:?}").contains(&editor_pw));
        let listing = editor.list_with_runs().await.unwrap();
        assert_eq!(listing.models.len(), 1);
        let req = desk(&policy, &ws, &editor, "priya")
            .request(&churn, &VersionId::from("3"), &champion, "v3 please")
            .await
            .unwrap();
        desk(&policy, &ws, &editor, "marco").approve(req.id, None).await.unwrap();
        let done = desk(&policy, &ws, &editor, "erin").approve(req.id, None).await.unwrap();
        assert_eq!(done.state, RequestState::Done, "{:?}", done.outcome);
        assert_eq!(admin.alias("churn", "champion").await.as_deref(), Some("3"));
        ws.close().await;

        // The passwords appear in no file of the workspaces, the MLflow databases or its log.
        let mut checked = 0;
        for root in [dir.path(), dir2.path(), server.dir.path()] {
            for file in files(root) {
                let bytes = std::fs::read(&file).unwrap();
                for pw in [&editor_pw, &reader_pw] {
                    assert!(
                        !bytes.windows(pw.len()).any(|w| w == pw.as_bytes()),
                        "a password is in {}",
                        file.display()
                    );
                }
                checked += 1;
            }
        }
        assert!(checked >= 5, "only {checked} files checked");
        secret::delete(&editor_entry).unwrap();
        secret::delete(&reader_entry).unwrap();
    });
    drop(server);
}
