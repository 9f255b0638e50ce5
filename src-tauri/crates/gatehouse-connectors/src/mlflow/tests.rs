use super::*;

fn call(action: &str) -> Call<'static> {
    Call {
        method: Method::GET,
        endpoint: "registered-models/alias",
        query: Vec::new(),
        body: None,
        action: action.into(),
        read: true,
    }
}

fn decoded(status: u16, body: &str, who: &str) -> Result<wire::OneVersion, ConnectorError> {
    decode(
        StatusCode::from_u16(status).unwrap(),
        body.as_bytes(),
        &call("edit model `churn`"),
        who,
    )
}

/// `check(status, body, expected message)`: what a person reads for each answer.
fn check(status: u16, body: &str, expected: &str) {
    let got = match decoded(status, body, "user `reader`") {
        Ok(_) => "ok".to_owned(),
        Err(e) => e.to_string(),
    };
    assert_eq!(got, expected, "status {status}, body {body:?}");
}

#[test]
fn answers_become_clear_errors() {
    check(
        200,
        r#"{"model_version": {"name": "m", "version": "1"}}"#,
        "ok",
    );
    check(200, "{}", "ok");
    check(
        403,
        "Permission denied",
        "mlflow refused: user `reader` may not edit model `churn` (403)",
    );
    check(
        401,
        "<html><body>You are not authenticated</body></html>",
        "mlflow refused: the server did not accept the credentials of user `reader` (401)",
    );
    check(
        404,
        "<!doctype html><title>404 Not Found</title>",
        "unexpected response from mlflow to registered-models/alias: no such endpoint (404): is this an mlflow server with a model registry?",
    );
    check(
        404,
        r#"{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Registered Model with name=x not found"}"#,
        "mlflow: registered Model with name=x not found",
    );
    check(
        400,
        r#"{"error_code": "INVALID_PARAMETER_VALUE", "message": "Registered model alias nope not found."}"#,
        "mlflow rejected registered-models/alias (400): Registered model alias nope not found.",
    );
    check(
        503,
        "upstream down\nmore",
        "mlflow failed on registered-models/alias (503): \"upstream down\"",
    );
    check(
        200,
        "<html>proxy login</html>",
        "unexpected response from mlflow to registered-models/alias: not json (an html page)",
    );
    check(
        200,
        r#"{"model_version": {"name": 5}}"#,
        "unexpected response from mlflow to registered-models/alias: json of an unexpected shape (invalid type: integer `5`, expected a string at line 1 column 28)",
    );
}

#[test]
fn without_credentials_a_401_says_how_to_store_them() {
    let e = decoded(401, "", "this client").unwrap_err().to_string();
    assert!(e.contains("gatehouse connect mlflow"), "{e}");
}

#[test]
fn refusals_map_to_denied_and_transport_to_unreachable() {
    use gatehouse_core::ErrorCode;
    let denied: Error = decoded(403, "no", "user `r`").unwrap_err().into();
    assert_eq!(denied.code(), ErrorCode::PermissionDenied);
    let html: Error = decoded(200, "<html>", "user `r`").unwrap_err().into();
    assert_eq!(html.code(), ErrorCode::Unreachable);
    let missing: Error = decoded(
        404,
        r#"{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "gone"}"#,
        "",
    )
    .unwrap_err()
    .into();
    assert_eq!(missing.code(), ErrorCode::NotFound);
}

#[test]
fn page_tokens_round_trip() {
    // The token MLflow 3.17 sent for offset 1.
    assert_eq!(offset_of("eyJvZmZzZXQiOiAxfQ=="), Some(1));
    assert_eq!(offset_of(&offset_token(4321)), Some(4321));
    assert_eq!(offset_of("not a token"), None);
    assert_eq!(
        offset_of(&base64::engine::general_purpose::STANDARD.encode("{\"offset\": 1, \"x\": 2}")),
        None
    );
}

fn model(name: &str, aliases: &[(&str, &str)]) -> wire::RegisteredModel {
    wire::RegisteredModel {
        name: name.into(),
        aliases: aliases
            .iter()
            .map(|(a, v)| wire::Alias {
                alias: (*a).into(),
                version: (*v).into(),
            })
            .collect(),
        ..Default::default()
    }
}

