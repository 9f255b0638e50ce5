//! The panel on a workspace connected to a real MLflow server: the Registry view lists exactly
//! what MLflow's REST API returns, the Loop view describes its stages from it, judges the rollout
//! gate on MLflow's alias and the model-validation gate on the candidate's and the champion's
//! runs, as `gatehouse status` does; both follow a change made directly in MLflow after the
//! policy's refresh interval, a server that stops leaves the last registry and loop on screen
//! marked stale, and a panel opened while it is down shows the last listing it kept.

use gatehouse_tests::mlflow_server::{
    runtime, Auth, MlflowServer, Rest, RestModel, RestRegistry, RestVersion,
};

use super::*;

const POLICY: &str = r#"[workspace]
name = "mlflow live"
model = "churn"

[backends.registry]
kind = "embedded"
refresh_secs = 2

[users.erin]
name = "Erin"
roles = ["admin"]

[promotion]
production_pointer = "champion"

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
"#;

/// A gate of `gatehouse --json status`: its state and summary.
fn cli_gate(ws: &Path, id: &str) -> Result<(String, String)> {
    let status: Value = serde_json::from_str(&gatehouse(ws, &["--json", "status"])?)?;
    let gate = status["gates"]
        .as_array()
        .context("gates")?
        .iter()
        .find(|g| g["id"] == id)
        .context("no such gate")?;
    Ok((
        gate["state"].as_str().unwrap_or_default().to_owned(),
        gate["summary"].as_str().unwrap_or_default().to_owned(),
    ))
}

/// The Loop's gate `id` as drawn and as its drawer explains it: state, summary, and the text of
/// the evidence row of `check`.
fn loop_gate(s: &Session, id: &str, check: &str) -> Result<(String, String, String)> {
    s.click(&s.wait_for(
        &format!("[data-testid=gate][data-gate='{id}'] polygon.octagon"),
        WAIT,
    )?)?;
    s.wait_for("[data-testid=gate-detail]", WAIT)?;
    let got = s.execute(
        "const d = document.querySelector('[data-testid=gate-detail]');
         const row = d.querySelector(`[data-testid=evidence-row][data-check='${arguments[1]}']`);
         return [document.querySelector(`[data-testid=gate][data-gate='${arguments[0]}']`).dataset.state,
                 d.querySelector('.summary')?.textContent ?? '', row?.textContent ?? ''];",
        json!([id, check]),
    )?;
    s.press("\u{E00C}")?;
    let [state, summary, row]: [String; 3] = serde_json::from_value(got)?;
    Ok((state, summary, row))
}

/// The Registry view's models as drawn, tab by tab: description, pointers, and each version
/// with its source run.
fn registry_shown(s: &Session) -> Result<RestRegistry> {
    let tabs: Vec<String> = serde_json::from_value(s.execute(
        "return [...document.querySelectorAll('[data-testid=model-tab]')].map(e => e.dataset.model);",
        json!([]),
    )?)?;
    let mut shown = RestRegistry::new();
    for name in tabs {
        s.click(&s.wait_for(
            &format!("[data-testid=model-tab][data-model='{name}']"),
            WAIT,
        )?)?;
        s.wait_for(&format!("[data-testid=model][data-model='{name}']"), WAIT)?;
        let model: Value = s.execute(
            "const m = document.querySelector('[data-testid=model]');
             return {
               pointers: Object.fromEntries([...m.querySelectorAll('[data-testid=pointer]')]
                 .map(p => [p.dataset.pointer, p.dataset.version])),
               versions: [...m.querySelectorAll('[data-testid=version-row]')]
                 .map(r => [r.dataset.version, r.cells[2].title]),
               description: m.querySelector('.title p')?.textContent ?? '',
             };",
            json!([]),
        )?;
        let versions: Vec<(String, String)> = serde_json::from_value(model["versions"].clone())?;
        shown.insert(
            name,
            RestModel {
                description: model["description"].as_str().unwrap_or_default().to_owned(),
                aliases: serde_json::from_value(model["pointers"].clone())?,
                versions: versions
                    .into_iter()
                    .map(|(v, run_id)| {
                        let version = RestVersion {
                            run_id,
                            ..RestVersion::default()
                        };
                        (v, version)
                    })
                    .collect(),
            },
        );
    }
    Ok(shown)
}

