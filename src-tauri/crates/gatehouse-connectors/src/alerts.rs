//! The alert back end a workspace's policy names: an Alertmanager, or Gatehouse's own rules over
//! the loop and the drift board for the embedded workspace. Both the CLI and the panel list and
//! acknowledge through it.

use gatehouse_core::alert::{AlertSnapshot, AlertSource, NewSilence, SilenceId};
use gatehouse_core::monitor::Samples;
use gatehouse_core::policy::{BackendKind, Policy};
use gatehouse_core::ports::{PromotionStore, Registry, WorkspaceRead};
use gatehouse_core::rollout::ReadingHistory;
use gatehouse_core::time::Timestamp;
use gatehouse_core::Error;

use crate::alertmanager::Alertmanager;
use crate::ClientOptions;

/// Where the workspace's alerts come from.
pub enum AlertBackend {
    /// An Alertmanager named in `[backends.alerts]`.
    Alertmanager(Alertmanager),
    /// The embedded workspace: Gatehouse's own rules over the loop and the drift board.
    Embedded(AlertSnapshot),
}

impl AlertBackend {
    /// The source the policy names; for the embedded workspace, the alerts its own rules raise
    /// now.
    pub async fn for_workspace<W>(
        policy: &Policy,
        ws: &W,
        now: Timestamp,
    ) -> Result<AlertBackend, Error>
    where
        W: WorkspaceRead + Samples + PromotionStore + ReadingHistory + Registry + Sync,
    {
        match AlertBackend::from_policy(policy)? {
            AlertBackend::Embedded(_) => {
                // The loop as the panel shows it: a failed canary analysis blocks the rollout
                // gate and so alerts its owner.
                let status = gatehouse_core::status::live_loop_status(policy, ws, ws, now).await?;
                // A workspace with no monitored stream has no drift to alert on.
                let board = gatehouse_core::monitor::board(policy, ws).await.ok();
                let alerts =
                    gatehouse_core::alert::rules::evaluate(policy, &status, board.as_ref());
                Ok(AlertBackend::Embedded(AlertSnapshot {
                    alerts,
                    silences: Vec::new(),
                }))
            }
            other => Ok(other),
        }
    }

    /// Shows the workspace's alerts on `status` (the loop the panel and `gatehouse status`
    /// show): for the embedded workspace the alerts its own rules raise from that very loop. An
    /// Alertmanager that cannot be read leaves the loop as it is and returns why.
    pub async fn reflect_on<W: Samples + Sync>(
        policy: &Policy,
        ws: &W,
        status: &mut gatehouse_core::status::LoopStatus,
        now: Timestamp,
    ) -> Result<(), Error> {
        let snapshot = match AlertBackend::from_policy(policy)? {
            AlertBackend::Embedded(_) => {
                let board = gatehouse_core::monitor::board(policy, ws).await.ok();
                AlertSnapshot {
                    alerts: gatehouse_core::alert::rules::evaluate(policy, status, board.as_ref()),
                    silences: Vec::new(),
                }
            }
            AlertBackend::Alertmanager(am) => am.list().await?,
        };
        let alerts = gatehouse_core::alert::resolve_alerts(policy, &snapshot, now);
        gatehouse_core::status::with_alerts(status, &alerts);
        Ok(())
    }

    /// The source the policy names.
    pub fn from_policy(policy: &Policy) -> Result<AlertBackend, Error> {
        let backend = &policy.backends.alerts;
        match backend.kind {
            BackendKind::Alertmanager => Ok(AlertBackend::Alertmanager(
                Alertmanager::from_backend(backend, ClientOptions::default())?,
            )),
            BackendKind::Embedded => Ok(AlertBackend::Embedded(AlertSnapshot::default())),
            BackendKind::Mlflow | BackendKind::Prometheus => Err(Error::Invalid(
                "[backends.alerts] must be alertmanager or embedded".into(),
            )),
        }
    }
}

impl AlertSource for AlertBackend {
    async fn list(&self) -> Result<AlertSnapshot, Error> {
        match self {
            AlertBackend::Alertmanager(am) => am.list().await,
            AlertBackend::Embedded(snapshot) => Ok(snapshot.clone()),
        }
    }

    async fn acknowledge(&self, silence: &NewSilence) -> Result<SilenceId, Error> {
        match self {
            AlertBackend::Alertmanager(am) => am.acknowledge(silence).await,
            AlertBackend::Embedded(_) => Err(embedded_has_no_silences()),
        }
    }

    async fn unacknowledge(&self, silence: &SilenceId) -> Result<(), Error> {
        match self {
            AlertBackend::Alertmanager(am) => am.unacknowledge(silence).await,
            AlertBackend::Embedded(_) => Err(embedded_has_no_silences()),
        }
    }
}

fn embedded_has_no_silences() -> Error {
    Error::Invalid(
        "alerts of Gatehouse's own rules clear when their cause does; acknowledging them needs an Alertmanager".into(),
    )
}