fn version(name: &str, v: &str) -> wire::ModelVersion {
    wire::ModelVersion {
        name: name.into(),
        version: v.into(),
        status: "READY".into(),
        current_stage: "None".into(),
        ..Default::default()
    }
}

#[test]
fn a_listing_sorts_versions_numerically_and_checks_aliases() {
    let l = convert::listing(
        vec![model("churn", &[("champion", "10")])],
        vec![version("churn", "10"), version("churn", "9")],
    )
    .unwrap()
    .unwrap();
    let versions: Vec<&str> = l.models[0]
        .versions
        .iter()
        .map(|v| v.version.as_str())
        .collect();
    assert_eq!(versions, ["9", "10"]);
    assert_eq!(l.details.len(), 2);
    // An alias to a version the listing lacks, or a version of an unlisted model: list again.
    assert!(convert::listing(
        vec![model("churn", &[("champion", "3")])],
        vec![version("churn", "1")]
    )
    .unwrap()
    .is_none());
    assert!(
        convert::listing(vec![model("churn", &[])], vec![version("other", "1")])
            .unwrap()
            .is_none()
    );
    // Nonsense is an error, not a panic.
    assert!(convert::listing(vec![model("", &[])], vec![]).is_err());
    assert!(convert::listing(vec![model("m", &[])], vec![version("m", "x")]).is_err());
}

#[test]
fn with_stages_the_pointers_are_the_newest_version_in_each_stage() {
    let staged = |v: &str, stage: &str| wire::ModelVersion {
        current_stage: stage.into(),
        ..version("legacy", v)
    };
    let l = convert::listing(
        vec![model("legacy", &[("champion", "1")])],
        vec![
            staged("1", "Production"),
            staged("2", "Archived"),
            staged("3", "Staging"),
            staged("4", "Production"),
            staged("5", "None"),
        ],
    )
    .unwrap()
    .unwrap();
    let l = with_stage_pointers(l);
    let pointers: Vec<(&str, &str)> = l.models[0]
        .pointers
        .iter()
        .map(|(p, v)| (p.as_str(), v.as_str()))
        .collect();
    // Aliases give way to stages; Archived and None say which version serves nothing.
    assert_eq!(pointers, [("Production", "4"), ("Staging", "3")]);
    let stage = |v: &str| {
        l.details[&(ModelName::from("legacy"), VersionId::from(v))]
            .stage
            .clone()
    };
    assert_eq!(stage("2").as_deref(), Some("Archived"));
    assert_eq!(stage("5"), None);
}

#[test]
fn with_stages_a_pointer_must_name_a_stage() {
    let client = Client::new(
        "http://127.0.0.1:9",
        None,
        Config {
            pointers: PointerKind::Stages,
            ..Config::default()
        },
    )
    .unwrap();
    assert_eq!(
        client.stage_of(&PointerName::from("Production")).unwrap(),
        Some("Production")
    );
    let e: Error = client
        .stage_of(&PointerName::from("production"))
        .unwrap_err()
        .into();
    assert_eq!(e.code(), gatehouse_core::ErrorCode::Invalid);
    assert!(e.to_string().contains("Staging, Production"), "{e}");
    let aliases = Client::new("http://127.0.0.1:9", None, Config::default()).unwrap();
    assert_eq!(
        aliases.stage_of(&PointerName::from("Production")).unwrap(),
        None
    );
}

