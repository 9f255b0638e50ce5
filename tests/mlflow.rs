//! The MLflow registry connector against a real `mlflow server` (SQLite store in a temp dir,
//! started from the venv `scripts/setup --test` creates, killed when the test ends): listing
//! equals what the REST API returns on hundreds of versions, pagination stays exact when the
//! registry changes between pages, promotions and rollbacks move the alias through the core's
//! `Desk` and are read back and tagged, a concurrent alias change is refused as stale, a READ-only
//! user is refused by the server (exit 4) with the alias unchanged, and the password appears in
//! no file of the workspace, no database and no log.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use gatehouse_connectors::mlflow::{
    Client, Config, Listing, VersionStatus, TAG_PROMOTED_BY, TAG_REQUEST,
};
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
use gatehouse_tests::mlflow_server::{
    runtime, Auth, MlflowServer, Rest, RestModel, RestRegistry, RestVersion, ADMIN_PASSWORD,
};
use serde_json::json;

/// The listing in the shape of what the REST API returns.
fn as_rest(listing: &Listing) -> RestRegistry {
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
                        VersionStatus::Ready => "READY",
                        VersionStatus::PendingRegistration => "PENDING_REGISTRATION",
                        VersionStatus::FailedRegistration => "FAILED_REGISTRATION",
                        VersionStatus::Unrecognised => "?",
                    };
                    let version = RestVersion {
                        run_id: v.run_id.clone(),
                        tags: v.tags.clone(),
                        description: d.description.clone(),
                        status: status.to_owned(),
                        stage: d.stage.clone().unwrap_or_else(|| "None".into()),
                        created_at: v.created_at.0,
                    };
                    (v.version.0.clone(), version)
                })
                .collect();
            let model = RestModel {
                description: m.description.clone(),
                aliases,
                versions,
            };
            (m.name.0.clone(), model)
        })
        .collect()
}

/// Seeds: 30 runs with metrics in one experiment; models `aaa-first` (20 versions), `churn`
/// (200), `fraud` (80); aliases `churn@champion → 1`, `fraud@champion → 3`.
async fn seed(rest: &Rest) -> Vec<String> {
    let runs = rest.seed_runs(30).await;
    rest.seed_models(&[("aaa-first", 20), ("churn", 200), ("fraud", 80)], &runs)
        .await;
    rest.set_alias("churn", "champion", "1").await;
    rest.set_alias("fraud", "champion", "3").await;
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
    workspace_with(dir, &text).await
}

/// A workspace whose registry is the MLflow server with legacy stages, `Production` being
/// production.
async fn stage_workspace(dir: &Path, url: &str) -> (Workspace, Policy) {
    let text = POLICY
        .replace("URL", url)
        .replace("CREDENTIAL", "pointers = \"stages\"")
        .replace(
            "production_pointer = \"champion\"",
            "production_pointer = \"Production\"",
        )
        .replace("[pointers.champion]", "[pointers.Production]");
    workspace_with(dir, &text).await
}

