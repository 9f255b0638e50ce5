//! Promotions and rollbacks: requests to move a registry pointer (`churn@production → 5`), their
//! approvals under the four-eyes rule, and their crash-safe execution.
//!
//! A request lives `requested → approved | rejected → executing → done | failed`. Execution is
//! written down before the registry is called (the request enters `executing`, which is the
//! intent) and settled after; [`Desk::reconcile`] settles intents that a crash left behind by
//! asking the registry where the pointer stands, so a move is never repeated blindly and never
//! forgotten. Every change and its audit event are written in one transaction by the store.

use serde::{Deserialize, Serialize};

use crate::access::{authorize, Permission};
use crate::audit::{AuditAction, AuditDraft};
use crate::error::Error;
use crate::gate::{GateState, GateStatus};
use crate::hook::{subscribed, HookDelivery, HookEvent, HookPayload, HookSink};
use crate::policy::{Policy, UserName};
use crate::ports::{PromotionStore, Registry, WorkspaceRead};
use crate::reading::{ModelName, Reading, SignalName};
use crate::registry::{PointerName, VersionId};
use crate::stage::Stage;
use crate::status::loop_status;
use crate::time::Timestamp;

/// A request's number in its workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct RequestId(#[cfg_attr(feature = "bindings", ts(type = "number"))] pub i64);

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Whether a request promotes a new version or rolls back to an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Needs approvals and passing gates.
    Promotion,
    /// The escape hatch: one authorised person, no gates.
    Rollback,
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Waiting for approvals.
    Requested,
    /// Approved, not yet executed (gates may hold it).
    Approved,
    /// Rejected by an approver.
    Rejected,
    /// The registry is being called; the intent is on record.
    Executing,
    /// The pointer moved.
    Done,
    /// Execution failed or was refused; the pointer did not move.
    Failed,
}

impl RequestState {
    /// The identifier used in storage and JSON.
    pub fn id(self) -> &'static str {
        match self {
            RequestState::Requested => "requested",
            RequestState::Approved => "approved",
            RequestState::Rejected => "rejected",
            RequestState::Executing => "executing",
            RequestState::Done => "done",
            RequestState::Failed => "failed",
        }
    }

    /// The state with this identifier.
    pub fn from_id(id: &str) -> Option<RequestState> {
        [
            RequestState::Requested,
            RequestState::Approved,
            RequestState::Rejected,
            RequestState::Executing,
            RequestState::Done,
            RequestState::Failed,
        ]
        .into_iter()
        .find(|s| s.id() == id)
    }
}

/// One approval of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Approval {
    /// Who approved.
    pub by: UserName,
    /// When.
    pub at: Timestamp,
    /// Why, if they said.
    pub reason: Option<String>,
}

/// A person's decision with a reason: a rejection or a gate override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Decision {
    /// Who decided.
    pub by: UserName,
    /// When.
    pub at: Timestamp,
    /// Why.
    pub reason: String,
}

/// A request to move a pointer, with its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct PromotionRequest {
    /// Its number.
    pub id: RequestId,
    /// Promotion or rollback.
    pub kind: RequestKind,
    /// The model.
    pub model: ModelName,
    /// The version the pointer is to point to.
    pub version: VersionId,
    /// The pointer to move.
    pub pointer: PointerName,
    /// Where the pointer stood when the request was made; execution refuses if it moved since.
    pub from_version: Option<VersionId>,
    /// Why, in the requester's words.
    pub reason: String,
    /// Who asked.
    pub requester: UserName,
    /// When.
    pub requested_at: Timestamp,
    /// Where it stands.
    pub state: RequestState,
    /// How many distinct approvals it needs.
    pub required_approvals: u32,
    /// The approvals so far, in order.
    pub approvals: Vec<Approval>,
    /// The gates that guard it, as they stood when it was requested.
    pub gates: Vec<GateStatus>,
    /// The rejection, if rejected.
    pub rejection: Option<Decision>,
    /// An admin's override of blocking gates, if any.
    pub gate_override: Option<Decision>,
    /// What happened when it was executed (the back end's answer, or why it failed).
    pub outcome: Option<String>,
}

