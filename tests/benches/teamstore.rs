//! The team store beside the embedded store, measured, not asserted:
//! `cargo bench -p gatehouse-tests --bench teamstore` (starts its own PostgreSQL).
//!
//! - promotion: request, two approvals and the pointer move, end to end, through the use-cases;
//! - audit append: events appended one transaction each, by one writer and by eight at once
//!   (each event chained to the one before: by the store on SQLite, by the database on
//!   PostgreSQL).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use gatehouse_core::audit::{verify, AuditAction, AuditDraft};
use gatehouse_core::demo;
use gatehouse_core::hook::NoHooks;
use gatehouse_core::policy::{Policy, UserName, POLICY_FILE};
use gatehouse_core::ports::{PromotionStore, Registry, WorkspaceRead};
use gatehouse_core::promotion::{Desk, Quiet, RequestState};
use gatehouse_core::reading::ModelName;
use gatehouse_core::registry::{PointerName, VersionId};
use gatehouse_core::time::{Clock, SystemClock};
use gatehouse_store::team::TeamStore;
use gatehouse_store::Workspace;
use gatehouse_tests::postgres::Postgres;

const PROMOTIONS: usize = 20;
const EVENTS: usize = 2000;
const WRITERS: usize = 8;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn desk<'a, S>(policy: &'a Policy, store: &'a S, who: &str) -> Desk<'a, S, S> {
    Desk {
        policy,
        actor: UserName::from(who),
        now: SystemClock.now(),
        store,
        registry: store,
        observer: &Quiet,
        hooks: &NoHooks,
    }
}

/// Promotes churn's champion back and forth: request by priya, approvals by marco and erin.
async fn promotions<S>(policy: &Policy, priya: &S, marco: &S, erin: &S) -> Duration
where
    S: PromotionStore + WorkspaceRead + Registry + Sync,
{
    let (churn, champion) = (ModelName::from("churn"), PointerName::from("champion"));
    let mut times = Vec::new();
    for _ in 0..PROMOTIONS {
        let now = priya.pointer(&churn, &champion).await.unwrap();
        let to = if now.as_ref().map(|v| v.as_str()) == Some("5") {
            "4"
        } else {
            "5"
        };
        let t = Instant::now();
        let req = desk(policy, priya, "priya")
            .request(&churn, &VersionId::from(to), &champion, "bench")
            .await
            .unwrap();
        desk(policy, marco, "marco")
            .approve(req.id, None)
            .await
            .unwrap();
        let done = desk(policy, erin, "erin")
            .approve(req.id, None)
            .await
            .unwrap();
        times.push(t.elapsed());
        assert_eq!(done.state, RequestState::Done);
    }
    median(times)
}

fn draft(n: usize) -> AuditDraft {
    AuditDraft {
        at: SystemClock.now(),
        actor: UserName::from("marco"),
        action: AuditAction::Denied,
        target: "churn@production".into(),
        before: None,
        after: None,
        reason: Some(format!("bench event {n}")),
        response: None,
        request: None,
    }
}

/// Events per second appended by `writers` stores at once, `EVENTS` in all.
async fn appends<S: PromotionStore + Sync>(writers: &[&S]) -> f64 {
    let per = EVENTS / writers.len();
    let t = Instant::now();
    let tasks = writers.iter().enumerate().map(|(w, store)| async move {
        for i in 0..per {
            store.append_audit(draft(w * per + i)).await.unwrap();
        }
    });
    join_all(tasks).await;
    (per * writers.len()) as f64 / t.elapsed().as_secs_f64()
}

async fn join_all<F: std::future::Future<Output = ()>>(futures: impl Iterator<Item = F>) {
    let mut set: Vec<_> = futures.map(Box::pin).collect();
    std::future::poll_fn(|cx| {
        set.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if set.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let generated = demo::generate(demo::DEFAULT_SEED, SystemClock.now());
    let policy = Policy::parse(&generated.policy, POLICY_FILE).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::create_demo(dir.path(), &generated)
        .await
        .unwrap();
    let sqlite_promotion = promotions(&policy, &ws, &ws, &ws).await;
    let sqlite_one = appends(&[&ws]).await;
    let sqlite_many = appends(&[&ws; WRITERS]).await;
    assert!(verify(&ws.audit_log().await.unwrap()).ok());

    let server = Postgres::start_durable();
    server
        .team_store(&policy, &[], &generated.models, &generated.readings)
        .await;
    let login = |user: &str| {
        let login = server.team_login(user);
        async move { TeamStore::connect(&login).await }
    };
    let (priya, marco, erin) = (
        login("priya").await.unwrap(),
        login("marco").await.unwrap(),
        login("erin").await.unwrap(),
    );
    let pg_promotion = promotions(&policy, &priya, &marco, &erin).await;
    let pg_one = appends(&[&marco]).await;
    let mut writers = Vec::new();
    for _ in 0..WRITERS {
        writers.push(login("marco").await.unwrap());
    }
    let pg_many = appends(&writers.iter().collect::<Vec<_>>()).await;
    assert!(verify(&marco.audit_log().await.unwrap()).ok());

    println!("                                   SQLite      PostgreSQL (loopback, fsync on)");
    println!(
        "promotion end to end (median of {PROMOTIONS}) {:>7.1} ms  {:>7.1} ms",
        sqlite_promotion.as_secs_f64() * 1e3,
        pg_promotion.as_secs_f64() * 1e3
    );
    println!("audit append, 1 writer             {sqlite_one:>7.0} /s   {pg_one:>7.0} /s");
    println!(
        "audit append, {WRITERS} writers            {sqlite_many:>7.0} /s   {pg_many:>7.0} /s"
    );
}
