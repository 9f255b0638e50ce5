//! Responses to incidents that move no pointer: quarantining a data batch that broke its
//! contract, and asking a model's owner to retrain it. Each is role-checked, needs a reason, and
//! is recorded in the audit log, which is the record pipelines and people read it from (`gatehouse
//! audit`); a refusal is recorded too, like every refusal of [`crate::promotion::Desk`].

use crate::access::{authorize, Permission};
use crate::audit::{AuditAction, AuditDraft, AuditEvent};
use crate::error::Error;
use crate::policy::{OwnerId, Policy, UserName};
use crate::ports::{PromotionStore, WorkspaceRead};
use crate::reading::ModelName;
use crate::time::Timestamp;

/// The prefix of a reading's `source` that names the data batch it measured.
pub const BATCH_SOURCE: &str = "batch:";

/// The longest reason accepted, as for promotions.
const MAX_REASON: usize = 2000;

/// Where incident responses run: the policy, the acting user, the time and the store.
pub struct Responder<'a, S> {
    /// The workspace policy.
    pub policy: &'a Policy,
    /// Who acts.
    pub actor: UserName,
    /// Now.
    pub now: Timestamp,
    /// The audit log and the workspace's readings.
    pub store: &'a S,
}

impl<S> Responder<'_, S>
where
    S: PromotionStore + WorkspaceRead + Sync,
{
    fn draft(&self, action: AuditAction, target: String) -> AuditDraft {
        AuditDraft::new(self.now, self.actor.clone(), action, target)
    }

    async fn require(&self, target: &str) -> Result<(), Error> {
        let Err(why) = authorize(self.policy, &self.actor, Permission::Respond) else {
            return Ok(());
        };
        let draft = AuditDraft {
            reason: Some(why.clone()),
            ..self.draft(AuditAction::Denied, target.to_owned())
        };
        self.store.append_audit(draft).await?;
        Err(Error::Denied(why))
    }

    /// Quarantines `batch` of the policy's model: one whose readings the gates read now (a
    /// reading's source `batch:<id>`), so that a typo cannot quarantine a batch nobody measured.
    /// The audit event holds the signals that batch measured out of bounds, as the evidence.
    pub async fn quarantine_batch(&self, batch: &str, reason: &str) -> Result<AuditEvent, Error> {
        let batch = batch.trim();
        let target = format!("{BATCH_SOURCE}{batch}");
        self.require(&target).await?;
        let reason = reason_text(reason, "a quarantine")?;
        let readings = self.store.latest_readings(&self.policy.model).await?;
        let from_batch: Vec<_> = readings.values().filter(|r| r.source == target).collect();
        if batch.is_empty() || from_batch.is_empty() {
            let mut known: Vec<&str> = readings
                .values()
                .filter_map(|r| r.source.strip_prefix(BATCH_SOURCE))
                .collect();
            known.sort_unstable();
            known.dedup();
            return Err(Error::NotFound(format!(
                "no current reading of {} comes from batch `{batch}` (current batches: {})",
                self.policy.model,
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            )));
        }
        let failing: Vec<String> = self
            .policy
            .gates
            .iter()
            .flat_map(|g| &g.checks)
            .filter_map(|c| {
                let r = from_batch.iter().find(|r| r.signal == c.signal)?;
                (!c.holds(r.value)).then(|| format!("{} = {}", c.signal, r.value))
            })
            .collect();
        let draft = AuditDraft {
            before: Some(if failing.is_empty() {
                "no check fails on it".into()
            } else {
                failing.join(", ")
            }),
            after: Some("quarantined".into()),
            reason: Some(reason),
            ..self.draft(AuditAction::Quarantined, target)
        };
        self.store.append_audit(draft).await
    }

    /// Asks `owner` (a key of the policy's owners) to retrain `model`. The event names the owner
    /// the policy gives the model, so a review sees whether the right people were called.
    pub async fn request_retraining(
        &self,
        model: &ModelName,
        owner: &OwnerId,
        reason: &str,
    ) -> Result<AuditEvent, Error> {
        let target = model.to_string();
        self.require(&target).await?;
        let reason = reason_text(reason, "a retraining request")?;
        if model.as_str().trim().is_empty() {
            return Err(Error::Invalid("name the model to retrain".into()));
        }
        if !self.policy.owners.contains_key(owner) {
            let known: Vec<&str> = self.policy.owners.keys().map(OwnerId::as_str).collect();
            return Err(Error::NotFound(format!(
                "the policy has no owner `{owner}` (owners: {})",
                known.join(", ")
            )));
        }
        let draft = AuditDraft {
            before: self
                .policy
                .ownership
                .models
                .get(model.as_str())
                .map(|o| format!("model owner: {o}")),
            after: Some(owner.to_string()),
            reason: Some(reason),
            ..self.draft(AuditAction::RetrainRequested, target)
        };
        self.store.append_audit(draft).await
    }
}

fn reason_text(reason: &str, what: &str) -> Result<String, Error> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Invalid(format!("{what} needs a reason")));
    }
    if reason.chars().count() > MAX_REASON {
        return Err(Error::Invalid(format!(
            "the reason is longer than {MAX_REASON} characters"
        )));
    }
    Ok(reason.to_owned())
}