impl PromotionRequest {
    /// `model@pointer`, as the audit log names the target.
    pub fn target(&self) -> String {
        target(&self.model, &self.pointer)
    }
}

fn target(model: &ModelName, pointer: &PointerName) -> String {
    format!("{model}@{pointer}")
}

/// What a store needs to create a request.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRequest {
    /// Promotion or rollback.
    pub kind: RequestKind,
    /// The model.
    pub model: ModelName,
    /// The version to point to.
    pub version: VersionId,
    /// The pointer.
    pub pointer: PointerName,
    /// Where the pointer stands now.
    pub from_version: Option<VersionId>,
    /// Why.
    pub reason: String,
    /// Who asks.
    pub requester: UserName,
    /// When.
    pub requested_at: Timestamp,
    /// The state it starts in (rollbacks start approved).
    pub state: RequestState,
    /// Approvals needed.
    pub required_approvals: u32,
    /// The guarding gates now.
    pub gates: Vec<GateStatus>,
}

/// A change of state, written with its audit event in one transaction, only if the request is
/// still in the state the caller saw (compare-and-swap).
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The state the caller saw.
    pub from: RequestState,
    /// The state to enter.
    pub to: RequestState,
    /// The outcome to record, if any.
    pub outcome: Option<String>,
    /// A rejection to record, if any.
    pub rejection: Option<Decision>,
}

/// The points of an execution, for fault injection in tests and drills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The intent is on record; the registry has not been called.
    IntentRecorded,
    /// The registry moved the pointer; the outcome is not yet on record.
    PointerMoved,
}

/// Told when an execution reaches a [`Phase`].
pub trait Observer: Sync {
    /// Called at each phase.
    fn reached(&self, phase: Phase);
}

/// An observer that does nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Observer for Quiet {
    fn reached(&self, _: Phase) {}
}

/// The gates a promotion must pass: those that guard entry into the register stage (the
/// model-validation gate and any the policy adds beside it).
pub fn guards_promotion(gate: &GateStatus) -> bool {
    gate.to == Stage::Register
}

/// Whether a guarding gate lets a promotion through.
fn lets_through(gate: &GateStatus) -> bool {
    match gate.state {
        GateState::Passed | GateState::Overridden => true,
        GateState::Blocked | GateState::Pending | GateState::Unknown => false,
    }
}

/// The signals the promotion gate reads, recomputed from the requests after every change.
pub const MISSING_APPROVALS: &str = "promotion.missing_approvals";
/// Approved requests that their gates hold back.
pub const BLOCKED_REQUESTS: &str = "promotion.blocked_requests";

const MAX_REASON: usize = 2000;

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

fn optional_reason(reason: Option<&str>) -> Result<Option<String>, Error> {
    match reason.map(str::trim) {
        None | Some("") => Ok(None),
        Some(r) => reason_text(r, "an approval").map(Some),
    }
}

/// The result of checking a candidate against the gates that guard promotion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct GateCheck {
    /// The model.
    pub model: ModelName,
    /// The candidate.
    pub version: VersionId,
    /// Whether any guarding gate holds it back.
    pub blocked: bool,
    /// The guarding gates.
    pub gates: Vec<GateStatus>,
}

/// What a rollback would do, shown before anyone confirms it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct RollbackPlan {
    /// The model.
    pub model: ModelName,
    /// The pointer.
    pub pointer: PointerName,
    /// Where it points now.
    pub from: VersionId,
    /// Where it would point.
    pub to: VersionId,
}

/// A request as the acting user sees it: may they approve or reject it, and if not, why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct RequestView {
    /// The request.
    pub request: PromotionRequest,
    /// Whether the acting user may approve it now.
    pub can_approve: bool,
    /// Why not, when they may not (a missing role, the four-eyes rule, already approved, …).
    pub cannot_approve_because: Option<String>,
    /// The deploy hooks called after it moved its pointer, as the audit log records them.
    pub hooks: Vec<HookDelivery>,
}