/// What the REST API returns, reduced to what the view draws: descriptions, aliases, version
/// numbers and their runs.
fn drawable(registry: RestRegistry) -> RestRegistry {
    registry
        .into_iter()
        .map(|(name, mut m)| {
            for v in m.versions.values_mut() {
                *v = RestVersion {
                    run_id: std::mem::take(&mut v.run_id),
                    ..RestVersion::default()
                };
            }
            (name, m)
        })
        .collect()
}

/// The Loop view's text for a stage.
fn stage_text(s: &Session, stage: &str) -> Result<String> {
    let text = s.execute(
        &format!("return document.querySelector(\"[data-testid=stage][data-stage='{stage}']\")?.textContent ?? '';"),
        json!([]),
    )?;
    Ok(text.as_str().unwrap_or_default().to_owned())
}

#[test]
#[ignore = "needs the built app, tauri-driver and a display: run scripts/test"]
fn the_registry_and_loop_views_follow_a_real_mlflow_server() -> Result<()> {
    let mut server = MlflowServer::start(Auth::Off);
    let rt = runtime();
    let rest = Rest::new(&server.url, None);
    rt.block_on(async {
        let runs = rest.seed_runs(3).await;
        rest.seed_models(&[("churn", 6), ("fraud", 3)], &runs).await;
        rest.set_alias("churn", "champion", "2").await;
        rest.set_alias("churn", "challenger", "5").await;
        rest.set_alias("fraud", "champion", "1").await;
        // fraud also uses a legacy stage, as older servers do.
        rest.transition("fraud", "2", "Staging", false).await;
    });

    let dir = tempfile::tempdir()?;
    let ws = dir.path().join("ws");
    std::fs::create_dir(&ws)?;
    std::fs::write(ws.join("gatehouse.toml"), POLICY)?;
    gatehouse(&ws, &["connect", "mlflow", &server.url])?;
    // The model-validation gate reads the runs' `auc`: v6 (the candidate) against v2.
    let mut policy = std::fs::read_to_string(ws.join("gatehouse.toml"))?;
    policy.push_str("\n[backends.registry.metrics]\n\"model.auc\" = \"auc\"\n");
    std::fs::write(ws.join("gatehouse.toml"), policy)?;
    // The canary's error rate as a pipeline records it: over the failure limit.
    for ratio in ["2.4", "2.5", "2.6"] {
        gatehouse(&ws, &["record", "rollout.error_rate_ratio", ratio])?;
    }

    // The Loop view describes the Register and Deploy stages from MLflow.
    let panel = Panel::open(&ws)?;
    let s = panel.session();
    s.wait_until(
        "the deploy stage shows MLflow's aliases",
        "return (document.querySelector(\"[data-testid=stage][data-stage='deploy']\")?.textContent ?? '').includes('champion → 2');",
        WAIT,
    )?;
    assert!(
        stage_text(s, "register")?.contains("6 versions, latest 6"),
        "{}",
        stage_text(s, "register")?
    );
    assert!(stage_text(s, "deploy")?.contains("challenger → 5"));

    // The rollout gate analyses MLflow's champion, v2, as `gatehouse status` does.
    let (state, summary, row) = loop_gate(s, "rollout", "error rate")?;
    assert_eq!(
        (state.as_str(), summary.clone()),
        ("blocked", cli_gate(&ws, "rollout")?.1)
    );
    assert!(
        summary
            .starts_with("error rate of v2 met the failure condition `value > 2` in 3 of 3 checks"),
        "{summary}"
    );
    assert!(row.contains("rollout analysis of v2: failed"), "{row}");
    // The model-validation gate reads the candidate's and the champion's runs from MLflow.
    let (state, _, row) = loop_gate(s, "model-validation", "vs-champion")?;
    assert_eq!(state, cli_gate(&ws, "model-validation")?.0);
    assert_eq!(state, "passed");
    assert!(
        row.contains("candidate v6 auc 0.802 vs champion v2 (champion) 0.801"),
        "{row}"
    );
    panel.save_screenshot("loop-mlflow-gates.png")?;

    // The Registry view lists exactly what the REST API returns.
    go_to(s, "registry")?;
    s.wait_until("champion → 2", &pointer_shown("champion", "2"), WAIT)?;
    let truth = drawable(rt.block_on(rest.registry()));
    assert_eq!(truth.len(), 2);
    assert_eq!(registry_shown(s)?, truth);
    // The Stage column shows where a model uses stages, and only there.
    let stages = |model: &str| -> Result<Value> {
        s.click(&s.wait_for(
            &format!("[data-testid=model-tab][data-model='{model}']"),
            WAIT,
        )?)?;
        s.wait_for(&format!("[data-testid=model][data-model='{model}']"), WAIT)?;
        s.execute(
            "return [...document.querySelectorAll('[data-testid=version-row]')]
               .map(r => [r.dataset.version, r.querySelector('[data-testid=version-stage]')?.textContent ?? null]);",
            json!([]),
        )
    };
    assert_eq!(
        stages("fraud")?,
        json!([["3", "—"], ["2", "Staging"], ["1", "—"]])
    );
    panel.save_screenshot("registry-mlflow-stages.png")?;
    let churn = stages("churn")?;
    assert!(
        churn.as_array().unwrap().iter().all(|r| r[1].is_null()),
        "{churn}"
    );

    // An alias moved directly in MLflow shows after the refresh interval, with no action in
    // the panel.
    s.click(&s.wait_for("[data-testid=model-tab][data-model='churn']", WAIT)?)?;
    rt.block_on(rest.set_alias("churn", "champion", "4"));
    s.wait_until(
        "champion → 4 after MLflow changed",
        &pointer_shown("champion", "4"),
        Duration::from_secs(15),
    )?;
    assert_eq!(registry_shown(s)?, drawable(rt.block_on(rest.registry())));
    s.click(&s.wait_for("[data-testid=model-tab][data-model='churn']", WAIT)?)?;
    panel.save_screenshot("registry-mlflow-live.png")?;
    go_to(s, "loop")?;
    s.wait_until(
        "the deploy stage follows",
        "return (document.querySelector(\"[data-testid=stage][data-stage='deploy']\")?.textContent ?? '').includes('champion → 4');",
        Duration::from_secs(15),
    )?;
    // The rollout gate follows the alias to v4.
    s.wait_until(
        "the rollout gate analyses v4",
        "return !!document.querySelector(\"[data-testid=gate][data-gate='rollout'][data-state='blocked']\");",
        WAIT,
    )?;
    let (_, summary, _) = loop_gate(s, "rollout", "error rate")?;
    assert!(summary.starts_with("error rate of v4 "), "{summary}");
    panel.save_screenshot("loop-mlflow-live.png")?;

    // The Loop's watcher keeps the listing it reads, as the Registry view does, for a panel
    // opened later while MLflow is down.
    let kept = ws.join(gatehouse_store::LISTING_FILE);
    std::fs::remove_file(&kept)?;
    let start = Instant::now();
    while !kept.is_file() {
        anyhow::ensure!(start.elapsed() < WAIT, "the watcher never kept its listing");
        std::thread::sleep(Duration::from_millis(200));
    }

    // The server stops while the Loop view is open: its last good state stays on screen, marked
    // stale beside the reason.
    server.stop();
    let error = s.wait_for_text("[data-testid=error]", WAIT)?;
    assert!(
        error.contains("Stale — showing the last good state"),
        "{error:?}"
    );
    assert!(error.contains(&server.url), "{error:?}");
    assert!(stage_text(s, "deploy")?.contains("champion → 4"));
    panel.save_screenshot("loop-mlflow-stopped.png")?;

    // The Registry view shows the last registry it read, marked stale with its age, beside the
    // reason.
    go_to(s, "registry")?;
    let stale = s.wait_for_text("[data-testid=stale]", WAIT)?;
    assert!(stale.contains("Stale: showing what was read"), "{stale:?}");
    let error = s.wait_for_text("[data-testid=error]", WAIT)?;
    assert!(error.contains(&server.url), "{error:?}");
    s.click(&s.wait_for("[data-testid=model-tab][data-model='churn']", WAIT)?)?;
    s.wait_until("champion → 4", &pointer_shown("champion", "4"), WAIT)?;
    panel.save_screenshot("registry-mlflow-stopped.png")?;
    drop(panel);

    // Opened while MLflow is down, the panel shows the last listing it kept, with its age.
    let panel = Panel::open_until(&ws, "main[data-testid=loop-view]")?;
    let s = panel.session();
    go_to(s, "registry")?;
    let stale = s.wait_for_text("[data-testid=stale]", WAIT)?;
    assert!(stale.contains("Stale: showing what was read"), "{stale:?}");
    let error = s.wait_for_text("[data-testid=error]", WAIT)?;
    assert!(error.contains(&server.url), "{error:?}");
    s.click(&s.wait_for("[data-testid=model-tab][data-model='churn']", WAIT)?)?;
    s.wait_until("champion → 4", &pointer_shown("champion", "4"), WAIT)?;
    panel.save_screenshot("registry-mlflow-opened-down.png")?;
    Ok(())
}
