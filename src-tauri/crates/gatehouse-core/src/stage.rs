//! The seven stages of the lifecycle loop and the edges between them.

use serde::{Deserialize, Serialize};

/// A stage of the lifecycle loop. The order of the variants is the order of the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Data arrives in batches and is checked before anyone trains on it.
    Data,
    /// A training run produces a candidate model.
    Train,
    /// The candidate is measured against thresholds and the current champion.
    Validate,
    /// The candidate becomes a version in the registry.
    Register,
    /// A registry pointer moves to the version and serving picks it up.
    Deploy,
    /// Live traffic, drift and quality are watched.
    Monitor,
    /// Drift or decay reopens the loop with a new training run.
    Retrain,
}

impl Stage {
    /// All stages in loop order.
    pub const ALL: [Stage; 7] = [
        Stage::Data,
        Stage::Train,
        Stage::Validate,
        Stage::Register,
        Stage::Deploy,
        Stage::Monitor,
        Stage::Retrain,
    ];

    /// The edges of the loop: each stage to the next, and retrain back to train.
    pub const EDGES: [(Stage, Stage); 7] = [
        (Stage::Data, Stage::Train),
        (Stage::Train, Stage::Validate),
        (Stage::Validate, Stage::Register),
        (Stage::Register, Stage::Deploy),
        (Stage::Deploy, Stage::Monitor),
        (Stage::Monitor, Stage::Retrain),
        (Stage::Retrain, Stage::Train),
    ];

    /// The identifier used in policy files and JSON.
    pub fn id(self) -> &'static str {
        match self {
            Stage::Data => "data",
            Stage::Train => "train",
            Stage::Validate => "validate",
            Stage::Register => "register",
            Stage::Deploy => "deploy",
            Stage::Monitor => "monitor",
            Stage::Retrain => "retrain",
        }
    }

    /// The stage with this identifier, if any.
    pub fn from_id(id: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.id() == id)
    }

    /// A capitalised name for people.
    pub fn title(self) -> &'static str {
        match self {
            Stage::Data => "Data",
            Stage::Train => "Train",
            Stage::Validate => "Validate",
            Stage::Register => "Register",
            Stage::Deploy => "Deploy",
            Stage::Monitor => "Monitor",
            Stage::Retrain => "Retrain",
        }
    }

    /// What the stage produces, in one sentence.
    pub fn produces(self) -> &'static str {
        match self {
            Stage::Data => "versioned batches of features and labels with a known schema",
            Stage::Train => "a reproducible run: code commit, data version, parameters, metrics",
            Stage::Validate => "evidence that the candidate beats thresholds and the champion",
            Stage::Register => "a registry version with lineage back to its run and data",
            Stage::Deploy => {
                "a pointer such as production moved to the version, with a rollback plan"
            }
            Stage::Monitor => "live latency, errors, drift and quality signals",
            Stage::Retrain => "a decision to train again, opened by drift or decay",
        }
    }

    /// Whether `from → to` is an edge of the loop.
    pub fn is_edge(from: Stage, to: Stage) -> bool {
        Stage::EDGES.contains(&(from, to))
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_follow_loop_order() {
        let ids: Vec<&str> = Stage::ALL.iter().map(|s| s.id()).collect();
        assert_eq!(
            ids,
            ["data", "train", "validate", "register", "deploy", "monitor", "retrain"]
        );
        for stage in Stage::ALL {
            assert_eq!(Stage::from_id(stage.id()), Some(stage));
        }
        assert_eq!(Stage::from_id("serve"), None);
    }

    #[test]
    fn the_loop_closes_from_retrain_to_train() {
        assert!(Stage::is_edge(Stage::Retrain, Stage::Train));
        assert!(!Stage::is_edge(Stage::Train, Stage::Data));
        assert!(!Stage::is_edge(Stage::Data, Stage::Validate));
        // Every stage after data has exactly one way in from the loop's previous stage.
        for pair in Stage::ALL.windows(2) {
            assert!(Stage::is_edge(pair[0], pair[1]));
        }
    }
}