/// Whether `actor` may approve `request` now, and if not, why: the same rules [`Desk::approve`]
/// enforces, asked without acting.
pub fn approval_hint(
    policy: &Policy,
    actor: &UserName,
    request: &PromotionRequest,
) -> Option<String> {
    if let Err(why) = authorize(policy, actor, Permission::Decide) {
        return Some(why);
    }
    if request.kind != RequestKind::Promotion {
        return Some("rollbacks take no approvals".into());
    }
    if request.state != RequestState::Requested {
        return Some(format!(
            "it is {} and takes no more approvals",
            request.state.id()
        ));
    }
    if request.requester == *actor {
        return Some(format!(
            "four-eyes rule: you requested {} and may not approve it; another approver must",
            request.id
        ));
    }
    if request.approvals.iter().any(|a| a.by == *actor) {
        return Some("you have already approved it".into());
    }
    None
}

/// Where promotion use-cases run: the policy, the acting user, the time, and the ports.
pub struct Desk<'a, S, R> {
    /// The workspace policy.
    pub policy: &'a Policy,
    /// Who acts.
    pub actor: UserName,
    /// Now.
    pub now: Timestamp,
    /// Requests, audit log, readings and workspace state.
    pub store: &'a S,
    /// The registry whose pointers move.
    pub registry: &'a R,
    /// Told at each phase of an execution.
    pub observer: &'a dyn Observer,
    /// Calls the policy's deploy hooks after a pointer moved.
    pub hooks: &'a dyn HookSink,
}

