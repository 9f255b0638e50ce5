//! The loop diagram for documents and onboarding decks: the loop as [`crate::render_loop`] draws
//! it, with the owner of every stage and gate from the team's `gatehouse.toml`, and the workspace
//! and the date in its title. A blank export draws every gate neutral, so a deck made on a bad
//! morning does not show that morning's red gate for ever.

use gatehouse_core::policy::{Owner, Policy};
use gatehouse_core::stage::Stage;
use gatehouse_core::status::LoopStatus;
use gatehouse_core::time::civil::{civil_from_days, DAY_MS};
use gatehouse_core::time::Timestamp;

/// Whether an export shows the gates as they stand or none of their states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum States {
    /// Each gate in its state's colour, with the state written under it.
    Live,
    /// Every gate neutral, for onboarding material that must not date.
    Blank,
}

/// What an export writes beside the loop's geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopExport {
    /// The first line: the workspace and the model followed.
    pub title: String,
    /// The second line: where the owners come from, and the date.
    pub subtitle: String,
    /// The owner of each stage, in loop order.
    pub stage_owners: Vec<(Stage, Owner)>,
    /// Live states or a blank diagram.
    pub states: States,
}

impl LoopExport {
    /// The export of `status`, the loop of `policy`'s model.
    pub fn new(policy: &Policy, status: &LoopStatus, states: States) -> LoopExport {
        let subtitle = match states {
            States::Live => format!(
                "States as of {} · owners from gatehouse.toml",
                utc_minute(status.evaluated_at)
            ),
            States::Blank => format!(
                "Gates and owners from gatehouse.toml · {}",
                utc_date(status.evaluated_at)
            ),
        };
        LoopExport {
            title: format!("{} · the loop of model {}", status.workspace, status.model),
            subtitle,
            stage_owners: Stage::ALL
                .into_iter()
                .map(|stage| (stage, stage_owner(policy, stage)))
                .collect(),
            states,
        }
    }

    /// The owner of `stage`, as this export names it.
    pub(crate) fn owner_of(&self, stage: Stage) -> Option<&Owner> {
        self.stage_owners
            .iter()
            .find(|(s, _)| *s == stage)
            .map(|(_, owner)| owner)
    }
}

/// Who owns a stage. The policy names owners of gates and models, not of stages; a stage's work
/// is answered for by whoever owns the gate it must pass next (the data platform the data, the
/// release owner the deployment), and a stage whose work passes no gate of its own (training,
/// retraining) by the owner of the model. Without either, the model owner's role, unassigned.
pub fn stage_owner(policy: &Policy, stage: Stage) -> Owner {
    policy
        .gates
        .iter()
        .find(|gate| gate.from == stage)
        .map(|gate| policy.owner_of(gate))
        .or_else(|| {
            let key = policy.ownership.models.get(policy.model.as_str())?;
            policy.owners.get(key).cloned()
        })
        .unwrap_or_else(|| Owner::unassigned("model owner"))
}

/// `2026-11-27` (UTC).
fn utc_date(t: Timestamp) -> String {
    let (y, m, d) = civil_from_days(t.0.div_euclid(DAY_MS));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `2026-11-27 14:05 UTC`.
fn utc_minute(t: Timestamp) -> String {
    let ms = t.0.rem_euclid(DAY_MS);
    format!(
        "{} {:02}:{:02} UTC",
        utc_date(t),
        ms / 3_600_000,
        ms / 60_000 % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"
[workspace]
name = "Fraud team"
model = "fraud"

[owners.ingest]
name = "Ingest crew"

[owners.modellers]
name = "Fraud modellers"

[ownership.models]
fraud = "modellers"

[[gates]]
id = "data-quality"
owner = "ingest"
"#;

    #[test]
    fn a_stage_is_owned_by_the_owner_of_the_gate_it_passes_next_else_by_the_model_s_owner() {
        let policy = Policy::parse(POLICY, "gatehouse.toml").unwrap();
        assert_eq!(stage_owner(&policy, Stage::Data).name, "Ingest crew");
        assert_eq!(stage_owner(&policy, Stage::Train).name, "Fraud modellers");
        assert_eq!(stage_owner(&policy, Stage::Retrain).name, "Fraud modellers");
        // The policy names no owner for the promotion gate: its role stands in, unassigned.
        let register = stage_owner(&policy, Stage::Register);
        assert!(!register.assigned);
        assert_eq!(register.name, "approvers (unassigned)");

        let bare = Policy::parse("[workspace]\nname = \"t\"\nmodel = \"m\"\n", "x").unwrap();
        assert_eq!(
            stage_owner(&bare, Stage::Train).name,
            "model owner (unassigned)"
        );
    }

    #[test]
    fn dates_are_written_in_utc() {
        assert_eq!(utc_date(Timestamp(0)), "1970-01-01");
        // 2026-11-27T04:05:59.999Z
        assert_eq!(
            utc_minute(Timestamp(1_795_752_359_999)),
            "2026-11-27 04:05 UTC"
        );
        assert_eq!(utc_date(Timestamp(951_782_400_000)), "2000-02-29");
        assert_eq!(utc_date(Timestamp(-1)), "1969-12-31");
    }
}
