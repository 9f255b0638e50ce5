//! Benchmarks of the audit log and of promotions on the embedded store, measured, not asserted:
//! `cargo bench -p gatehouse-store --bench audit`.
//!
//! - verify: read and verify a hash chain of 100,000 events (target: under 1 s);
//! - promotion: request, two approvals and the pointer move, end to end.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use gatehouse_core::audit::{verify, AuditAction, AuditDraft, AuditEvent, GENESIS};
use gatehouse_core::demo;
use gatehouse_core::hook::NoHooks;
use gatehouse_core::policy::UserName;
use gatehouse_core::ports::PromotionStore;
use gatehouse_core::promotion::{Desk, Quiet, RequestId};
use gatehouse_core::reading::ModelName;
use gatehouse_core::registry::{PointerName, VersionId};
use gatehouse_core::time::{Clock, SystemClock, Timestamp};
use gatehouse_store::Workspace;
use sqlx::Connection as _;

const EVENTS: i64 = 100_000;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// Appends `n` events after the demo's own, in one transaction, as the store would chain them.
async fn fill(dir: &std::path::Path, existing: &[AuditEvent], n: i64) {
    let url = format!("sqlite://{}", dir.join("gatehouse.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    let mut prev = existing
        .last()
        .map(|e| e.hash.clone())
        .unwrap_or(GENESIS.into());
    let start = existing.len() as i64 + 1;
    for seq in start..start + n {
        let draft = AuditDraft {
            at: Timestamp(1_790_000_000_000 + seq * 1000),
            actor: UserName::from(if seq % 2 == 0 { "priya" } else { "marco" }),
            action: AuditAction::Approved,
            target: "churn@production".into(),
            before: Some("3".into()),
            after: Some("1 of 2".into()),
            reason: Some(format!("checked the validation report for run {seq}")),
            response: None,
            request: Some(RequestId(seq)),
        };
        let e = AuditEvent::seal(draft, seq, prev);
        sqlx::query(
            "INSERT INTO audit_events (seq, at, actor, action, target, before, after, reason, response, request, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )
        .bind(e.seq)
        .bind(e.at.0)
        .bind(e.actor.as_str())
        .bind(e.action.id())
        .bind(&e.target)
        .bind(&e.before)
        .bind(&e.after)
        .bind(&e.reason)
        .bind(&e.response)
        .bind(e.request.map(|r| r.0))
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .execute(&mut *tx)
        .await
        .unwrap();
        prev = e.hash;
    }
    tx.commit().await.unwrap();
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::create_demo(dir.path(), &demo::generate(1, SystemClock.now()))
        .await
        .unwrap();
    let existing = ws.audit_log().await.unwrap();
    fill(dir.path(), &existing, EVENTS).await;

    let mut read = Vec::new();
    let mut check = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let events = ws.audit_log().await.unwrap();
        read.push(t.elapsed());
        let t = Instant::now();
        let v = verify(&events);
        check.push(t.elapsed());
        assert!(v.ok() && v.events as i64 == EVENTS + existing.len() as i64);
    }
    let (read, check) = (median(read), median(check));
    println!(
        "audit verify, {} events: read {:.0} ms + verify {:.0} ms = {:.0} ms (median of 5)",
        EVENTS + existing.len() as i64,
        read.as_secs_f64() * 1e3,
        check.as_secs_f64() * 1e3,
        (read + check).as_secs_f64() * 1e3
    );

    // Promotion latency: a fresh demo, request churn v5 → champion, two approvals, the move.
    let mut times = Vec::new();
    for _ in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::create_demo(dir.path(), &demo::generate(1, SystemClock.now()))
            .await
            .unwrap();
        let policy = ws.policy().unwrap();
        let desk = |who: &str| Desk {
            policy: &policy,
            actor: UserName::from(who),
            now: SystemClock.now(),
            store: &ws,
            registry: &ws,
            observer: &Quiet,
            hooks: &NoHooks,
        };
        let t = Instant::now();
        let req = desk("priya")
            .request(
                &ModelName::from("churn"),
                &VersionId::from("5"),
                &PointerName::from("champion"),
                "bench",
            )
            .await
            .unwrap();
        desk("marco").approve(req.id, None).await.unwrap();
        let done = desk("erin").approve(req.id, None).await.unwrap();
        times.push(t.elapsed());
        assert_eq!(done.state, gatehouse_core::promotion::RequestState::Done);
    }
    println!(
        "promotion end to end (request + 2 approvals + move, embedded registry): {:.1} ms (median of 10)",
        median(times).as_secs_f64() * 1e3
    );
}
