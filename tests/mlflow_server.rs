//! A real `mlflow server` for tests (from the venv `scripts/setup --test` makes), its REST API for
//! seeding and for the expected answers, and what that API says the registry holds. The connector
//! tests, the CLI tests and the end-to-end journeys all start and read MLflow through here.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The admin password of servers started with basic auth (MLflow ≥ 3.17 wants ≥ 12 characters).
pub const ADMIN_PASSWORD: &str = "gatehouse-admin-pw-7731";

/// Whether the server checks users and permissions (`--app-name basic-auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone may read and write.
    Off,
    /// Basic auth: `admin` with [`ADMIN_PASSWORD`]; other users READ by default.
    BasicAuth,
}

/// The `mlflow` executable: `$GATEHOUSE_MLFLOW`, else the venv `scripts/setup --test` makes.
pub fn mlflow_bin() -> PathBuf {
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
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// Whether `GET url/health` answers 200, over a plain socket (callers may or may not be inside
/// a tokio runtime).
fn healthy(url: &str) -> bool {
    let Some(addr) = url.strip_prefix("http://") else {
        return false;
    };
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET /health HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.split(' ').nth(1) == Some("200")
}

/// An `mlflow server` with a SQLite store in a temporary directory, in its own process group,
/// which is ended as a whole (the server forks uvicorn workers) by [`MlflowServer::stop`] or
/// when dropped.
pub struct MlflowServer {
    child: Child,
    /// Its base URL, such as `http://127.0.0.1:40123`.
    pub url: String,
    dir: tempfile::TempDir,
    stopped: bool,
}

impl MlflowServer {
    /// Starts a server on a free loopback port and waits until `/health` answers (up to 180 s:
    /// start-up takes 20–60 s on a busy two-core machine).
    pub fn start(auth: Auth) -> MlflowServer {
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
        if auth == Auth::BasicAuth {
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
        let mut server = MlflowServer {
            child,
            url,
            dir,
            stopped: false,
        };
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if healthy(&server.url) {
                return server;
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

    /// Its temporary directory: the store, the auth database, the log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops the server and its workers; its port stops answering.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
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

impl Drop for MlflowServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A tokio runtime for tests that are not async themselves.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Raw REST calls to MLflow, independent of Gatehouse's client: for seeding and for the answers
/// a listing must equal.
#[derive(Clone)]
pub struct Rest {
    http: reqwest::Client,
    url: String,
    auth: Option<(String, String)>,
}

impl Rest {
    /// Calls the server at `url`, as `(user, password)` when given.
    pub fn new(url: &str, auth: Option<(&str, &str)>) -> Rest {
        Rest {
            http: reqwest::Client::new(),
            url: url.to_owned(),
            auth: auth.map(|(u, p)| (u.to_owned(), p.to_owned())),
        }
    }

    /// One call: `path` under `/api/2.0/mlflow/`, or from the root when it starts with `api/`.
    /// Returns the status and the body (JSON, or the text as a JSON string).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
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

    /// A POST that must answer 200.
    pub async fn post(&self, path: &str, body: Value) -> Value {
        let (status, v) = self.call(reqwest::Method::POST, path, Some(body)).await;
        assert_eq!(status, 200, "POST {path}: {v}");
        v
    }

    /// A GET that must answer 200.
    pub async fn get(&self, path: &str) -> Value {
        let (status, v) = self.call(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {v}");
        v
    }

    /// The version `model@alias` points to, if set.
    pub async fn alias(&self, model: &str, alias: &str) -> Option<String> {
        let (status, v) = self
            .call(
                reqwest::Method::GET,
                &format!("registered-models/alias?name={model}&alias={alias}"),
                None,
            )
            .await;
        (status == 200).then(|| v["model_version"]["version"].as_str().unwrap().to_owned())
    }

    /// Points `model@alias` at `version`.
    pub async fn set_alias(&self, model: &str, alias: &str, version: &str) {
        self.post(
            "registered-models/alias",
            json!({"name": model, "alias": alias, "version": version}),
        )
        .await;
    }

    /// A version's legacy stage (`None`, `Staging`, `Production`, `Archived`).
    pub async fn stage(&self, model: &str, version: &str) -> String {
        let v = self
            .get(&format!(
                "model-versions/get?name={model}&version={version}"
            ))
            .await;
        v["model_version"]["current_stage"]
            .as_str()
            .unwrap_or("None")
            .to_owned()
    }

    /// Moves a version to a legacy stage, archiving the versions in it when asked.
    pub async fn transition(&self, model: &str, version: &str, stage: &str, archive: bool) {
        self.post(
            "model-versions/transition-stage",
            json!({"name": model, "version": version, "stage": stage, "archive_existing_versions": archive}),
        )
        .await;
    }

    /// A version's tags.
    pub async fn version_tags(&self, model: &str, version: &str) -> BTreeMap<String, String> {
        let v = self
            .get(&format!(
                "model-versions/get?name={model}&version={version}"
            ))
            .await;
        pairs(&v["model_version"]["tags"], "key", "value")
    }

    /// Creates an experiment with `n` runs, each with metrics `auc` and `f1`, a parameter `lr`
    /// and a git commit tag (`c0ffee<i>`); returns the run ids in order.
    pub async fn seed_runs(&self, n: usize) -> Vec<String> {
        let exp = self
            .post("experiments/create", json!({"name": "training"}))
            .await["experiment_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut runs = Vec::new();
        for i in 0..n {
            let run = self
                .post("runs/create", json!({"experiment_id": exp}))
                .await["run"]["info"]["run_id"]
                .as_str()
                .unwrap()
                .to_owned();
            self.post(
                "runs/log-batch",
                json!({"run_id": run, "metrics": [
                    {"key": "auc", "value": 0.80 + i as f64 / 1000.0, "timestamp": 1, "step": 0},
                    {"key": "f1", "value": 0.5 + i as f64 / 100.0, "timestamp": 1, "step": 0}],
                    "params": [{"key": "lr", "value": format!("0.{i}")}],
                    "tags": [{"key": "mlflow.source.git.commit", "value": format!("c0ffee{i:02}")}]}),
            )
            .await;
            runs.push(run);
        }
        runs
    }

    /// Creates a registered model with a description.
    pub async fn create_model(&self, model: &str) {
        self.post(
            "registered-models/create",
            json!({"name": model, "description": format!("the {model} model")}),
        )
        .await;
    }

    /// Creates version `n` (counting from 0) of `model` from `run`: every third has a
    /// description, every fourth two tags. Returns the version MLflow gave it.
    pub async fn create_version(&self, model: &str, run: &str, n: usize) -> String {
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

    /// Creates each model with `count` versions, the models in parallel, versions cycling
    /// through `runs`.
    pub async fn seed_models(&self, models: &[(&str, usize)], runs: &[String]) {
        let mut handles = Vec::new();
        for &(model, count) in models {
            let rest = self.clone();
            let runs = runs.to_vec();
            let model = model.to_owned();
            handles.push(tokio::spawn(async move {
                rest.create_model(&model).await;
                for n in 0..count {
                    rest.create_version(&model, &runs[n % runs.len()], n).await;
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
    }

    /// Every row of a search with the server's own tokens, as a naive reader pages it.
    pub async fn pages(&self, path: &str, key: &str, page: u32) -> Vec<Value> {
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

    /// The latest value of each metric of a run, as `runs/get` reports it.
    pub async fn run_metrics(&self, run: &str) -> BTreeMap<String, f64> {
        let v = self.get(&format!("runs/get?run_id={run}")).await;
        v["run"]["data"]["metrics"]
            .as_array()
            .map(|ms| {
                ms.iter()
                    .map(|m| {
                        (
                            m["key"].as_str().unwrap().to_owned(),
                            m["value"].as_f64().unwrap(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What the REST API says the registry holds: every model with its aliases and versions.
    pub async fn registry(&self) -> RestRegistry {
        let mut out = RestRegistry::new();
        for m in self
            .pages("registered-models/search", "registered_models", 1000)
            .await
        {
            out.insert(
                m["name"].as_str().unwrap().to_owned(),
                RestModel {
                    description: m["description"].as_str().unwrap_or_default().to_owned(),
                    aliases: pairs(&m["aliases"], "alias", "version"),
                    versions: BTreeMap::new(),
                },
            );
        }
        for v in self
            .pages("model-versions/search", "model_versions", 200_000)
            .await
        {
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            let created = v["creation_timestamp"]
                .as_i64()
                .or_else(|| {
                    v["creation_timestamp"]
                        .as_str()
                        .and_then(|t| t.parse().ok())
                })
                .unwrap();
            out.get_mut(v["name"].as_str().unwrap())
                .unwrap()
                .versions
                .insert(
                    s("version"),
                    RestVersion {
                        run_id: s("run_id"),
                        tags: pairs(&v["tags"], "key", "value"),
                        description: s("description"),
                        status: s("status"),
                        stage: s("current_stage"),
                        created_at: created,
                    },
                );
        }
        out
    }
}

/// `[{k: .., v: ..}, …]` as a map; an absent array (MLflow omits empty fields) is empty.
fn pairs(list: &Value, k: &str, v: &str) -> BTreeMap<String, String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    (
                        x[k].as_str().unwrap().to_owned(),
                        x[v].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The registry as MLflow's REST API returns it: model name → model.
pub type RestRegistry = BTreeMap<String, RestModel>;

/// A registered model as the REST API returns it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RestModel {
    /// Its description (empty when none).
    pub description: String,
    /// Alias → version.
    pub aliases: BTreeMap<String, String>,
    /// Version → what the API says of it.
    pub versions: BTreeMap<String, RestVersion>,
}

/// A model version as the REST API returns it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RestVersion {
    /// The source run.
    pub run_id: String,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// Its description (empty when none).
    pub description: String,
    /// Its registration status (`READY`).
    pub status: String,
    /// Its legacy stage (`None` when in none).
    pub stage: String,
    /// When it was created, in milliseconds since the epoch.
    pub created_at: i64,
}
