//! The drift methods, Evidently 0.7's default choice among them, their default thresholds and
//! the direction in which each decides "drifted".

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::column::Kind;

/// Reference samples up to this size get statistical tests by default; larger ones get distances.
pub const SMALL_REFERENCE_MAX: usize = 1000;

/// A drift method. Names as on the command line (`--method`) and in the JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Two-sample Kolmogorov–Smirnov test (numerical only); drift when `p <= threshold`.
    Ks,
    /// Chi-square goodness of fit of current counts against reference proportions; drift when
    /// `p < threshold`.
    ChiSquare,
    /// Two-proportion Z-test; drift when `p < threshold`.
    Z,
    /// Wasserstein-1 distance divided by the reference standard deviation (numerical only); drift
    /// when `value >= threshold`.
    Wasserstein,
    /// Jensen–Shannon distance (natural log); drift when `value >= threshold`.
    JensenShannon,
    /// Population stability index; drift when `value >= threshold`.
    Psi,
    /// Kullback–Leibler divergence of reference from current; drift when `value >= threshold`.
    Kl,
    /// Hellinger distance; drift when `value >= threshold`.
    Hellinger,
}

/// All methods, in a stable order.
pub const ALL_METHODS: [Method; 8] = [
    Method::Ks,
    Method::ChiSquare,
    Method::Z,
    Method::Wasserstein,
    Method::JensenShannon,
    Method::Psi,
    Method::Kl,
    Method::Hellinger,
];

impl Method {
    /// The name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Ks => "ks",
            Method::ChiSquare => "chisquare",
            Method::Z => "z",
            Method::Wasserstein => "wasserstein",
            Method::JensenShannon => "jensenshannon",
            Method::Psi => "psi",
            Method::Kl => "kl",
            Method::Hellinger => "hellinger",
        }
    }

    /// Evidently's default threshold: 0.05 for the tests, 0.1 for the distances.
    pub fn default_threshold(self) -> f64 {
        match self {
            Method::Ks | Method::ChiSquare | Method::Z => 0.05,
            Method::Wasserstein
            | Method::JensenShannon
            | Method::Psi
            | Method::Kl
            | Method::Hellinger => 0.1,
        }
    }

    /// Whether the method yields a p-value (a test) rather than a distance.
    pub fn is_test(self) -> bool {
        match self {
            Method::Ks | Method::ChiSquare | Method::Z => true,
            Method::Wasserstein
            | Method::JensenShannon
            | Method::Psi
            | Method::Kl
            | Method::Hellinger => false,
        }
    }

    /// Whether the method can run on a column of this kind. KS and Wasserstein need ordered
    /// values; every other method treats values as categories and runs on both kinds (Evidently
    /// itself applies chi-square and Z to numerical columns with few distinct values).
    pub fn applies_to(self, kind: Kind) -> bool {
        match (self, kind) {
            (Method::Ks | Method::Wasserstein, Kind::Categorical) => false,
            (Method::Ks | Method::Wasserstein, Kind::Numerical) => true,
            (
                Method::ChiSquare
                | Method::Z
                | Method::JensenShannon
                | Method::Psi
                | Method::Kl
                | Method::Hellinger,
                Kind::Numerical | Kind::Categorical,
            ) => true,
        }
    }

    /// Evidently's decision: `p <= t` for KS, `p < t` for chi-square and Z, `value >= t` for the
    /// distances. `score` is the p-value for tests and the distance otherwise.
    pub fn is_drift(self, score: f64, threshold: f64) -> bool {
        match self {
            Method::Ks => score <= threshold,
            Method::ChiSquare | Method::Z => score < threshold,
            Method::Wasserstein
            | Method::JensenShannon
            | Method::Psi
            | Method::Kl
            | Method::Hellinger => score >= threshold,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown method name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMethod(pub String);

impl fmt::Display for UnknownMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown drift method {:?} (expected one of ks, chisquare, z, wasserstein, jensenshannon, psi, kl, hellinger)", self.0)
    }
}

impl std::error::Error for UnknownMethod {}

impl FromStr for Method {
    type Err = UnknownMethod;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL_METHODS
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownMethod(s.to_string()))
    }
}

/// The method Evidently 0.7 picks when none is configured (`_get_default_stattest`).
///
/// `reference_len` is the reference size after cleaning; `n_unique` the number of distinct values
/// of reference and current pooled, after cleaning.
///
/// | reference rows | kind        | distinct values | method         |
/// |----------------|-------------|-----------------|----------------|
/// | ≤ 1000         | numerical   | ≤ 2             | Z              |
/// | ≤ 1000         | numerical   | 3–5             | chi-square     |
/// | ≤ 1000         | numerical   | > 5             | KS             |
/// | ≤ 1000         | categorical | ≤ 2             | Z              |
/// | ≤ 1000         | categorical | > 2             | chi-square     |
/// | > 1000         | numerical   | ≤ 5             | Jensen–Shannon |
/// | > 1000         | numerical   | > 5             | Wasserstein    |
/// | > 1000         | categorical | any             | Jensen–Shannon |
pub fn default_method(kind: Kind, reference_len: usize, n_unique: usize) -> Method {
    let small = reference_len <= SMALL_REFERENCE_MAX;
    match (kind, small) {
        (Kind::Numerical, true) if n_unique <= 2 => Method::Z,
        (Kind::Numerical, true) if n_unique <= 5 => Method::ChiSquare,
        (Kind::Numerical, true) => Method::Ks,
        (Kind::Categorical, true) if n_unique <= 2 => Method::Z,
        (Kind::Categorical, true) => Method::ChiSquare,
        (Kind::Numerical, false) if n_unique <= 5 => Method::JensenShannon,
        (Kind::Numerical, false) => Method::Wasserstein,
        (Kind::Categorical, false) => Method::JensenShannon,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_evidently() {
        let cases = [
            (Kind::Numerical, 1000, 6, Method::Ks),
            (Kind::Numerical, 1001, 6, Method::Wasserstein),
            (Kind::Numerical, 1000, 5, Method::ChiSquare),
            (Kind::Numerical, 10, 3, Method::ChiSquare),
            (Kind::Numerical, 10, 2, Method::Z),
            (Kind::Numerical, 10, 1, Method::Z),
            (Kind::Numerical, 5000, 5, Method::JensenShannon),
            (Kind::Categorical, 1000, 3, Method::ChiSquare),
            (Kind::Categorical, 1000, 2, Method::Z),
            (Kind::Categorical, 1001, 2, Method::JensenShannon),
            (Kind::Categorical, 1001, 50, Method::JensenShannon),
        ];
        for (kind, n, u, want) in cases {
            assert_eq!(default_method(kind, n, u), want, "{kind} {n} {u}");
        }
    }

    #[test]
    fn names_round_trip() {
        for m in ALL_METHODS {
            assert_eq!(m.as_str().parse::<Method>(), Ok(m));
            assert_eq!(
                serde_json::to_string(&m).unwrap(),
                format!("\"{}\"", m.as_str())
            );
        }
        assert!("kolmogorov".parse::<Method>().is_err());
    }

    #[test]
    fn decisions_at_the_threshold() {
        assert!(Method::Ks.is_drift(0.05, 0.05));
        assert!(!Method::ChiSquare.is_drift(0.05, 0.05));
        assert!(!Method::Z.is_drift(0.05, 0.05));
        assert!(Method::Psi.is_drift(0.1, 0.1));
        assert!(!Method::Hellinger.is_drift(0.099, 0.1));
    }
}
