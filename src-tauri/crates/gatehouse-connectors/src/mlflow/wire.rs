//! MLflow's JSON as it travels (`/api/2.0/mlflow/…`). MLflow omits empty fields (`tags`,
//! `aliases`, `description`, …), so every field has a default; what is really required (a model's
//! name, a version's number) is checked when these become domain types, in `super::convert`.
//! Numbers are read leniently: int64 fields may arrive as JSON strings and doubles as `"NaN"`.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A key/value tag of a model, version or run.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// An alias as `registered-models/search` and `get` list it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Alias {
    pub alias: String,
    pub version: String,
}

/// A registered model.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RegisteredModel {
    pub name: String,
    pub description: String,
    pub aliases: Vec<Alias>,
    pub tags: Vec<Tag>,
}

/// A model version.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ModelVersion {
    pub name: String,
    pub version: String,
    #[serde(deserialize_with = "lenient_i64")]
    pub creation_timestamp: i64,
    pub current_stage: String,
    pub description: String,
    pub source: String,
    pub run_id: String,
    pub status: String,
    pub tags: Vec<Tag>,
    pub aliases: Vec<String>,
}

/// `registered-models/search`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchModels {
    pub registered_models: Vec<RegisteredModel>,
    pub next_page_token: String,
}

/// `model-versions/search`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchVersions {
    pub model_versions: Vec<ModelVersion>,
    pub next_page_token: String,
}

/// `model-versions/get` and `registered-models/alias` (GET).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OneVersion {
    pub model_version: Option<ModelVersion>,
}

/// A metric's latest value in a run.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Metric {
    pub key: String,
    #[serde(deserialize_with = "lenient_f64")]
    pub value: f64,
}

/// A run parameter.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Param {
    pub key: String,
    pub value: String,
}

/// A run's identity.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RunInfo {
    pub run_id: String,
    pub run_uuid: String,
    pub experiment_id: String,
}

/// A run's data.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RunData {
    pub metrics: Vec<Metric>,
    pub params: Vec<Param>,
    pub tags: Vec<Tag>,
}

/// A run.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Run {
    pub info: RunInfo,
    pub data: RunData,
}

/// `runs/get`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OneRun {
    pub run: Option<Run>,
}

/// `runs/search`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchRuns {
    pub runs: Vec<Run>,
    pub next_page_token: String,
}

/// An experiment's identity.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Experiment {
    pub experiment_id: String,
}

/// `experiments/search`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchExperiments {
    pub experiments: Vec<Experiment>,
    pub next_page_token: String,
}

/// The JSON body of MLflow's own errors (router errors are text or HTML instead).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    pub error_code: String,
    pub message: String,
}

/// Any JSON object: for writes that answer `{}`.
#[derive(Debug, Default, Deserialize)]
pub struct Empty {}

fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .unwrap_or(0),
        Value::String(s) => s.trim().parse().unwrap_or(0),
        _ => 0,
    })
}

fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => match s.trim() {
            "Infinity" | "inf" => f64::INFINITY,
            "-Infinity" | "-inf" => f64::NEG_INFINITY,
            other => other.parse().unwrap_or(f64::NAN),
        },
        _ => f64::NAN,
    })
}