/// Every answer the client parses, mutated many ways: parsing returns, never panics.
#[test]
fn parsers_never_panic_on_mutated_answers() {
    let seeds = [
        r#"{"registered_models": [{"name": "churn", "description": "d", "aliases": [{"alias": "champion", "version": "2"}], "tags": [{"key": "k", "value": "v"}]}], "next_page_token": "eyJvZmZzZXQiOiAxfQ=="}"#,
        r#"{"model_versions": [{"name": "churn", "version": "2", "creation_timestamp": 1795712155434, "current_stage": "None", "source": "s3://b/x", "run_id": "abc", "status": "READY", "tags": [{"key": "a", "value": "b"}]}]}"#,
        r#"{"run": {"info": {"run_id": "abc", "experiment_id": "1"}, "data": {"metrics": [{"key": "auc", "value": "NaN", "timestamp": 1, "step": 0}, {"key": "f1", "value": 0.5}], "params": [{"key": "lr", "value": "0.1"}]}}}"#,
        r#"{"error_code": "INVALID_PARAMETER_VALUE", "message": "Registered model alias x not found."}"#,
    ];
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let noise = [
        b'{', b'}', b'[', b']', b'"', b':', b',', b'0', b'-', b'e', b'\\', 0xff, b'n', b' ',
    ];
    for seed in seeds {
        for _ in 0..3000 {
            let mut bytes = seed.as_bytes().to_vec();
            for _ in 0..=(next() % 4) {
                if bytes.is_empty() {
                    break;
                }
                let at = (next() as usize) % bytes.len();
                match next() % 3 {
                    0 => bytes[at] = noise[(next() as usize) % noise.len()],
                    1 => {
                        bytes.remove(at);
                    }
                    _ => bytes.truncate(at),
                }
            }
            for status in [200u16, 400, 401, 403, 404, 500] {
                let s = StatusCode::from_u16(status).unwrap();
                let c = call("read");
                let _ = decode::<wire::SearchModels>(s, &bytes, &c, "user `u`")
                    .map(|p| convert::listing(p.registered_models, Vec::new()));
                let _ = decode::<wire::SearchVersions>(s, &bytes, &c, "user `u`")
                    .map(|p| convert::listing(Vec::new(), p.model_versions));
                let _ = decode::<wire::OneRun>(s, &bytes, &c, "user `u`")
                    .map(|r| r.run.map(convert::run));
                let _ = decode::<wire::OneVersion>(s, &bytes, &c, "user `u`");
            }
            let _ = offset_of(&String::from_utf8_lossy(&bytes));
        }
    }
}

#[test]
fn lenient_numbers() {
    let run: wire::OneRun = serde_json::from_str(
        r#"{"run": {"data": {"metrics": [{"key": "a", "value": "NaN"}, {"key": "b", "value": 3}, {"key": "c", "value": "Infinity"}]}}}"#,
    )
    .unwrap();
    let (_, summary) = convert::run(run.run.unwrap());
    assert_eq!(summary.metrics, BTreeMap::from([("b".to_owned(), 3.0)]));
    let v: wire::ModelVersion =
        serde_json::from_str(r#"{"name": "m", "version": "1", "creation_timestamp": "17"}"#)
            .unwrap();
    assert_eq!(v.creation_timestamp, 17);
}

#[test]
fn urls_with_credentials_are_refused() {
    let e = Client::new("http://u:p@127.0.0.1:1", None, Config::default()).unwrap_err();
    assert!(!e.to_string().contains(":p@"), "{e}");
    assert!(Client::new("ftp://x", None, Config::default()).is_err());
    assert!(Client::new("not a url", None, Config::default()).is_err());
}

fn quick() -> Config {
    Config {
        timeout: Duration::from_millis(300),
        connect_timeout: Duration::from_millis(300),
        read_attempts: 3,
        backoff: Duration::from_millis(10),
        ..Config::default()
    }
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = Client::new(&format!("http://127.0.0.1:{port}"), None, quick()).unwrap();
    let e: Error = c
        .alias(&ModelName::from("m"), &PointerName::from("a"))
        .await
        .unwrap_err()
        .into();
    assert_eq!(e.code(), gatehouse_core::ErrorCode::Unreachable, "{e}");
}

/// A server that accepts connections and never answers: reads time out and are tried
/// `read_attempts` times, writes once.
#[tokio::test]
async fn a_silent_server_times_out_reads_are_retried_writes_are_not() {
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    let c = Client::new(&format!("http://127.0.0.1:{port}"), None, quick()).unwrap();
    let m = ModelName::from("m");
    let e = c.alias(&m, &PointerName::from("a")).await.unwrap_err();
    assert!(e.to_string().contains("no answer within 0.3 s"), "{e}");
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
    let e = c
        .set_alias(&m, &PointerName::from("a"), &VersionId::from("1"))
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectorError::Unreachable { .. }), "{e}");
    assert_eq!(accepted.load(Ordering::SeqCst), 4);
}
