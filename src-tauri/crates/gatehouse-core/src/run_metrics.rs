//! MLflow run metrics as readings of the model-validation gate. The gate compares the candidate
//! version with the champion, and MLflow holds both versions' source runs; rather than a gate of
//! its own, the registry feeds the same readings a pipeline would record. The policy maps gate
//! signals to run metrics:
//!
//! ```toml
//! [backends.registry.metrics]
//! "model.auc" = "roc_auc"
//! ```
//!
//! gives `model.auc`, the candidate's `roc_auc`, and `model.auc_delta_vs_champion`, the
//! candidate's minus the champion's. The candidate is the model's newest version; the champion is
//! the version the production pointer points at.

use std::collections::BTreeMap;

use toml::Spanned;

use crate::gate::{fmt_num, LatestReadings};
use crate::policy::{Backend, BackendKind, GateSpec, Policy};
use crate::reading::{Reading, SignalName};
use crate::registry::{Model, ModelVersion};
use crate::rollout_view::version_label;
use crate::time::Timestamp;

/// What a mapped signal's name gets for the candidate's difference from the champion.
pub const DELTA_SUFFIX: &str = "_delta_vs_champion";

/// Checks `[backends.registry.metrics]`: an MLflow registry, signal names some gate reads
/// (itself or its delta against the champion), and run metric keys MLflow could hold.
pub(crate) fn validate(
    table: Spanned<BTreeMap<String, String>>,
    registry: &Backend,
    gates: &[GateSpec],
) -> Result<BTreeMap<SignalName, String>, (usize, String)> {
    let line = table.span().start;
    if registry.kind != BackendKind::Mlflow {
        return Err((
            line,
            "`backends.registry.metrics` is only for an mlflow registry".into(),
        ));
    }
    let read = |signal: &str| {
        gates
            .iter()
            .flat_map(|g| &g.checks)
            .any(|c| c.signal.as_str() == signal)
    };
    let mut map = BTreeMap::new();
    for (signal, key) in table.into_inner() {
        if !read(&signal) && !read(&format!("{signal}{DELTA_SUFFIX}")) {
            return Err((
                line,
                format!("`backends.registry.metrics` maps `{signal}`, which no gate's check reads (nor `{signal}{DELTA_SUFFIX}`)"),
            ));
        }
        let valid = !key.trim().is_empty()
            && key.len() <= 250
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-. /:".contains(c));
        if !valid {
            return Err((
                line,
                format!("`backends.registry.metrics.\"{signal}\"` must be an MLflow metric key (letters, digits, `_`, `-`, `.`, ` `, `/`, `:`)"),
            ));
        }
        map.insert(SignalName::from(signal.as_str()), key);
    }
    Ok(map)
}

/// The readings the registry's runs give the policy's gates at `now`: per mapped signal the
/// candidate's value and, where the champion's run has the metric too, the difference. Nothing
/// when the model has no versions or the policy maps nothing.
pub fn readings(policy: &Policy, models: &[Model], now: Timestamp) -> Vec<Reading> {
    let Some(model) = models.iter().find(|m| m.name == policy.model) else {
        return Vec::new();
    };
    let Some(candidate) = newest(&model.versions) else {
        return Vec::new();
    };
    let champion = model
        .pointers
        .get(&policy.promotion.production_pointer)
        .and_then(|v| model.versions.iter().find(|x| &x.version == v));
    let mut out = Vec::new();
    for (signal, key) in &policy.run_metrics {
        let Some(value) = candidate
            .metrics
            .get(key)
            .copied()
            .filter(|v| v.is_finite())
        else {
            continue;
        };
        let of = |v: &ModelVersion| format!("{} (run {})", version_label(&v.version), v.run_id);
        out.push(Reading {
            model: model.name.clone(),
            signal: signal.clone(),
            value,
            read_at: now,
            source: format!("mlflow: {key} of {}", of(candidate)),
            note: Some(format!(
                "candidate {} {key} {}",
                version_label(&candidate.version),
                fmt_num(value)
            )),
        });
        let Some((champion, was)) = champion.and_then(|c| {
            c.metrics
                .get(key)
                .copied()
                .filter(|v| v.is_finite())
                .map(|was| (c, was))
        }) else {
            continue;
        };
        out.push(Reading {
            model: model.name.clone(),
            signal: SignalName::from(format!("{signal}{DELTA_SUFFIX}").as_str()),
            value: value - was,
            read_at: now,
            source: format!(
                "mlflow: {key} of {} against champion {}",
                of(candidate),
                of(champion)
            ),
            note: Some(format!(
                "candidate {} {key} {} vs champion {} ({}) {}",
                version_label(&candidate.version),
                fmt_num(value),
                version_label(&champion.version),
                policy.promotion.production_pointer,
                fmt_num(was)
            )),
        });
    }
    out
}

