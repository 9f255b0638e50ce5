//! Listing an MLflow registry of 2,000 versions with [`Client::list`] against raw paginated HTTP
//! at the same page size on the same server (DESIGN §7: at most 1.1×).
//!
//! `GATEHOUSE_MLFLOW_URL=http://127.0.0.1:5000 cargo bench -p gatehouse-connectors --bench list`
//! The server is seeded with models `bench-0` … `bench-3` (500 versions each) when it holds fewer
//! than 2,000 versions. `GATEHOUSE_BENCH_PAGES` lists the version page sizes to measure
//! (default `1000,200000`); `GATEHOUSE_BENCH_ROUNDS` the rounds per size (default 7; the median
//! is reported).

// A benchmark binary fails loudly on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use gatehouse_connectors::mlflow::{Client, Config};
use serde_json::{json, Value};

const VERSIONS: usize = 2_000;

fn main() {
    let Ok(url) = std::env::var("GATEHOUSE_MLFLOW_URL") else {
        eprintln!(
            "set GATEHOUSE_MLFLOW_URL to a running mlflow server (see the file's doc comment)"
        );
        std::process::exit(2);
    };
    let pages: Vec<u32> = std::env::var("GATEHOUSE_BENCH_PAGES")
        .unwrap_or_else(|_| "1000,200000".into())
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let rounds: usize = std::env::var("GATEHOUSE_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let http = reqwest::Client::new();
        let total = raw_list(&http, &url, 200_000).await;
        if total < VERSIONS {
            eprintln!("seeding {VERSIONS} versions into {url} …");
            seed(&http, &url).await;
        }
        let total = raw_list(&http, &url, 200_000).await;
        println!("registry at {url}: {total} versions");
        for page in pages {
            let client = Client::new(
                &url,
                None,
                Config {
                    version_page_size: page,
                    ..Config::default()
                },
            )
            .unwrap();
            // Warm both paths (connections, server caches).
            client.list().await.unwrap();
            raw_list(&http, &url, page).await;
            let mut ours = Vec::new();
            let mut raw = Vec::new();
            for _ in 0..rounds {
                let t = Instant::now();
                let listing = client.list().await.unwrap();
                ours.push(t.elapsed());
                let n: usize = listing.models.iter().map(|m| m.versions.len()).sum();
                assert_eq!(n, total);
                let t = Instant::now();
                assert_eq!(raw_list(&http, &url, page).await, total);
                raw.push(t.elapsed());
            }
            let (o, r) = (median(ours), median(raw));
            println!(
                "page size {page:>6}: gatehouse list {:>8.1} ms, raw paginated http {:>8.1} ms, ratio {:.3}",
                o.as_secs_f64() * 1e3,
                r.as_secs_f64() * 1e3,
                o.as_secs_f64() / r.as_secs_f64()
            );
        }
    });
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// What a plain client does: every page of registered models (for the aliases) and of model
/// versions, with the server's tokens, each body parsed as JSON. Returns the versions seen.
async fn raw_list(http: &reqwest::Client, url: &str, page: u32) -> usize {
    let mut versions = 0;
    for (endpoint, key, size) in [
        ("registered-models/search", "registered_models", 1000),
        ("model-versions/search", "model_versions", page),
    ] {
        let mut token = String::new();
        loop {
            let mut query = vec![("max_results", size.to_string())];
            if !token.is_empty() {
                query.push(("page_token", token.clone()));
            }
            let body: Value = http
                .get(format!("{url}/api/2.0/mlflow/{endpoint}"))
                .query(&query)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if key == "model_versions" {
                versions += body[key].as_array().map_or(0, Vec::len);
            }
            match body["next_page_token"].as_str() {
                Some(t) if !t.is_empty() => token = t.to_owned(),
                _ => break,
            }
        }
    }
    versions
}

async fn seed(http: &reqwest::Client, url: &str) {
    let (http, url) = (http.clone(), url.to_owned());
    let post = move |path: &'static str, body: Value| {
        let http = http.clone();
        let url = url.clone();
        async move {
            http.post(format!("{url}/api/2.0/mlflow/{path}"))
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let exp = post(
        "experiments/create",
        json!({"name": format!("bench-{}", std::process::id())}),
    )
    .await["experiment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let run = post("runs/create", json!({"experiment_id": exp})).await["run"]["info"]["run_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut tasks = Vec::new();
    for m in 0..4 {
        let post = post.clone();
        let run = run.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("bench-{m}");
            post("registered-models/create", json!({"name": name})).await;
            for _ in 0..VERSIONS / 4 {
                post(
                    "model-versions/create",
                    json!({"name": name, "source": format!("runs:/{run}/model"), "run_id": run}),
                )
                .await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}
