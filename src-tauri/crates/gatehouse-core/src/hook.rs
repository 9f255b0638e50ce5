//! Deploy hooks: webhooks the policy names, called on promotion, rollback and abort so that a CD
//! system (Argo CD, a GitHub Actions dispatch, a serving controller) follows the registry. The
//! calls themselves live in `gatehouse-connectors`; this module holds what the policy says and
//! what is sent.

use serde::{Deserialize, Serialize};

use crate::policy::UserName;
use crate::promotion::RequestId;
use crate::reading::ModelName;
use crate::registry::{PointerName, VersionId};

/// When a hook is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HookEvent {
    /// A pointer moved forward to a new version.
    Promotion,
    /// A pointer moved back.
    Rollback,
    /// A rollout was aborted.
    Abort,
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
    /// The pointer.
    pub pointer: PointerName,
    /// The request that moved it.
    pub request: Option<RequestId>,
    /// Who acted.
    pub actor: UserName,
}
