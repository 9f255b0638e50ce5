//! The rollout analysis's port over the workspace database: a signal's recent readings, and the
//! measurements of PromQL metrics taken during a rollout.

use gatehouse_core::reading::{ModelName, Reading, SignalName};
use gatehouse_core::registry::{PointerName, VersionId};
use gatehouse_core::rollout::{MeasurementRecord, ReadingHistory};
use gatehouse_core::time::Timestamp;
use gatehouse_core::Error;

use crate::sqlite;
use crate::workspace::Workspace;

impl ReadingHistory for Workspace {
    async fn readings(
        &self,
        model: &ModelName,
        signal: &SignalName,
        limit: u32,
    ) -> Result<Vec<Reading>, Error> {
        if let Some(team) = &self.team {
            return ReadingHistory::readings(team, model, signal, limit).await;
        }
        Ok(sqlite::readings(&self.pool, model, signal, limit).await?)
    }

    // Measurements stay in the local database even beside a team store: each is an instant
    // query at a fixed due time, so every member's copy holds the same values, and the rollout's
    // start comes from the shared audit log.
    async fn record_measurement(&self, measurement: &MeasurementRecord) -> Result<(), Error> {
        Ok(sqlite::insert_measurement(&self.pool, measurement).await?)
    }

    async fn measurements(
        &self,
        model: &ModelName,
        pointer: &PointerName,
        canary: &VersionId,
        metric: &str,
        since: Timestamp,
    ) -> Result<Vec<MeasurementRecord>, Error> {
        Ok(sqlite::measurements(&self.pool, model, pointer, canary, metric, since).await?)
    }
}

#[cfg(test)]
mod tests {
    use gatehouse_core::audit::AuditAction;
    use gatehouse_core::demo;
    use gatehouse_core::hook::NoHooks;
    use gatehouse_core::policy::{Policy, UserName, POLICY_FILE};
    use gatehouse_core::ports::{PromotionStore, Registry};
    use gatehouse_core::promotion::Quiet;
    use gatehouse_core::reading::{ModelName, Reading, SignalName};
    use gatehouse_core::registry::{PointerName, VersionId};
    use gatehouse_core::rollout::{RollbackAction, Rollout, Verdict, RULE_ACTOR};
    use gatehouse_core::time::Timestamp;
    use gatehouse_core::ErrorCode;

    use crate::workspace::Workspace;

    const NOW: Timestamp = Timestamp(1_795_000_000_000);

    async fn demo_workspace(dir: &std::path::Path) -> (Workspace, Policy) {
        let generated = demo::generate(demo::DEFAULT_SEED, NOW);
        let ws = Workspace::create_demo(dir, &generated).await.unwrap();
        let policy = Policy::parse(&generated.policy, POLICY_FILE).unwrap();
        (ws, policy)
    }

    async fn record(ws: &Workspace, values: &[f64]) {
        for (i, v) in values.iter().enumerate() {
            let reading = Reading::new(
                ModelName::from("churn"),
                SignalName::from("rollout.error_rate_ratio"),
                *v,
                Timestamp(NOW.0 + 60_000 * (i as i64 + 1)),
                "test".into(),
                None,
            )
            .unwrap();
            PromotionStore::record_reading(ws, &reading).await.unwrap();
        }
    }

