//! Deploy hooks: webhooks the policy names, called on promotion, rollback and abort so that a CD
//! system (Argo CD, a GitHub Actions dispatch, a serving controller) follows the registry. The
//! calls themselves live in `gatehouse-connectors` behind the [`HookSink`] port; this module
//! holds what the policy says, what is sent, and how a call is read back from the audit log.
//!
//! Every pointer move calls each hook subscribed to its event once, after the move is on record:
//! a hook that fails leaves the move done and is recorded as `hook_failed` beside it, so the
//! failure is visible and the state is never half-changed.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use crate::audit::{AuditAction, AuditEvent};
use crate::error::Error;
use crate::policy::UserName;
use crate::promotion::RequestId;
use crate::reading::ModelName;
use crate::registry::{PointerName, VersionId};
use crate::time::Timestamp;

/// When a hook is called. Each pointer move is exactly one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HookEvent {
    /// A promotion request moved a pointer forward to a new version.
    Promotion,
    /// A pointer moved back: by a person, or by the rollout rule after a failed analysis.
    Rollback,
    /// A person aborted a rollout, moving the pointer back to the stable version.
    Abort,
}

impl HookEvent {
    /// The identifier used in the policy, the body and the audit log.
    pub fn id(self) -> &'static str {
        match self {
            HookEvent::Promotion => "promotion",
            HookEvent::Rollback => "rollback",
            HookEvent::Abort => "abort",
        }
    }

    fn from_id(id: &str) -> Option<HookEvent> {
        [HookEvent::Promotion, HookEvent::Rollback, HookEvent::Abort]
            .into_iter()
            .find(|e| e.id() == id)
    }
}

/// A webhook as the policy names it: `[[hooks]]` in `gatehouse.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct HookSpec {
    /// Where to POST.
    pub url: String,
    /// The events it is called on.
    pub events: Vec<HookEvent>,
    /// The name of the keyring entry holding the signing secret; never the secret itself.
    pub secret: Option<String>,
}

/// The JSON body of a hook call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct HookPayload {
    /// What happened.
    pub event: HookEvent,
    /// The model.
    pub model: ModelName,
    /// The version the pointer now holds.
    pub version: VersionId,
    /// The version it held before the move.
    pub previous: Option<VersionId>,
    /// The pointer.
    pub pointer: PointerName,
    /// The request that moved it.
    pub request: Option<RequestId>,
    /// Who acted (`rule:rollout` when the rollout rule rolled back by itself).
    pub actor: UserName,
    /// When the move was recorded as done, in milliseconds since the epoch: receivers may
    /// refuse old calls.
    pub at: Timestamp,
}

/// A hook call's future, boxed so that [`HookSink`] can be used as a trait object.
pub type HookCall<'a> = Pin<Box<dyn Future<Output = Result<String, Error>> + Send + 'a>>;

/// The port through which the use-cases call deploy hooks. `Ok` holds the hook's answer in one
/// line for the audit log (status, tries, the start of its body); `Err` says why it failed.
pub trait HookSink: Sync {
    /// Calls `hook` with `payload`: signed, with a timeout and retries as the adapter sees fit.
    fn call<'a>(&'a self, hook: &'a HookSpec, payload: &'a HookPayload) -> HookCall<'a>;

    /// Whether this sink calls hooks at all; only [`NoHooks`] says no.
    fn calls_hooks(&self) -> bool {
        true
    }
}

/// A sink that calls nothing and records nothing: for replaying history (the demo), where the
/// moves happened long ago and no CD system listens.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHooks;

impl HookSink for NoHooks {
    fn call<'a>(&'a self, _: &'a HookSpec, _: &'a HookPayload) -> HookCall<'a> {
        Box::pin(async { Err(Error::Invalid("deploy hooks are not called here".into())) })
    }

    fn calls_hooks(&self) -> bool {
        false
    }
}

/// One hook call as the audit log records it, for the request and the rollout views.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct HookDelivery {
    /// The event it was called for.
    pub event: HookEvent,
    /// The hook's URL.
    pub url: String,
    /// Whether the hook accepted the call (a 2xx answer).
    pub delivered: bool,
    /// Its answer, or why it failed.
    pub response: String,
    /// When it was called.
    pub at: Timestamp,
}

impl HookDelivery {
    /// The delivery an audit event records, if it records one.
    pub fn from_event(event: &AuditEvent) -> Option<HookDelivery> {
        let delivered = match event.action {
            AuditAction::HookCalled => true,
            AuditAction::HookFailed => false,
            _ => return None,
        };
        Some(HookDelivery {
            event: HookEvent::from_id(event.reason.as_deref()?)?,
            url: event.after.clone()?,
            delivered,
            response: event.response.clone().unwrap_or_default(),
            at: event.at,
        })
    }
}

/// The hooks of `hooks` subscribed to `event`, in policy order.
pub fn subscribed(hooks: &[HookSpec], event: HookEvent) -> impl Iterator<Item = &HookSpec> {
    hooks.iter().filter(move |h| h.events.contains(&event))
}
