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
                f.pad(&self.0)
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

impl Reading {
    /// A reading from outside input, validated: a finite value, a non-empty model and a signal
    /// name of letters, digits, `.`, `_` and `-`.
    pub fn new(
        model: ModelName,
        signal: SignalName,
        value: f64,
        read_at: Timestamp,
        source: String,
        note: Option<String>,
    ) -> Result<Reading, crate::Error> {
        if !value.is_finite() {
            return Err(crate::Error::Invalid(format!(
                "the value of {signal} must be a finite number"
            )));
        }
        let valid_name = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        };
        if !valid_name(signal.as_str()) {
            return Err(crate::Error::Invalid(format!(
                "signal name `{signal}` may hold only letters, digits, `.`, `_` and `-`"
            )));
        }
        if model.as_str().trim().is_empty() {
            return Err(crate::Error::Invalid(
                "the model name must not be empty".into(),
            ));
        }
        Ok(Reading {
            model,
            signal,
            value,
            read_at,
            source,
            note,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_readings_are_validated() {
        let make = |signal: &str, value: f64| {
            Reading::new(
                ModelName::from("m"),
                SignalName::from(signal),
                value,
                Timestamp(0),
                "t".into(),
                None,
            )
        };
        assert!(make("data.missing_rate", 0.2).is_ok());
        assert!(make("data.missing_rate", f64::NAN).is_err());
        assert!(make("data.missing_rate", f64::INFINITY).is_err());
        assert!(make("", 1.0).is_err());
        assert!(make("rm -rf", 1.0).is_err());
    }
}
