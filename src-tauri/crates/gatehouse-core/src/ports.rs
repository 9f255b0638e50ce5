//! Ports: what the use-cases need from the outside world. Adapters live in `gatehouse-store`
//! (the embedded workspace database) and `gatehouse-connectors` (MLflow, Prometheus, …).

use std::future::Future;

use crate::audit::{AuditDraft, AuditEvent};
use crate::error::Error;
use crate::gate::{GateOverride, LatestReadings};
use crate::policy::UserName;
use crate::promotion::{Approval, Decision, NewRequest, PromotionRequest, RequestId, Transition};
use crate::reading::{ModelName, Reading};
use crate::registry::{Model, PointerName, VersionId};

/// Read access to a workspace's state.
pub trait WorkspaceRead {
    /// The latest reading of every signal of `model`.
    fn latest_readings(
        &self,
        model: &ModelName,
    ) -> impl Future<Output = Result<LatestReadings, Error>> + Send;

    /// Every gate override ever recorded, expired or not.
    fn overrides(&self) -> impl Future<Output = Result<Vec<GateOverride>, Error>> + Send;

    /// The registry: models with versions and pointers.
    fn models(&self) -> impl Future<Output = Result<Vec<Model>, Error>> + Send;
}

/// The registry whose pointers promotions move: the embedded registry, or MLflow.
pub trait Registry {
    /// The version `model@pointer` points to, if set.
    fn pointer(
        &self,
        model: &ModelName,
        pointer: &PointerName,
    ) -> impl Future<Output = Result<Option<VersionId>, Error>> + Send;

    /// Whether `model` has `version`.
    fn version_exists(
        &self,
        model: &ModelName,
        version: &VersionId,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Points `model@pointer` at `version`, recording who did it for which request where the back
    /// end can hold it. Returns the back end's answer for the audit log.
    fn move_pointer(
        &self,
        model: &ModelName,
        pointer: &PointerName,
        version: &VersionId,
        actor: &UserName,
        request: RequestId,
    ) -> impl Future<Output = Result<String, Error>> + Send;
}

/// Requests, approvals, the audit log and readings. Every method that changes a request writes
/// its audit event in the same transaction, so nothing is ever half-written.
pub trait PromotionStore {
    /// Creates a request and its audit event (whose `request` the store fills in).
    fn create_request(
        &self,
        new: &NewRequest,
        audit: AuditDraft,
    ) -> impl Future<Output = Result<PromotionRequest, Error>> + Send;

    /// One request.
    fn request(
        &self,
        id: RequestId,
    ) -> impl Future<Output = Result<Option<PromotionRequest>, Error>> + Send;

    /// Every request, newest first.
    fn requests(&self) -> impl Future<Output = Result<Vec<PromotionRequest>, Error>> + Send;

    /// Adds an approval; a second approval by the same person is refused.
    fn add_approval(
        &self,
        id: RequestId,
        approval: &Approval,
        audit: AuditDraft,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Records an override of a request's gates.
    fn set_override(
        &self,
        id: RequestId,
        decision: &Decision,
        audit: AuditDraft,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Changes a request's state if it is still in `change.from`; false when it was not.
    fn transition(
        &self,
        id: RequestId,
        change: &Transition,
        audit: Option<AuditDraft>,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Appends an event to the audit log.
    fn append_audit(
        &self,
        draft: AuditDraft,
    ) -> impl Future<Output = Result<AuditEvent, Error>> + Send;

    /// The whole audit log in order.
    fn audit_log(&self) -> impl Future<Output = Result<Vec<AuditEvent>, Error>> + Send;

    /// Records a measured value.
    fn record_reading(&self, reading: &Reading) -> impl Future<Output = Result<(), Error>> + Send;

    /// Marks this process as executing request `id` until the returned hold drops, so that
    /// another process's [`crate::promotion::Desk::reconcile`] leaves the request alone
    /// meanwhile. The mark lives as long as the process: one that dies mid-execution releases
    /// it, and its intent is settled by the next start.
    fn hold_execution(
        &self,
        id: RequestId,
    ) -> impl Future<Output = Result<ExecutionHold, Error>> + Send;

    /// Whether a live process holds an execution that may be request `id`'s (a store may not
    /// tell executions apart: then any in flight counts).
    fn execution_held(&self, id: RequestId) -> impl Future<Output = Result<bool, Error>> + Send;
}

/// A process's mark that it executes a request (a lock of the store's), released when dropped.
pub struct ExecutionHold {
    _lock: Box<dyn Send>,
}

impl ExecutionHold {
    /// Keeps `lock` (a lock file, a database session holding a lock) until the hold drops.
    pub fn new(lock: impl Send + 'static) -> ExecutionHold {
        ExecutionHold {
            _lock: Box::new(lock),
        }
    }
}

impl std::fmt::Debug for ExecutionHold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExecutionHold")
    }
}
