//! The registry's read model: models, their versions and the named pointers (aliases or stages)
//! that say which version serves as `production`, `champion`, `staging`, ….

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorReport};
use crate::policy::UserName;
use crate::ports::Registry;
use crate::promotion::RequestId;
use crate::reading::{string_id, ModelName};
use crate::time::Timestamp;

string_id!(
    /// A version of a model as the registry names it (`"3"` in MLflow).
    VersionId
);
string_id!(
    /// A named pointer to a version: an alias such as `champion`, or a stage such as `Production`.
    PointerName
);

/// A registered model with its versions and pointers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Model {
    /// The model's name.
    pub name: ModelName,
    /// What it is for.
    pub description: String,
    /// Pointer name → version it points to.
    pub pointers: BTreeMap<PointerName, VersionId>,
    /// Versions, oldest first.
    pub versions: Vec<ModelVersion>,
}

/// One version of a model with its metrics and lineage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct ModelVersion {
    /// The version identifier.
    pub version: VersionId,
    /// The training run that produced it.
    pub run_id: String,
    /// When it was registered.
    pub created_at: Timestamp,
    /// Evaluation metrics of its run.
    pub metrics: BTreeMap<String, f64>,
    /// Free-form tags.
    pub tags: BTreeMap<String, String>,
    /// The data version it was trained on, where known.
    pub data_version: Option<String>,
    /// The code commit it was trained from, where known.
    pub code_commit: Option<String>,
}

/// The registry as the Registry view shows it: what was read and when, and, while a remote
/// registry cannot be read, its last good listing with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct RegistryView {
    /// Every model with its versions and pointers.
    pub models: Vec<Model>,
    /// The legacy stage (`Staging`, `Production`, `Archived`) of each version that holds one, by
    /// model and version: MLflow servers that use stages. Empty for registries of aliases.
    pub stages: BTreeMap<ModelName, BTreeMap<VersionId, String>>,
    /// When the registry was read.
    pub read_at: Timestamp,
    /// Why the registry cannot be read now, when this is its last good listing kept from
    /// `read_at`.
    pub unreadable: Option<ErrorReport>,
}

/// Where the last good listing of a remote registry is kept, so that a panel opened while the
/// registry is down still shows it, marked stale.
pub trait ListingCache {
    /// Keeps `view` as the last good listing.
    fn keep(&self, view: &RegistryView) -> Result<(), Error>;

    /// The last good listing kept, if any.
    fn last(&self) -> Result<Option<RegistryView>, Error>;
}

/// A registry as it was last listed, read without asking it again: live views that follow a
/// remote registry on a timer judge the loop from its last listing, so a slow server never holds
/// them back. It moves no pointer.
#[derive(Debug, Clone, Copy)]
pub struct Listed<'a>(pub &'a [Model]);

impl Registry for Listed<'_> {
    async fn pointer(
        &self,
        model: &ModelName,
        pointer: &PointerName,
    ) -> Result<Option<VersionId>, Error> {
        Ok(self
            .0
            .iter()
            .find(|m| &m.name == model)
            .and_then(|m| m.pointers.get(pointer).cloned()))
    }

    async fn version_exists(&self, model: &ModelName, version: &VersionId) -> Result<bool, Error> {
        Ok(self
            .0
            .iter()
            .filter(|m| &m.name == model)
            .any(|m| m.versions.iter().any(|v| &v.version == version)))
    }

    async fn move_pointer(
        &self,
        model: &ModelName,
        pointer: &PointerName,
        _version: &VersionId,
        _actor: &UserName,
        _request: RequestId,
    ) -> Result<String, Error> {
        Err(Error::Invalid(format!(
            "{model}@{pointer} cannot move through a registry's last listing; move it in the registry"
        )))
    }
}