async fn workspace_with(dir: &Path, text: &str) -> (Workspace, Policy) {
    std::fs::write(dir.join("gatehouse.toml"), text).unwrap();
    let ws = Workspace::open(dir).await.unwrap();
    let policy = ws.policy().unwrap();
    for model in ["churn", "fraud", "legacy"] {
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

#[test]
fn mlflow_listing_pagination_and_promotions() {
    let server = MlflowServer::start(Auth::Off);
    runtime().block_on(async {
        let rest = Rest::new(&server.url, None);
        let runs = seed(&rest).await;
        let client = Client::new(&server.url, None, Config::default()).unwrap();

        // 1. The listing equals the REST API's answer, model for model, version for version,
        //    alias for alias, at the largest page size (one page for 300 versions).
        let listing = client.list_with_runs().await.unwrap();
        assert_eq!(listing.attempts, 1);
        assert_eq!(as_rest(&listing), rest.registry().await);
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
            let metrics = rest.run_metrics(&v.run_id).await;
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
        assert_eq!(as_rest(&paged), as_rest(&listing));

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
            assert_eq!(as_rest(&listing), rest.registry().await, "{write}");

            // The same write under a naive reader with the server's own tokens loses exactness.
            let naive = naive_listing_with_write(&rest, write, &runs[0]).await;
            let truth: BTreeSet<(String, String)> = rest
                .registry()
                .await
                .into_iter()
                .flat_map(|(m, model)| model.versions.into_keys().map(move |v| (m.clone(), v)))
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
        let tags = rest.version_tags("churn", "5").await;
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

        // 7. Legacy stages, for servers that promote with them: the listing's pointers are the
        //    stages (the newest version in each), every version reports its stage as the REST
        //    API does, and a promotion or rollback transitions the stage, archiving the version
        //    that held it, instead of setting an alias.
        rest.create_model("legacy").await;
        for (n, run) in runs.iter().take(4).enumerate() {
            rest.create_version("legacy", run, n).await;
        }
        rest.transition("legacy", "1", "Production", false).await;
        rest.transition("legacy", "2", "Staging", false).await;
        rest.set_alias("legacy", "champion", "4").await;
        let dir = tempfile::tempdir().unwrap();
        let (ws, policy) = stage_workspace(dir.path(), &server.url).await;
        let staged = Client::from_backend(&policy.backends.registry, Config::default()).unwrap();
        let listing = staged.list().await.unwrap();
        let truth = rest.registry().await;
        let legacy = listing
            .models
            .iter()
            .find(|m| m.name.0 == "legacy")
            .unwrap();
        let pointers: BTreeMap<&str, &str> = legacy
            .pointers
            .iter()
            .map(|(p, v)| (p.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pointers,
            BTreeMap::from([("Production", "1"), ("Staging", "2")])
        );
        for (name, model) in as_rest(&listing) {
            for (version, v) in model.versions {
                assert_eq!(
                    v.stage, truth[&name].versions[&version].stage,
                    "{name} {version}"
                );
            }
        }
        let legacy_model = ModelName::from("legacy");
        let production = PointerName::from("Production");
        assert_eq!(
            staged.pointer(&legacy_model, &production).await.unwrap(),
            Some(VersionId::from("1"))
        );
        let not_a_stage = staged
            .pointer(&legacy_model, &PointerName::from("champion"))
            .await
            .unwrap_err();
        assert_eq!(not_a_stage.code(), ErrorCode::Invalid, "{not_a_stage}");
        assert!(
            not_a_stage.to_string().contains("uses stages"),
            "{not_a_stage}"
        );

        let req = desk(&policy, &ws, &staged, "priya")
            .request(&legacy_model, &VersionId::from("3"), &production, "v3 wins")
            .await
            .unwrap();
        assert_eq!(req.from_version, Some(VersionId::from("1")));
        desk(&policy, &ws, &staged, "marco")
            .approve(req.id, None)
            .await
            .unwrap();
        let done = desk(&policy, &ws, &staged, "erin")
            .approve(req.id, None)
            .await
            .unwrap();
        assert_eq!(done.state, RequestState::Done, "{:?}", done.outcome);
        assert_eq!(rest.stage("legacy", "3").await, "Production");
        assert_eq!(rest.stage("legacy", "1").await, "Archived");
        assert_eq!(rest.stage("legacy", "2").await, "Staging");
        // The alias is not what moves.
        assert_eq!(rest.alias("legacy", "champion").await.as_deref(), Some("4"));
        assert_eq!(
            rest.version_tags("legacy", "3").await[TAG_PROMOTED_BY],
            "erin"
        );
        let outcome = done.outcome.unwrap();
        assert!(
            outcome.contains("legacy stage Production 1 → 3, read back 3"),
            "{outcome}"
        );
        let back = desk(&policy, &ws, &staged, "marco")
            .rollback(&legacy_model, None, None, "v3 regressed")
            .await
            .unwrap();
        assert_eq!(back.state, RequestState::Done, "{:?}", back.outcome);
        assert_eq!(back.version, VersionId::from("1"));
        assert_eq!(rest.stage("legacy", "1").await, "Production");
        assert_eq!(rest.stage("legacy", "3").await, "Archived");
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
    let server = MlflowServer::start(Auth::BasicAuth);
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
        for root in [dir.path(), dir2.path(), server.dir()] {
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

/// A policy on the MLflow server whose model-validation gate reads the candidate's and the
/// champion's runs, and whose rollout gate analyses the version the champion alias points at.
const RUNS_POLICY: &str = r##"
[workspace]
name = "mlflow runs"
model = "churn"

[backends.registry]
kind = "mlflow"
url = "URL"

[backends.registry.metrics]
"model.auc" = "roc_auc"

[[gates]]
id = "model-validation"
[[gates.checks]]
id = "auc"
signal = "model.auc"
min = 0.8
[[gates.checks]]
id = "vs-champion"
signal = "model.auc_delta_vs_champion"
min = -0.005

[promotion]
production_pointer = "champion"

[rollout]
kind = "canary"
pointer = "champion"

[[rollout.metrics]]
name = "error rate"
signal = "rollout.error_rate_ratio"
success = "value <= 1.5"
failure = "value > 2"
interval = "1m"
count = 5
failure_limit = 2
"##;

/// A gate of a loop, with its evidence by check.
fn gate<'a>(
    status: &'a gatehouse_core::status::LoopStatus,
    id: &str,
) -> &'a gatehouse_core::gate::GateStatus {
    status.gates.iter().find(|g| g.id.as_str() == id).unwrap()
}

#[test]
fn the_loop_reads_candidate_and_champion_runs_and_judges_the_rollout_on_the_alias() {
    use gatehouse_connectors::live;
    use gatehouse_connectors::registry::AnyRegistry;
    use gatehouse_core::gate::GateState;
    use gatehouse_core::rollout::ReadingHistory;

    let server = MlflowServer::start(Auth::Off);
    runtime().block_on(async {
        let rest = Rest::new(&server.url, None);
        let exp = rest
            .post("experiments/create", json!({"name": "training"}))
            .await["experiment_id"]
            .as_str()
            .unwrap()
            .to_owned();
        rest.create_model("churn").await;
        // v1, v2 (the champion) and v3, the candidate: a little worse than the champion.
        for (n, auc) in [0.82, 0.86, 0.85].into_iter().enumerate() {
            let run = rest
                .post("runs/create", json!({"experiment_id": exp}))
                .await["run"]["info"]["run_id"]
                .as_str()
                .unwrap()
                .to_owned();
            rest.post(
                "runs/log-batch",
                json!({"run_id": run, "metrics": [{"key": "roc_auc", "value": auc, "timestamp": 1, "step": 0}],
                       "params": [{"key": "depth", "value": n.to_string()}]}),
            )
            .await;
            rest.create_version("churn", &run, n + 1).await;
        }
        rest.set_alias("churn", "champion", "2").await;

        let dir = tempfile::tempdir().unwrap();
        let text = RUNS_POLICY.replace("URL", &server.url);
        std::fs::write(dir.path().join("gatehouse.toml"), text).unwrap();
        let ws = Workspace::open(dir.path()).await.unwrap();
        let policy = ws.policy().unwrap();
        let now = SystemClock.now();
        let churn = ModelName::from("churn");
        // The canary's error rate, as a pipeline records it: failed three times of three.
        for (k, ratio) in [2.4, 2.5, 2.6].into_iter().enumerate() {
            ws.record_reading(&Reading {
                model: churn.clone(),
                signal: SignalName::from("rollout.error_rate_ratio"),
                value: ratio,
                read_at: gatehouse_core::time::Timestamp(now.0 - 60_000 * (3 - k as i64)),
                source: "pipeline".into(),
                note: None,
            })
            .await
            .unwrap();
        }

        // `gatehouse status` (no listing: MLflow is listed now).
        let status = live::loop_status(&policy, &ws, None, now).await.unwrap();
        let validation = gate(&status, "model-validation");
        assert_eq!(validation.state, GateState::Blocked);
        let auc = &validation.evidence[0];
        assert_eq!(auc.value, Some(0.85));
        assert!(auc.source.as_deref().unwrap().starts_with("mlflow: roc_auc of v3 (run "));
        let delta = &validation.evidence[1];
        assert!((delta.value.unwrap() - (0.85 - 0.86)).abs() < 1e-9);
        assert_eq!(
            delta.note.as_deref(),
            Some("candidate v3 roc_auc 0.85 vs champion v2 (champion) 0.86")
        );
        // The rollout gate analyses MLflow's champion, not the embedded registry's (empty).
        let rollout = gate(&status, "rollout");
        assert_eq!(rollout.state, GateState::Blocked);
        assert!(
            rollout
                .summary
                .starts_with("error rate of v2 met the failure condition `value > 2` in 3 of 3 checks"),
            "{}",
            rollout.summary
        );

        // The panel's Loop judges the loop from the watcher's last listing: the same loop.
        let models = AnyRegistry::for_policy(&policy, &ws)
            .unwrap()
            .models()
            .await
            .unwrap();
        let watched = live::loop_status(&policy, &ws, Some(&models), now)
            .await
            .unwrap();
        assert_eq!(watched, status);
        // The readings were news once.
        let signal = SignalName::from("model.auc_delta_vs_champion");
        assert_eq!(ws.readings(&churn, &signal, 10).await.unwrap().len(), 1);

        // The champion moves to v3 in MLflow: the candidate no longer trails it, and the rollout
        // gate now analyses v3.
        rest.set_alias("churn", "champion", "3").await;
        let status = live::loop_status(&policy, &ws, None, SystemClock.now())
            .await
            .unwrap();
        assert_eq!(gate(&status, "model-validation").state, GateState::Passed);
        assert_eq!(gate(&status, "model-validation").evidence[1].value, Some(0.0));
        assert!(gate(&status, "rollout").summary.starts_with("error rate of v3 "));
        assert_eq!(ws.readings(&churn, &signal, 10).await.unwrap().len(), 2);
    });
}

#[test]
fn the_registry_view_shows_stages_and_keeps_the_last_listing_while_mlflow_is_down() {
    use gatehouse_connectors::live;
    use gatehouse_store::LISTING_FILE;

    let mut server = MlflowServer::start(Auth::Off);
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let first = rt.block_on(async {
        let rest = Rest::new(&server.url, None);
        let runs = rest.seed_runs(2).await;
        rest.seed_models(&[("churn", 3)], &runs).await;
        rest.transition("churn", "2", "Production", false).await;
        rest.transition("churn", "3", "Staging", false).await;
        let (ws, policy) = stage_workspace(dir.path(), &server.url).await;
        let view = live::registry_view(&policy, &ws, SystemClock.now())
            .await
            .unwrap();
        assert_eq!(view.unreadable, None);
        let stages: Vec<(&str, &str)> = view.stages[&ModelName::from("churn")]
            .iter()
            .map(|(v, s)| (v.as_str(), s.as_str()))
            .collect();
        assert_eq!(stages, [("2", "Production"), ("3", "Staging")]);
        assert!(dir.path().join(LISTING_FILE).is_file());
        ws.close().await;
        view
    });

    // The panel opens again while MLflow is down: the last listing, with its time and why.
    server.stop();
    rt.block_on(async {
        let ws = Workspace::open(dir.path()).await.unwrap();
        let policy = ws.policy().unwrap();
        let view = live::registry_view(&policy, &ws, SystemClock.now())
            .await
            .unwrap();
        let why = view.unreadable.clone().unwrap();
        assert_eq!(why.code, ErrorCode::Unreachable);
        assert!(why.message.contains(&server.url), "{}", why.message);
        assert_eq!(
            (view.models, view.stages, view.read_at),
            (first.models, first.stages, first.read_at)
        );

        // Without a listing kept, the error is the answer.
        std::fs::remove_file(dir.path().join(LISTING_FILE)).unwrap();
        let e = live::registry_view(&policy, &ws, SystemClock.now())
            .await
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::Unreachable);
    });
}
