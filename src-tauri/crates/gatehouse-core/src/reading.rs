//! Readings: the measured values of signals (schema violations, AUC, approvals, error ratio, …)
//! that gate checks compare against their thresholds.

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// Declares a string newtype with the conversions every identifier needs.
macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_owned())
            }
        }
    };
}
pub(crate) use string_id;

string_id!(
    /// The name of a measured signal, such as `data.schema_violations` or `model.auc`.
    SignalName
);
string_id!(
    /// The name of a registered model, such as `churn`.
    ModelName
);

/// One measured value of a signal for a model, with where and when it was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Reading {
    /// The model the value belongs to.
    pub model: ModelName,
    /// What was measured.
    pub signal: SignalName,
    /// The measured value.
    pub value: f64,
    /// When it was measured.
    pub read_at: Timestamp,
    /// Where it came from (`embedded`, `mlflow`, `prometheus`, a batch id, …).
    pub source: String,
    /// Context for a person, such as which batch or column it concerns.
    pub note: Option<String>,
}