/// The readings that say something new: a value or a source the latest reading of their signal
/// does not already hold. Recording only these keeps the history one row per change.
pub fn news(readings: Vec<Reading>, latest: &LatestReadings) -> Vec<Reading> {
    readings
        .into_iter()
        .filter(|r| {
            latest
                .get(&r.signal)
                .is_none_or(|l| l.value != r.value || l.source != r.source)
        })
        .collect()
}

/// The newest version: the latest registered, the higher number on a tie.
fn newest(versions: &[ModelVersion]) -> Option<&ModelVersion> {
    versions
        .iter()
        .max_by_key(|v| (v.created_at, v.version.as_str().parse::<u64>().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::ModelName;
    use crate::registry::{PointerName, VersionId};

    const POLICY: &str = r#"[workspace]
name = "runs"
model = "churn"

[backends.registry]
kind = "mlflow"
url = "http://127.0.0.1:5000"

[backends.registry.metrics]
"model.auc" = "roc_auc"

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
"#;

    fn version(v: &str, at: i64, auc: Option<f64>) -> ModelVersion {
        ModelVersion {
            version: VersionId::from(v),
            run_id: format!("run{v}"),
            created_at: Timestamp(at),
            metrics: auc.map(|a| ("roc_auc".to_owned(), a)).into_iter().collect(),
            tags: BTreeMap::new(),
            data_version: None,
            code_commit: None,
        }
    }

    fn churn(champion: &str, versions: Vec<ModelVersion>) -> Model {
        Model {
            name: ModelName::from("churn"),
            description: String::new(),
            pointers: [(PointerName::from("champion"), VersionId::from(champion))].into(),
            versions,
        }
    }

    #[test]
    fn the_candidate_is_read_against_the_champion() {
        let policy = Policy::parse(POLICY, "gatehouse.toml").unwrap();
        let model = churn(
            "2",
            vec![
                version("1", 1, Some(0.80)),
                version("2", 2, Some(0.84)),
                version("3", 3, Some(0.83)),
            ],
        );
        let got = readings(&policy, &[model], Timestamp(9));
        let values: Vec<(&str, f64)> = got.iter().map(|r| (r.signal.as_str(), r.value)).collect();
        assert_eq!(values.len(), 2);
        assert_eq!(values[0], ("model.auc", 0.83));
        assert_eq!(values[1].0, "model.auc_delta_vs_champion");
        assert!((values[1].1 - (0.83 - 0.84)).abs() < 1e-12);
        assert_eq!(got[0].source, "mlflow: roc_auc of v3 (run run3)");
        assert_eq!(
            got[1].note.as_deref(),
            Some("candidate v3 roc_auc 0.83 vs champion v2 (champion) 0.84")
        );
        // Unchanged readings are not news; a moved champion is.
        let latest: LatestReadings = got.iter().map(|r| (r.signal.clone(), r.clone())).collect();
        assert!(news(got, &latest).is_empty());
        let moved = churn(
            "1",
            vec![
                version("1", 1, Some(0.80)),
                version("2", 2, Some(0.84)),
                version("3", 3, Some(0.83)),
            ],
        );
        let again = news(readings(&policy, &[moved], Timestamp(10)), &latest);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].signal.as_str(), "model.auc_delta_vs_champion");
    }

    #[test]
    fn a_run_without_the_metric_gives_no_reading() {
        let policy = Policy::parse(POLICY, "gatehouse.toml").unwrap();
        let model = churn("1", vec![version("1", 1, Some(0.8)), version("2", 2, None)]);
        assert!(readings(&policy, &[model], Timestamp(9)).is_empty());
        let model = churn("9", vec![version("1", 1, Some(0.8))]);
        let got = readings(&policy, &[model], Timestamp(9));
        assert_eq!(got.len(), 1, "no champion, no delta");
    }

    #[test]
    fn the_map_is_checked_with_its_line() {
        let error = |text: String| Policy::parse(&text, "gatehouse.toml").unwrap_err();
        let e = error(POLICY.replace("\"model.auc\" = ", "\"model.auk\" = "));
        assert_eq!(e.line, 9, "the table's header");
        assert!(
            e.message
                .contains("maps `model.auk`, which no gate's check reads"),
            "{}",
            e.message
        );
        let e = error(POLICY.replace("\"roc_auc\"", "\"roc\\nauc\""));
        assert!(
            e.message.contains("must be an MLflow metric key"),
            "{}",
            e.message
        );
        let e = error(POLICY.replace(
            "kind = \"mlflow\"\nurl = \"http://127.0.0.1:5000\"",
            "kind = \"embedded\"",
        ));
        assert!(
            e.message.contains("only for an mlflow registry"),
            "{}",
            e.message
        );
        let e = error(format!("{POLICY}\n[backends.metrics]\nkind = \"prometheus\"\nurl = \"http://p:9090\"\nmetrics = {{ a = \"b\" }}\n"));
        assert!(
            e.message
                .contains("`backends.metrics.metrics` is only for an mlflow registry"),
            "{}",
            e.message
        );
    }
}
