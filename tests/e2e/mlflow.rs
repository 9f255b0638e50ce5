//! The panel on a workspace connected to a real MLflow server: the Registry view lists exactly
//! what MLflow's REST API returns, the Loop view describes its stages from it, both follow a
//! change made directly in MLflow after the policy's refresh interval, and a server that stops
//! leaves the last registry on screen marked stale.

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
"#;

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
    });

    let dir = tempfile::tempdir()?;
    let ws = dir.path().join("ws");
    std::fs::create_dir(&ws)?;
    std::fs::write(ws.join("gatehouse.toml"), POLICY)?;
    gatehouse(&ws, &["connect", "mlflow", &server.url])?;

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

    // The Registry view lists exactly what the REST API returns.
    go_to(s, "registry")?;
    s.wait_until("champion → 2", &pointer_shown("champion", "2"), WAIT)?;
    let truth = drawable(rt.block_on(rest.registry()));
    assert_eq!(truth.len(), 2);
    assert_eq!(registry_shown(s)?, truth);

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
    panel.save_screenshot("loop-mlflow-live.png")?;

    // The server stops while the Registry view is open: the last registry stays on screen,
    // marked stale with its age, beside the reason.
    go_to(s, "registry")?;
    s.wait_until("champion → 4", &pointer_shown("champion", "4"), WAIT)?;
    server.stop();
    let stale = s.wait_for_text("[data-testid=stale]", WAIT)?;
    assert!(stale.contains("Stale: showing what was read"), "{stale:?}");
    let error = s.wait_for_text("[data-testid=error]", WAIT)?;
    assert!(error.contains(&server.url), "{error:?}");
    assert_eq!(
        s.execute(&pointer_shown("champion", "4"), json!([]))?,
        json!(true)
    );
    panel.save_screenshot("registry-mlflow-stopped.png")?;
    Ok(())
}