    fn rollout<'a>(
        ws: &'a Workspace,
        policy: &'a Policy,
        actor: &str,
    ) -> Rollout<'a, Workspace, Workspace> {
        Rollout {
            policy,
            actor: UserName::from(actor),
            now: Timestamp(NOW.0 + 3_600_000),
            store: ws,
            registry: ws,
            observer: &Quiet,
            hooks: &NoHooks,
        }
    }

    #[tokio::test]
    async fn the_demo_canary_passes_until_its_error_rate_degrades_then_a_rollback_is_proposed() {
        let dir = tempfile::tempdir().unwrap();
        let (ws, policy) = demo_workspace(dir.path()).await;
        let report = rollout(&ws, &policy, "dana").evaluate().await.unwrap();
        assert_eq!(report.analysis.verdict, Verdict::Successful);
        assert_eq!(report.action, RollbackAction::None);

        record(&ws, &[2.4, 1.1, 2.1, 2.2]).await;
        let report = rollout(&ws, &policy, "dana").evaluate().await.unwrap();
        assert_eq!(report.analysis.verdict, Verdict::Failed);
        assert_eq!(
            report.analysis.explanation,
            "error rate of v3 was up to 2.4× stable: `value > 2` in 3 of 5 checks; limit 2"
        );
        let plan = report.plan.unwrap();
        assert_eq!((plan.from.as_str(), plan.to.as_str()), ("3", "2"));
        assert!(matches!(report.action, RollbackAction::Proposed { .. }));
        // Proposing moves nothing.
        let production = PointerName::from("production");
        let churn = ModelName::from("churn");
        assert_eq!(
            ws.pointer(&churn, &production).await.unwrap(),
            Some(VersionId::from("3"))
        );
    }

    #[tokio::test]
    async fn where_the_policy_allows_the_rule_rolls_back_and_cites_the_measurements() {
        let dir = tempfile::tempdir().unwrap();
        let (ws, mut policy) = demo_workspace(dir.path()).await;
        policy.rollout.as_mut().unwrap().auto_rollback = true;
        record(&ws, &[2.4, 2.5, 2.6]).await;
        let report = rollout(&ws, &policy, "dana").evaluate().await.unwrap();
        let RollbackAction::Executed { request } = &report.action else {
            panic!("expected a rollback, got {:?}", report.action);
        };
        assert_eq!(request.version, VersionId::from("2"));
        assert_eq!(
            ws.pointer(&ModelName::from("churn"), &PointerName::from("production"))
                .await
                .unwrap(),
            Some(VersionId::from("2"))
        );
        let log = ws.audit_log().await.unwrap();
        let asked = log
            .iter()
            .find(|e| e.action == AuditAction::RollbackRequested)
            .unwrap();
        assert_eq!(asked.actor, UserName::from(RULE_ACTOR));
        let reason = asked.reason.as_deref().unwrap();
        assert!(
            reason.starts_with("rollout analysis failed: error rate of v3"),
            "{reason}"
        );
        assert!(reason.contains("[measured 1.0"), "{reason}");
        assert!(log.iter().any(|e| e.action == AuditAction::Executed
            && e.actor == UserName::from(RULE_ACTOR)
            && e.after.as_deref() == Some("2")));
    }

    #[tokio::test]
    async fn override_and_abort_need_a_role_and_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let (ws, policy) = demo_workspace(dir.path()).await;
        record(&ws, &[1.8, 1.9, 1.7]).await;
        let inconclusive = rollout(&ws, &policy, "dana").analyze().await.unwrap();
        assert_eq!(inconclusive.verdict, Verdict::Inconclusive);

        let denied = rollout(&ws, &policy, "dana")
            .override_analysis("ship it")
            .await
            .unwrap_err();
        assert_eq!(denied.code(), ErrorCode::PermissionDenied);
        let log = ws.audit_log().await.unwrap();
        assert_eq!(log.last().unwrap().action, AuditAction::Denied);

        let empty = rollout(&ws, &policy, "erin")
            .override_analysis("  ")
            .await
            .unwrap_err();
        assert_eq!(empty.code(), ErrorCode::Invalid);
        rollout(&ws, &policy, "erin")
            .override_analysis("latency blip during a load test")
            .await
            .unwrap();
        let last = ws.audit_log().await.unwrap().pop().unwrap();
        assert_eq!(
            (last.action, last.before.as_deref()),
            (
                AuditAction::Overridden,
                Some("rollout analysis inconclusive")
            )
        );

        let denied = rollout(&ws, &policy, "sam")
            .abort("stop")
            .await
            .unwrap_err();
        assert_eq!(denied.code(), ErrorCode::PermissionDenied);
        let aborted = rollout(&ws, &policy, "dana")
            .abort("customers report timeouts")
            .await
            .unwrap();
        assert_eq!(aborted.version, VersionId::from("2"));
        assert_eq!(aborted.reason, "rollout aborted: customers report timeouts");
    }

    #[tokio::test]
    async fn measurements_keep_infinities_and_missing_values_once_per_instant() {
        use gatehouse_core::rollout::{MeasurementRecord, ReadingHistory};
        let dir = tempfile::tempdir().unwrap();
        let (ws, _) = demo_workspace(dir.path()).await;
        let at = |minute: i64| Timestamp(NOW.0 + minute * 60_000);
        let record = |minute: i64, value: Option<f64>, detail: &str| MeasurementRecord {
            model: ModelName::from("churn"),
            pointer: PointerName::from("production"),
            canary: VersionId::from("3"),
            metric: "error rate".into(),
            at: at(minute),
            value,
            detail: detail.into(),
        };
        for m in [
            record(0, None, "no data: the query gave an empty result"),
            record(1, Some(f64::INFINITY), "q"),
            record(2, Some(1.25), "q"),
            // A second process measuring the same instant stores nothing more.
            record(2, Some(9.0), "q"),
        ] {
            ws.record_measurement(&m).await.unwrap();
        }
        let since = |minute: i64| {
            let ws = &ws;
            async move {
                ws.measurements(
                    &ModelName::from("churn"),
                    &PointerName::from("production"),
                    &VersionId::from("3"),
                    "error rate",
                    at(minute),
                )
                .await
                .unwrap()
                .into_iter()
                .map(|m| (m.at, m.value, m.detail))
                .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            since(0).await,
            [
                (
                    at(0),
                    None,
                    "no data: the query gave an empty result".into()
                ),
                (at(1), Some(f64::INFINITY), "q".into()),
                (at(2), Some(1.25), "q".into()),
            ]
        );
        assert_eq!(since(1).await.len(), 2);
        // Another version's rollout has its own measurements.
        let other = ws
            .measurements(
                &ModelName::from("churn"),
                &PointerName::from("production"),
                &VersionId::from("2"),
                "error rate",
                at(0),
            )
            .await
            .unwrap();
        assert!(other.is_empty());
    }
}