impl<S, R> Desk<'_, S, R>
where
    S: PromotionStore + WorkspaceRead + Sync,
    R: Registry + Sync,
{
    fn draft(&self, action: AuditAction, target: String) -> AuditDraft {
        AuditDraft::new(self.now, self.actor.clone(), action, target)
    }

    /// Refuses an action: records the refusal in the audit log, then returns the error.
    async fn deny(&self, target: String, request: Option<RequestId>, why: String) -> Error {
        let draft = AuditDraft {
            reason: Some(why.clone()),
            request,
            ..self.draft(AuditAction::Denied, target)
        };
        match self.store.append_audit(draft).await {
            Ok(_) => Error::Denied(why),
            Err(e) => e,
        }
    }

    async fn require(
        &self,
        permission: Permission,
        target: String,
        request: Option<RequestId>,
    ) -> Result<(), Error> {
        match authorize(self.policy, &self.actor, permission) {
            Ok(()) => Ok(()),
            Err(why) => Err(self.deny(target, request, why).await),
        }
    }

    async fn load(&self, id: RequestId) -> Result<PromotionRequest, Error> {
        self.store
            .request(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no request {id}")))
    }

    async fn require_version(&self, model: &ModelName, version: &VersionId) -> Result<(), Error> {
        if self.registry.version_exists(model, version).await? {
            Ok(())
        } else {
            Err(Error::NotFound(format!("{model} has no version {version}")))
        }
    }

    async fn guarding_gates(&self, model: &ModelName) -> Result<Vec<GateStatus>, Error> {
        let mut policy = self.policy.clone();
        policy.model = model.clone();
        let status = loop_status(&policy, self.store, self.now).await?;
        Ok(status.gates.into_iter().filter(guards_promotion).collect())
    }

    /// Evaluates the gates that guard promotion for a candidate version.
    pub async fn gate_check(
        &self,
        model: &ModelName,
        version: &VersionId,
    ) -> Result<GateCheck, Error> {
        self.require_version(model, version).await?;
        let gates = self.guarding_gates(model).await?;
        Ok(GateCheck {
            model: model.clone(),
            version: version.clone(),
            blocked: !gates.iter().all(lets_through),
            gates,
        })
    }

    /// Asks for `model@pointer` to move to `version`.
    pub async fn request(
        &self,
        model: &ModelName,
        version: &VersionId,
        pointer: &PointerName,
        reason: &str,
    ) -> Result<PromotionRequest, Error> {
        let target = target(model, pointer);
        self.require(Permission::RequestPromotion, target.clone(), None)
            .await?;
        let reason = reason_text(reason, "a promotion request")?;
        valid_pointer(pointer)?;
        self.require_version(model, version).await?;
        let from_version = self.registry.pointer(model, pointer).await?;
        if from_version.as_ref() == Some(version) {
            return Err(Error::Invalid(format!(
                "{target} already points to {version}"
            )));
        }
        if let Some(open) = self.store.requests().await?.into_iter().find(|r| {
            r.model == *model
                && r.pointer == *pointer
                && matches!(
                    r.state,
                    RequestState::Requested | RequestState::Approved | RequestState::Executing
                )
        }) {
            return Err(Error::Invalid(format!(
                "request {} for {target} is still open ({}): approve, reject or wait for it first",
                open.id,
                open.state.id()
            )));
        }
        let new = NewRequest {
            kind: RequestKind::Promotion,
            model: model.clone(),
            version: version.clone(),
            pointer: pointer.clone(),
            from_version: from_version.clone(),
            reason: reason.clone(),
            requester: self.actor.clone(),
            requested_at: self.now,
            state: RequestState::Requested,
            required_approvals: self.policy.promotion.approvals_for(pointer),
            gates: self.guarding_gates(model).await?,
        };
        let audit = AuditDraft {
            before: from_version.map(|v| v.0),
            after: Some(version.0.clone()),
            reason: Some(reason),
            ..self.draft(AuditAction::Requested, target)
        };
        let created = self.store.create_request(&new, audit).await?;
        self.refresh_signals(model).await?;
        Ok(created)
    }

    /// Approves a request; the approval that completes the count executes it.
    pub async fn approve(
        &self,
        id: RequestId,
        reason: Option<&str>,
    ) -> Result<PromotionRequest, Error> {
        let req = self.load(id).await?;
        self.require(Permission::Decide, req.target(), Some(id))
            .await?;
        if req.kind != RequestKind::Promotion {
            return Err(Error::Invalid(format!(
                "request {id} is a rollback and takes no approvals"
            )));
        }
        if req.state != RequestState::Requested {
            return Err(Error::Invalid(format!(
                "request {id} is {} and takes no more approvals",
                req.state.id()
            )));
        }
        if req.requester == self.actor {
            let why = format!(
                "four-eyes rule: {} requested {id} and may not approve it; another approver must",
                self.actor
            );
            return Err(self.deny(req.target(), Some(id), why).await);
        }
        if req.approvals.iter().any(|a| a.by == self.actor) {
            return Err(Error::Invalid(format!(
                "{} has already approved request {id}",
                self.actor
            )));
        }
        let approval = Approval {
            by: self.actor.clone(),
            at: self.now,
            reason: optional_reason(reason)?,
        };
        let audit = AuditDraft {
            reason: approval.reason.clone(),
            request: Some(id),
            after: Some(format!(
                "{} of {}",
                req.approvals.len() + 1,
                req.required_approvals
            )),
            ..self.draft(AuditAction::Approved, req.target())
        };
        self.store.add_approval(id, &approval, audit).await?;
        if req.approvals.len() + 1 >= req.required_approvals as usize {
            let complete = Transition {
                from: RequestState::Requested,
                to: RequestState::Approved,
                outcome: None,
                rejection: None,
            };
            // Only the approval that wins this swap executes: two approvers at once move the
            // pointer once.
            if self.store.transition(id, &complete, None).await? {
                self.refresh_signals(&req.model).await?;
                return self.execute(id).await;
            }
        }
        self.refresh_signals(&req.model).await?;
        self.load(id).await
    }

    /// Rejects a request with a reason.
    pub async fn reject(&self, id: RequestId, reason: &str) -> Result<PromotionRequest, Error> {
        let req = self.load(id).await?;
        self.require(Permission::Decide, req.target(), Some(id))
            .await?;
        let reason = reason_text(reason, "a rejection")?;
        if !matches!(req.state, RequestState::Requested | RequestState::Approved) {
            return Err(Error::Invalid(format!(
                "request {id} is {} and cannot be rejected",
                req.state.id()
            )));
        }
        let change = Transition {
            from: req.state,
            to: RequestState::Rejected,
            outcome: None,
            rejection: Some(Decision {
                by: self.actor.clone(),
                at: self.now,
                reason: reason.clone(),
            }),
        };
        let audit = AuditDraft {
            reason: Some(reason),
            request: Some(id),
            ..self.draft(AuditAction::Rejected, req.target())
        };
        if !self.store.transition(id, &change, Some(audit)).await? {
            return Err(Error::Invalid(format!(
                "request {id} changed meanwhile; look again"
            )));
        }
        self.refresh_signals(&req.model).await?;
        self.load(id).await
    }

    /// Passes a request's blocking gates with a reason (admins), executing it if approved.
    pub async fn override_gates(
        &self,
        id: RequestId,
        reason: &str,
    ) -> Result<PromotionRequest, Error> {
        let req = self.load(id).await?;
        self.require(Permission::OverrideGates, req.target(), Some(id))
            .await?;
        let reason = reason_text(reason, "an override")?;
        if !matches!(req.state, RequestState::Requested | RequestState::Approved) {
            return Err(Error::Invalid(format!(
                "request {id} is {} and needs no override",
                req.state.id()
            )));
        }
        let failing: Vec<String> = self
            .guarding_gates(&req.model)
            .await?
            .iter()
            .filter(|g| !lets_through(g))
            .map(|g| format!("{} ({})", g.id, g.state.id()))
            .collect();
        let decision = Decision {
            by: self.actor.clone(),
            at: self.now,
            reason: reason.clone(),
        };
        let audit = AuditDraft {
            before: Some(if failing.is_empty() {
                "no gate blocks".into()
            } else {
                failing.join(", ")
            }),
            reason: Some(reason),
            request: Some(id),
            ..self.draft(AuditAction::Overridden, req.target())
        };
        self.store.set_override(id, &decision, audit).await?;
        if req.state == RequestState::Approved {
            return self.execute(id).await;
        }
        self.load(id).await
    }

    /// Every request, newest first, as the acting user sees it.
    pub async fn request_views(&self) -> Result<Vec<RequestView>, Error> {
        let log = self.store.audit_log().await?;
        Ok(self
            .store
            .requests()
            .await?
            .into_iter()
            .map(|request| {
                let why = approval_hint(self.policy, &self.actor, &request);
                RequestView {
                    can_approve: why.is_none(),
                    cannot_approve_because: why,
                    hooks: deliveries(&log, request.id),
                    request,
                }
            })
            .collect())
    }

    /// The deploy hooks called for request `id`, in order, as the audit log records them.
    pub async fn hook_deliveries(&self, id: RequestId) -> Result<Vec<HookDelivery>, Error> {
        Ok(deliveries(&self.store.audit_log().await?, id))
    }

    /// What [`Desk::rollback`] would do, without doing it: from → to.
    pub async fn rollback_plan(
        &self,
        model: &ModelName,
        pointer: Option<&PointerName>,
        to: Option<&VersionId>,
    ) -> Result<RollbackPlan, Error> {
        let pointer = pointer
            .unwrap_or(&self.policy.promotion.production_pointer)
            .clone();
        let target = target(model, &pointer);
        let from = self
            .registry
            .pointer(model, &pointer)
            .await?
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "{target} is not set, so there is nothing to roll back"
                ))
            })?;
        let to = match to {
            Some(v) => {
                self.require_version(model, v).await?;
                v.clone()
            }
            None => self.previous_version(&target, &from).await?,
        };
        if to == from {
            return Err(Error::Invalid(format!("{target} already points to {to}")));
        }
        Ok(RollbackPlan {
            model: model.clone(),
            pointer,
            from,
            to,
        })
    }

    /// Moves `model@pointer` back: to `to`, or by default to the version it held before its last
    /// recorded move. Hooks subscribed to `rollback` are called after the move.
    pub async fn rollback(
        &self,
        model: &ModelName,
        pointer: Option<&PointerName>,
        to: Option<&VersionId>,
        reason: &str,
    ) -> Result<PromotionRequest, Error> {
        self.rollback_for(HookEvent::Rollback, model, pointer, to, reason)
            .await
    }

    /// [`Desk::rollback`], calling the hooks subscribed to `event` (an abort is a rollback that
    /// its hooks hear of as an abort).
    pub(crate) async fn rollback_for(
        &self,
        event: HookEvent,
        model: &ModelName,
        pointer: Option<&PointerName>,
        to: Option<&VersionId>,
        reason: &str,
    ) -> Result<PromotionRequest, Error> {
        let pointer = pointer
            .unwrap_or(&self.policy.promotion.production_pointer)
            .clone();
        let target = target(model, &pointer);
        self.require(Permission::Rollback, target.clone(), None)
            .await?;
        let reason = reason_text(reason, "a rollback")?;
        let RollbackPlan {
            from: current, to, ..
        } = self.rollback_plan(model, Some(&pointer), to).await?;
        let new = NewRequest {
            kind: RequestKind::Rollback,
            model: model.clone(),
            version: to.clone(),
            pointer: pointer.clone(),
            from_version: Some(current.clone()),
            reason: reason.clone(),
            requester: self.actor.clone(),
            requested_at: self.now,
            state: RequestState::Approved,
            required_approvals: 0,
            gates: Vec::new(),
        };
        let audit = AuditDraft {
            before: Some(current.0),
            after: Some(to.0),
            reason: Some(reason),
            ..self.draft(AuditAction::RollbackRequested, target)
        };
        let created = self.store.create_request(&new, audit).await?;
        self.execute_for(created.id, Some(event)).await
    }

    /// The version `target` held before its most recent recorded move to `current`.
    async fn previous_version(
        &self,
        target: &str,
        current: &VersionId,
    ) -> Result<VersionId, Error> {
        self.store
            .audit_log()
            .await?
            .iter()
            .rev()
            .filter(|e| e.target == target)
            .find(|e| {
                matches!(e.action, AuditAction::Executed | AuditAction::Reconciled)
                    && e.after.as_deref() == Some(current.as_str())
            })
            .and_then(|e| e.before.clone())
            .map(VersionId)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "the audit log records no earlier version of {target}: name the version to return to"
                ))
            })
    }

    /// Executes an approved request: gates (for promotions), staleness, intent, the registry,
    /// outcome, then the deploy hooks.
    pub async fn execute(&self, id: RequestId) -> Result<PromotionRequest, Error> {
        self.execute_for(id, None).await
    }

    /// [`Desk::execute`], calling the hooks of `event` (by default the request's own kind).
    async fn execute_for(
        &self,
        id: RequestId,
        event: Option<HookEvent>,
    ) -> Result<PromotionRequest, Error> {
        let req = self.load(id).await?;
        let event = event.unwrap_or(match req.kind {
            RequestKind::Promotion => HookEvent::Promotion,
            RequestKind::Rollback => HookEvent::Rollback,
        });
        if req.state != RequestState::Approved {
            return Err(Error::Invalid(format!(
                "request {id} is {}, not approved",
                req.state.id()
            )));
        }
        if req.kind == RequestKind::Promotion && req.gate_override.is_none() {
            let failing: Vec<GateStatus> = self
                .guarding_gates(&req.model)
                .await?
                .into_iter()
                .filter(|g| !lets_through(g))
                .collect();
            if let Some(gate) = failing.first() {
                self.refresh_signals(&req.model).await?;
                return Err(Error::Blocked(format!(
                    "request {id} is approved but gate {} is {}: {}; an admin may override it with a reason",
                    gate.id,
                    gate.state.id(),
                    gate.summary
                )));
            }
        }
        let current = self.registry.pointer(&req.model, &req.pointer).await?;
        if current != req.from_version {
            let why = format!(
                "stale: {} moved from {} to {} since the request; request again",
                req.target(),
                show(req.from_version.as_ref()),
                show(current.as_ref())
            );
            self.settle(
                &req,
                RequestState::Approved,
                RequestState::Failed,
                AuditAction::Failed,
                why.clone(),
                None,
                current,
            )
            .await?;
            return Err(Error::Blocked(why));
        }
        let intent = Transition {
            from: RequestState::Approved,
            to: RequestState::Executing,
            outcome: None,
            rejection: None,
        };
        // Held from before the intent until this returns: another process starting meanwhile
        // sees an execution in flight, not one a crash left behind.
        let _hold = self.store.hold_execution(id).await?;
        if !self.store.transition(id, &intent, None).await? {
            return Err(Error::Invalid(format!(
                "request {id} changed meanwhile; look again"
            )));
        }
        self.observer.reached(Phase::IntentRecorded);
        let moved = self
            .registry
            .move_pointer(&req.model, &req.pointer, &req.version, &self.actor, id)
            .await;
        match moved {
            Ok(response) => {
                self.observer.reached(Phase::PointerMoved);
                self.settle(
                    &req,
                    RequestState::Executing,
                    RequestState::Done,
                    AuditAction::Executed,
                    response,
                    None,
                    Some(req.version.clone()),
                )
                .await?;
            }
            Err(e) => {
                // The call may have failed after the move: ask the registry before deciding.
                let now_at = self
                    .registry
                    .pointer(&req.model, &req.pointer)
                    .await
                    .ok()
                    .flatten();
                let (state, action) = if now_at.as_ref() == Some(&req.version) {
                    (RequestState::Done, AuditAction::Executed)
                } else {
                    (RequestState::Failed, AuditAction::Failed)
                };
                self.settle(
                    &req,
                    RequestState::Executing,
                    state,
                    action,
                    e.to_string(),
                    None,
                    now_at,
                )
                .await?;
                if state == RequestState::Failed {
                    self.refresh_signals(&req.model).await?;
                    return Err(e);
                }
            }
        }
        self.refresh_signals(&req.model).await?;
        // The move is on record before any hook hears of it: a hook that fails or hangs leaves
        // a finished request, never one stuck executing.
        self.call_hooks(&req, event, &self.actor).await?;
        self.load(id).await
    }

    /// Calls every hook subscribed to `event` about `req`'s move, and records each answer or
    /// failure in the audit log. A hook's failure is recorded, not returned: the move stands.
    async fn call_hooks(
        &self,
        req: &PromotionRequest,
        event: HookEvent,
        actor: &UserName,
    ) -> Result<(), Error> {
        if !self.hooks.calls_hooks() {
            return Ok(());
        }
        let payload = HookPayload {
            event,
            model: req.model.clone(),
            version: req.version.clone(),
            previous: req.from_version.clone(),
            pointer: req.pointer.clone(),
            request: Some(req.id),
            actor: actor.clone(),
            at: self.now,
        };
        for hook in subscribed(&self.policy.hooks, event) {
            let (action, response) = match self.hooks.call(hook, &payload).await {
                Ok(answer) => (AuditAction::HookCalled, answer),
                Err(e) => (AuditAction::HookFailed, e.to_string()),
            };
            let audit = AuditDraft {
                after: Some(hook.url.clone()),
                reason: Some(event.id().to_owned()),
                response: Some(response),
                request: Some(req.id),
                ..self.draft(action, req.target())
            };
            self.store.append_audit(audit).await?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn settle(
        &self,
        req: &PromotionRequest,
        from: RequestState,
        to: RequestState,
        action: AuditAction,
        outcome: String,
        reason: Option<String>,
        pointer_now: Option<VersionId>,
    ) -> Result<(), Error> {
        let change = Transition {
            from,
            to,
            outcome: Some(outcome.clone()),
            rejection: None,
        };
        let audit = AuditDraft {
            before: req.from_version.as_ref().map(|v| v.0.clone()),
            after: pointer_now.map(|v| v.0),
            reason,
            response: Some(outcome),
            request: Some(req.id),
            ..self.draft(action, req.target())
        };
        if self.store.transition(req.id, &change, Some(audit)).await? {
            Ok(())
        } else {
            Err(Error::Invalid(format!(
                "request {} changed meanwhile; look again",
                req.id
            )))
        }
    }

    /// Whether request `id` is still executing with no live process holding its execution:
    /// what a crash leaves behind.
    async fn abandoned(&self, id: RequestId) -> Result<bool, Error> {
        if self.store.execution_held(id).await? {
            return Ok(false);
        }
        // Read after the hold was found free: an execution that ended meanwhile is settled.
        Ok(self.load(id).await?.state == RequestState::Executing)
    }

    /// Settles every execution a crash interrupted, by asking the registry where each pointer
    /// stands: moved means done, not moved means failed. An execution another live process holds
    /// is in flight, not interrupted, and is left alone. Returns the requests it settled.
    pub async fn reconcile(&self) -> Result<Vec<PromotionRequest>, Error> {
        let mut settled = Vec::new();
        for req in self.store.requests().await? {
            if req.state != RequestState::Executing || !self.abandoned(req.id).await? {
                continue;
            }
            let now_at = self.registry.pointer(&req.model, &req.pointer).await?;
            let (state, why) = if now_at.as_ref() == Some(&req.version) {
                (
                    RequestState::Done,
                    "interrupted after the registry moved the pointer; recorded as done".to_owned(),
                )
            } else if now_at == req.from_version {
                (RequestState::Failed, "interrupted before the registry moved the pointer; nothing changed: request again".to_owned())
            } else {
                (
                    RequestState::Failed,
                    format!(
                        "interrupted; the pointer now stands at {}",
                        show(now_at.as_ref())
                    ),
                )
            };
            let done = self
                .settle(
                    &req,
                    RequestState::Executing,
                    state,
                    AuditAction::Reconciled,
                    why.clone(),
                    Some(why),
                    now_at,
                )
                .await;
            match done {
                Ok(()) => {}
                // Another process starting at the same moment settled it first.
                Err(_) if self.load(req.id).await?.state != RequestState::Executing => continue,
                Err(e) => return Err(e),
            }
            self.refresh_signals(&req.model).await?;
            if state == RequestState::Done {
                // The process that moved the pointer stopped before its hooks were called.
                let event = match req.kind {
                    RequestKind::Promotion => HookEvent::Promotion,
                    RequestKind::Rollback => HookEvent::Rollback,
                };
                self.call_hooks(&req, event, &req.requester).await?;
            }
            settled.push(self.load(req.id).await?);
        }
        Ok(settled)
    }

    /// Records the promotion gate's signals for `model`: approvals still missing on open requests,
    /// and approved requests held back by their gates.
    async fn refresh_signals(&self, model: &ModelName) -> Result<(), Error> {
        let requests: Vec<PromotionRequest> = self
            .store
            .requests()
            .await?
            .into_iter()
            .filter(|r| r.model == *model && r.kind == RequestKind::Promotion)
            .collect();
        let waiting: Vec<&PromotionRequest> = requests
            .iter()
            .filter(|r| r.state == RequestState::Requested)
            .collect();
        let missing: u32 = waiting
            .iter()
            .map(|r| {
                r.required_approvals
                    .saturating_sub(r.approvals.len() as u32)
            })
            .sum();
        let held: Vec<&PromotionRequest> = requests
            .iter()
            .filter(|r| r.state == RequestState::Approved)
            .collect();
        let describe = |rs: &[&PromotionRequest]| {
            let parts: Vec<String> = rs
                .iter()
                .map(|r| {
                    format!(
                        "{}: {} → {}, {} of {} approvals",
                        r.id,
                        r.pointer,
                        r.version,
                        r.approvals.len(),
                        r.required_approvals
                    )
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        };
        for (signal, value, note) in [
            (MISSING_APPROVALS, f64::from(missing), describe(&waiting)),
            (BLOCKED_REQUESTS, held.len() as f64, describe(&held)),
        ] {
            let reading = Reading {
                model: model.clone(),
                signal: SignalName::from(signal),
                value,
                read_at: self.now,
                source: "requests".into(),
                note,
            };
            self.store.record_reading(&reading).await?;
        }
        Ok(())
    }
}

/// The hook deliveries of request `id` in `log`.
fn deliveries(log: &[crate::audit::AuditEvent], id: RequestId) -> Vec<HookDelivery> {
    log.iter()
        .filter(|e| e.request == Some(id))
        .filter_map(HookDelivery::from_event)
        .collect()
}

fn show(v: Option<&VersionId>) -> String {
    v.map(|v| v.0.clone()).unwrap_or_else(|| "nothing".into())
}

fn valid_pointer(pointer: &PointerName) -> Result<(), Error> {
    let ok = !pointer.as_str().is_empty()
        && pointer.as_str().len() <= 64
        && pointer
            .as_str()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "pointer `{pointer}` may hold only letters, digits, `-`, `_` and `.`"
        )))
    }
}
