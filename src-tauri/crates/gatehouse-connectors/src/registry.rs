//! The registry a workspace's policy names: its own embedded registry, or an MLflow server. The
//! CLI and the panel both list models and move pointers through it, so neither can show or move
//! the wrong registry; and the loop describes its stages from it (`live`), so the Loop view and
//! `gatehouse status` show what the registry holds.

use std::collections::BTreeMap;

use gatehouse_core::policy::{BackendKind, Policy, UserName};
use gatehouse_core::ports::{Registry, WorkspaceRead};
use gatehouse_core::promotion::RequestId;
use gatehouse_core::reading::ModelName;
use gatehouse_core::registry::{Model, PointerName, VersionId};
use gatehouse_core::Error;

use crate::mlflow::{Client, Config, VersionDetails};

/// The registry whose pointers move, as the policy's `[backends.registry]` says: the workspace's
/// embedded registry, or an MLflow server with its credential from the keyring.
#[derive(Debug)]
pub enum AnyRegistry<'a, E> {
    /// The workspace's own registry.
    Embedded(&'a E),
    /// An MLflow server.
    Mlflow(Box<Client>),
}

/// Models as a registry lists them, with what MLflow knows of each version beyond the core's
/// types (status, description, legacy stage); empty for the embedded registry.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryListing {
    /// Every model with its versions and pointers.
    pub models: Vec<Model>,
    /// Per model and version, what only MLflow knows.
    pub details: BTreeMap<(ModelName, VersionId), VersionDetails>,
}

impl<'a, E> AnyRegistry<'a, E> {
    /// The registry `policy` names, for the workspace `ws`.
    pub fn for_policy(policy: &Policy, ws: &'a E) -> Result<AnyRegistry<'a, E>, Error> {
        match policy.backends.registry.kind {
            BackendKind::Mlflow => Ok(AnyRegistry::Mlflow(Box::new(Client::from_backend(
                &policy.backends.registry,
                Config::default(),
            )?))),
            BackendKind::Embedded | BackendKind::Prometheus | BackendKind::Alertmanager => {
                Ok(AnyRegistry::Embedded(ws))
            }
        }
    }
}

impl<E: WorkspaceRead + Sync> AnyRegistry<'_, E> {
    /// Every model with its versions (with their runs' metrics) and pointers.
    pub async fn models(&self) -> Result<Vec<Model>, Error> {
        Ok(self.listing().await?.models)
    }

    /// [`AnyRegistry::models`] with what MLflow knows of each version beyond them.
    pub async fn listing(&self) -> Result<RegistryListing, Error> {
        match self {
            AnyRegistry::Embedded(ws) => Ok(RegistryListing {
                models: ws.models().await?,
                details: BTreeMap::new(),
            }),
            AnyRegistry::Mlflow(client) => {
                let listing = client.list_with_runs().await?;
                Ok(RegistryListing {
                    models: listing.models,
                    details: listing.details,
                })
            }
        }
    }
}

impl<E: Registry + Sync> Registry for AnyRegistry<'_, E> {
    async fn pointer(
        &self,
        model: &ModelName,
        pointer: &PointerName,
    ) -> Result<Option<VersionId>, Error> {
        match self {
            AnyRegistry::Embedded(ws) => ws.pointer(model, pointer).await,
            AnyRegistry::Mlflow(c) => c.pointer(model, pointer).await,
        }
    }

    async fn version_exists(&self, model: &ModelName, version: &VersionId) -> Result<bool, Error> {
        match self {
            AnyRegistry::Embedded(ws) => ws.version_exists(model, version).await,
            AnyRegistry::Mlflow(c) => c.version_exists(model, version).await,
        }
    }

    async fn move_pointer(
        &self,
        model: &ModelName,
        pointer: &PointerName,
        version: &VersionId,
        actor: &UserName,
        request: RequestId,
    ) -> Result<String, Error> {
        match self {
            AnyRegistry::Embedded(ws) => {
                ws.move_pointer(model, pointer, version, actor, request)
                    .await
            }
            AnyRegistry::Mlflow(c) => {
                c.move_pointer(model, pointer, version, actor, request)
                    .await
            }
        }
    }
}
