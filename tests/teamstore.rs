//! The team store on a real PostgreSQL server: the promotion journey run unchanged against the
//! embedded SQLite store and the team store; the rules the database keeps against raw SQL from
//! each login; concurrent approvals and stale requests; change notices; migrations and the errors
//! around them.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use gatehouse_core::audit::{verify, AuditAction};
use gatehouse_core::demo::{self, DemoAction, DemoWorkspace};
use gatehouse_core::hook::NoHooks;
use gatehouse_core::policy::{Policy, UserName, POLICY_FILE};
use gatehouse_core::ports::{PromotionStore, Registry, WorkspaceRead};
use gatehouse_core::promotion::{Desk, Quiet, RequestId, RequestState};
use gatehouse_core::reading::ModelName;
use gatehouse_core::registry::{PointerName, VersionId};
use gatehouse_core::time::Timestamp;
use gatehouse_core::ErrorCode;
use gatehouse_store::team::{expected_schema, init_roles_sql, ChangeKind, TeamLogin, TeamStore};
use gatehouse_store::Workspace;
use gatehouse_tests::postgres::{Postgres, OWNER, TEAM_DATABASE as DATABASE};
use sqlx::Connection as _;

const NOW: Timestamp = Timestamp(1_795_000_000_000);
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

/// A team store on its own server: the demo's policy, roles and logins (plus `mallory`, a login
/// the policy does not know, and any `extra` approvers), the schema migrated by its owner, and
/// the demo's registry, readings and history written through the real use-cases.
struct Team {
    server: Postgres,
    policy: Policy,
}

impl Team {
    async fn start(extra_approvers: &[String]) -> Team {
        let server = Postgres::start();
        let generated = demo::generate(demo::DEFAULT_SEED, NOW);
        let mut policy = Policy::parse(&generated.policy, POLICY_FILE).unwrap();
        for name in extra_approvers {
            let mut user = policy.users[&UserName::from("priya")].clone();
            user.display_name = name.clone();
            policy.users.insert(UserName::from(name.as_str()), user);
        }
        server
            .team_store(
                &policy,
                &["mallory"],
                &generated.models,
                &generated.readings,
            )
            .await;
        let team = Team { server, policy };
        team.replay(&generated).await;
        team
    }

    fn login_of(&self, user: &str) -> TeamLogin {
        self.server.team_login(user)
    }

    async fn store(&self, user: &str) -> TeamStore {
        TeamStore::connect(&self.login_of(user)).await.unwrap()
    }

    /// The demo's history, each step by its own login.
    async fn replay(&self, demo: &DemoWorkspace) {
        for step in &demo.history {
            let store = self.store(step.actor.as_str()).await;
            let desk = desk(&self.policy, &store, step.actor.as_str(), step.at);
            match &step.action {
                DemoAction::Request {
                    model,
                    version,
                    pointer,
                    reason,
                } => desk.request(model, version, pointer, reason).await.unwrap(),
                DemoAction::Approve { request, reason } => {
                    desk.approve(*request, reason.as_deref()).await.unwrap()
                }
            };
            store.close().await;
        }
    }

    /// A raw connection as `user`, for SQL that bypasses the core.
    async fn raw(&self, user: &str) -> sqlx::PgConnection {
        self.server.raw(user).await
    }
}

fn desk<'a, S>(policy: &'a Policy, store: &'a S, user: &str, now: Timestamp) -> Desk<'a, S, S> {
    Desk {
        policy,
        actor: UserName::from(user),
        now,
        store,
        registry: store,
        observer: &Quiet,
        hooks: &NoHooks,
    }
}

fn at(minutes: i64) -> Timestamp {
    Timestamp(NOW.0 + minutes * 60_000)
}

async fn pointer<S: Registry>(store: &S, name: &str) -> Option<String> {
    store
        .pointer(&ModelName::from("churn"), &PointerName::from(name))
        .await
        .unwrap()
        .map(|v| v.0)
}

/// What the journey leaves in the audit log, without the hashes and back-end answers that
/// differ between stores.
type Trail = Vec<(String, &'static str, String, Option<String>, Option<String>)>;

/// Four-eyes approvals move a pointer, refusals are recorded, rollback moves it back, and the
/// audit chain verifies: the journey of `gatehouse-cli/tests/cli/promotions.rs`, over the ports.
/// `as_user` gives the store a person acts through (one shared file, or their own login).
async fn promotion_journey<'a, S, F, Fut>(policy: &Policy, as_user: F) -> Trail
where
    S: PromotionStore + WorkspaceRead + Registry + Sync + 'a,
    F: Fn(&'static str) -> Fut,
    Fut: std::future::Future<Output = &'a S>,
{
    let churn = ModelName::from("churn");
    let champion = PointerName::from("champion");
    let d = |store: &'a S, user: &str, minute: i64| desk(policy, store, user, at(minute));
    let priya = as_user("priya").await;
    assert_eq!(pointer(priya, "champion").await.as_deref(), Some("3"));

    let req = d(priya, "priya", 1)
        .request(
            &churn,
            &VersionId::from("5"),
            &champion,
            "v5 beats v3 on every segment",
        )
        .await
        .unwrap();
    assert_eq!(req.state, RequestState::Requested);
    assert_eq!(req.from_version, Some(VersionId::from("3")));
    let id = req.id;

    // The requester may not approve; a viewer may not either; a stranger may not ask.
    let own = d(priya, "priya", 2).approve(id, None).await.unwrap_err();
    assert_eq!(own.code(), ErrorCode::PermissionDenied);
    assert!(own.to_string().contains("four-eyes"), "{own}");
    let sam = as_user("sam").await;
    let viewer = d(sam, "sam", 2).approve(id, None).await.unwrap_err();
    assert_eq!(viewer.code(), ErrorCode::PermissionDenied);
    let mallory = as_user("mallory").await;
    let stranger = d(mallory, "mallory", 2)
        .request(
            &churn,
            &VersionId::from("5"),
            &PointerName::from("staging"),
            "x",
        )
        .await
        .unwrap_err();
    assert_eq!(stranger.code(), ErrorCode::PermissionDenied);

    // One approval of two leaves it waiting; the second executes the move.
    let marco = as_user("marco").await;
    let first = d(marco, "marco", 3)
        .approve(id, Some("canary plan ok"))
        .await
        .unwrap();
    assert_eq!(first.state, RequestState::Requested);
    assert_eq!(pointer(marco, "champion").await.as_deref(), Some("3"));
    let erin = as_user("erin").await;
    let second = d(erin, "erin", 4).approve(id, None).await.unwrap();
    assert_eq!(second.state, RequestState::Done);
    let approvers: Vec<&str> = second.approvals.iter().map(|a| a.by.as_str()).collect();
    assert_eq!(approvers, ["marco", "erin"]);
    assert_eq!(pointer(erin, "champion").await.as_deref(), Some("5"));

    // The demo's open production request completes with a second approver.
    let done = d(marco, "marco", 5)
        .approve(RequestId(2), None)
        .await
        .unwrap();
    assert_eq!(done.state, RequestState::Done);
    assert_eq!(pointer(marco, "production").await.as_deref(), Some("4"));

    // Rollback returns production to the version it held before, taken from the audit log.
    let dana = as_user("dana").await;
    let back = d(dana, "dana", 6)
        .rollback(&churn, None, None, "error rate doubled")
        .await
        .unwrap();
    assert_eq!(back.state, RequestState::Done);
    assert_eq!(pointer(dana, "production").await.as_deref(), Some("3"));
    let refused = d(sam, "sam", 7)
        .rollback(&churn, None, None, "x")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::PermissionDenied);

    let log = sam.audit_log().await.unwrap();
    assert!(verify(&log).ok(), "{:?}", verify(&log));
    let actions: Vec<&str> = log
        .iter()
        .filter(|e| e.request == Some(id))
        .map(|e| e.action.id())
        .collect();
    assert_eq!(
        actions,
        [
            "requested",
            "denied",
            "denied",
            "approved",
            "approved",
            "executed"
        ]
    );
    assert_eq!(
        log.iter()
            .filter(|e| e.action == AuditAction::Denied)
            .count(),
        4
    );
    log.into_iter()
        .map(|e| (e.actor.0, e.action.id(), e.target, e.before, e.after))
        .collect()
}

#[test]
fn the_promotion_journey_is_the_same_on_sqlite_and_postgresql() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let generated = demo::generate(demo::DEFAULT_SEED, NOW);
        let ws = Workspace::create_demo(dir.path(), &generated)
            .await
            .unwrap();
        let policy = ws.policy().unwrap();
        let embedded = promotion_journey(&policy, |_| async { &ws }).await;

        let team = Team::start(&[]).await;
        let mut stores = BTreeMap::new();
        for user in ["priya", "sam", "mallory", "marco", "erin", "dana"] {
            stores.insert(user, team.store(user).await);
        }
        let shared = promotion_journey(&team.policy, |user| {
            let store = &stores[user];
            async move { store }
        })
        .await;
        assert_eq!(shared, embedded);
    });
}

/// Runs SQL as a login, bypassing the core, and returns the database's error code; panics if the
/// database accepts it.
async fn refused(conn: &mut sqlx::PgConnection, sql: &str) -> String {
    match sqlx::raw_sql(sql).execute(&mut *conn).await {
        Ok(_) => panic!("the database accepted: {sql}"),
        Err(sqlx::Error::Database(db)) => db.code().unwrap_or_default().into_owned(),
        Err(e) => panic!("{sql}: {e}"),
    }
}

const FORBIDDEN: &str = "42501";
const DUPLICATE: &str = "23505";

#[test]
fn the_database_refuses_what_a_modified_client_tries_with_raw_sql() {
    runtime().block_on(async {
        let team = Team::start(&[]).await;
        let priya = team.store("priya").await;
        let id = desk(&team.policy, &priya, "priya", at(1))
            .request(
                &ModelName::from("churn"),
                &VersionId::from("5"),
                &PointerName::from("champion"),
                "v5",
            )
            .await
            .unwrap()
            .id
            .0;
        let log_before = priya.audit_log().await.unwrap().len();

        // The requester approving their own request, in their own name.
        let mut as_priya = team.raw("priya").await;
        let own = format!("INSERT INTO approvals VALUES ({id}, 'priya', 1, NULL)");
        assert_eq!(refused(&mut as_priya, &own).await, FORBIDDEN);
        // A request that asks for no approvals at all.
        let easy = "INSERT INTO requests (kind, model, version, pointer, from_version, reason, requester, requested_at, state, required_approvals)
                    VALUES ('promotion', 'churn', '4', 'staging', NULL, 'r', 'priya', 1, 'requested', 0)";
        assert_eq!(refused(&mut as_priya, easy).await, FORBIDDEN);
        let approved = easy.replace("'requested', 0", "'approved', 2");
        assert_eq!(refused(&mut as_priya, &approved).await, FORBIDDEN);

        // An approver approving once is fine; twice, or in someone else's name, is not.
        let mut as_marco = team.raw("marco").await;
        sqlx::raw_sql(&format!(
            "INSERT INTO approvals VALUES ({id}, 'marco', 2, 'ok')"
        ))
        .execute(&mut as_marco)
        .await
        .unwrap();
        let twice = format!("INSERT INTO approvals VALUES ({id}, 'marco', 3, 'again')");
        assert_eq!(refused(&mut as_marco, &twice).await, DUPLICATE);
        let for_erin = format!("INSERT INTO approvals VALUES ({id}, 'erin', 3, NULL)");
        assert_eq!(refused(&mut as_marco, &for_erin).await, FORBIDDEN);
        // One approval of two does not make it approved, nor can it skip to done.
        for state in ["approved", "executing", "done"] {
            let jump = format!("UPDATE requests SET state = '{state}' WHERE id = {id}");
            assert_eq!(refused(&mut as_marco, &jump).await, FORBIDDEN, "{state}");
        }
        let fewer = format!("UPDATE requests SET required_approvals = 1 WHERE id = {id}");
        assert_eq!(refused(&mut as_marco, &fewer).await, FORBIDDEN);
        // Pointers move only through an executing request.
        for sql in [
            "UPDATE pointers SET version = '5' WHERE model = 'churn' AND name = 'champion'".to_owned(),
            "INSERT INTO pointers VALUES ('churn', 'staging', '5')".to_owned(),
            format!("SELECT move_pointer({id}, 'churn', 'champion', '5')"),
        ] {
            assert_eq!(refused(&mut as_marco, &sql).await, FORBIDDEN, "{sql}");
        }
        // The audit log: no edits, no deletes, no events in another's name.
        for sql in [
            "UPDATE audit_events SET reason = 'approved by the board' WHERE seq = 3",
            "DELETE FROM audit_events WHERE seq = 2",
            "TRUNCATE audit_events",
            "INSERT INTO audit_events (seq, at, actor, action, target, prev_hash, hash) VALUES (0, 1, 'erin', 'approved', 'churn@champion', '', '')",
        ] {
            assert_eq!(refused(&mut as_marco, sql).await, FORBIDDEN, "{sql}");
        }
        // An event in one's own name gets its place and hashes from the database, whatever the
        // client sends, so the chain stays whole.
        sqlx::raw_sql("INSERT INTO audit_events (seq, at, actor, action, target, prev_hash, hash) VALUES (1, 1, 'marco', 'denied', 'forged', 'x', 'y')")
            .execute(&mut as_marco)
            .await
            .unwrap();

        // Roles are the database's: a viewer and an operator may not approve; an operator may not
        // reject; a viewer may not roll back.
        let mut as_sam = team.raw("sam").await;
        let sam = format!("INSERT INTO approvals VALUES ({id}, 'sam', 4, NULL)");
        assert_eq!(refused(&mut as_sam, &sam).await, FORBIDDEN);
        let rollback = "INSERT INTO requests (kind, model, version, pointer, from_version, reason, requester, requested_at, state, required_approvals)
                        VALUES ('rollback', 'churn', '2', 'production', '3', 'r', 'sam', 1, 'approved', 0)";
        assert_eq!(refused(&mut as_sam, rollback).await, FORBIDDEN);
        let mut as_dana = team.raw("dana").await;
        let dana = format!("INSERT INTO approvals VALUES ({id}, 'dana', 4, NULL)");
        assert_eq!(refused(&mut as_dana, &dana).await, FORBIDDEN);
        let reject = format!(
            "UPDATE requests SET state = 'rejected', rejected_by = 'dana', rejected_at = 4, rejection_reason = 'no' WHERE id = {id}"
        );
        assert_eq!(refused(&mut as_dana, &reject).await, FORBIDDEN);
        // Only the owner's tables say who holds which role.
        assert_eq!(
            refused(&mut as_dana, "INSERT INTO permissions VALUES ('approve', 'operator')").await,
            FORBIDDEN
        );

        // The core sees the same state, and the chain (with the forged event in its place) holds.
        let log = priya.audit_log().await.unwrap();
        assert!(verify(&log).ok(), "{:?}", verify(&log));
        assert_eq!(log.len(), log_before + 1);
        let forged = log.last().unwrap();
        assert_eq!((forged.seq, forged.actor.as_str()), (log_before as i64 + 1, "marco"));
        assert_eq!(pointer(&priya, "champion").await.as_deref(), Some("3"));
        let req = priya.request(RequestId(id)).await.unwrap().unwrap();
        assert_eq!(req.state, RequestState::Requested);
        assert_eq!(req.approvals.len(), 1);

        // `--user` has no meaning here: a login acting in another's name is refused as well.
        let as_erin = desk(&team.policy, &priya, "erin", at(5))
            .approve(RequestId(id), None)
            .await
            .unwrap_err();
        assert_eq!(as_erin.code(), ErrorCode::PermissionDenied, "{as_erin}");

        // A request approved after someone else moved the pointer is refused as stale.
        let dana = team.store("dana").await;
        desk(&team.policy, &dana, "dana", at(6))
            .rollback(
                &ModelName::from("churn"),
                Some(&PointerName::from("champion")),
                Some(&VersionId::from("2")),
                "hotfix",
            )
            .await
            .unwrap();
        let erin = team.store("erin").await;
        let stale = desk(&team.policy, &erin, "erin", at(7))
            .approve(RequestId(id), None)
            .await
            .unwrap_err();
        assert_eq!(stale.code(), ErrorCode::Blocked, "{stale}");
        assert!(stale.to_string().contains("stale"), "{stale}");
        assert_eq!(pointer(&erin, "champion").await.as_deref(), Some("2"));
    });
}

#[test]
fn a_hundred_concurrent_approvals_execute_once_and_lose_nothing() {
    runtime().block_on(async {
        let approvers: Vec<String> = (1..=50).map(|i| format!("approver{i:02}")).collect();
        let team = Team::start(&approvers).await;
        let dana = team.store("dana").await;
        let id = desk(&team.policy, &dana, "dana", at(1))
            .request(
                &ModelName::from("churn"),
                &VersionId::from("5"),
                &PointerName::from("champion"),
                "v5",
            )
            .await
            .unwrap()
            .id;
        let mut stores = Vec::new();
        for name in &approvers {
            stores.push((name.clone(), team.store(name).await));
        }
        let policy = &team.policy;
        let started = Instant::now();
        // Every approver tries twice at once: 100 attempts.
        let attempts = stores.iter().flat_map(|(name, store)| {
            (0..2).map(move |k| async move {
                desk(policy, store, name, at(2 + k))
                    .approve(id, Some("lgtm"))
                    .await
            })
        });
        let results = futures_join_all(attempts).await;
        let elapsed = started.elapsed();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        for e in results.iter().filter_map(|r| r.as_ref().err()) {
            assert!(
                matches!(e.code(), ErrorCode::Invalid | ErrorCode::PermissionDenied),
                "{:?}: {e}",
                e.code()
            );
        }

        let req = dana.request(id).await.unwrap().unwrap();
        assert_eq!(req.state, RequestState::Done, "{:?}", req.outcome);
        assert_eq!(pointer(&dana, "champion").await.as_deref(), Some("5"));
        let log = dana.audit_log().await.unwrap();
        assert!(verify(&log).ok(), "{:?}", verify(&log));
        let of = |action: AuditAction| {
            log.iter()
                .filter(|e| e.request == Some(id) && e.action == action)
                .count()
        };
        assert_eq!(of(AuditAction::Executed), 1);
        assert_eq!(of(AuditAction::Approved), req.approvals.len());
        assert_eq!(
            ok,
            req.approvals.len(),
            "every accepted approval is on record"
        );
        assert!(req.approvals.len() >= 2);
        let mut raw = team.raw("dana").await;
        let moves: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM pointer_moves WHERE request = {}",
            id.0
        ))
        .fetch_one(&mut raw)
        .await
        .unwrap();
        assert_eq!(moves, 1);
        eprintln!(
            "100 concurrent approvals: {} accepted, {} refused, one execution, {} ms",
            ok,
            results.len() - ok,
            elapsed.as_millis()
        );
    });
}

/// Runs futures concurrently on the current task and collects their outputs in order.
async fn futures_join_all<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut outputs: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if outputs[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(out) => outputs[i] = Some(out),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(|o| o.unwrap()).collect()
}

#[test]
fn a_rollback_racing_a_final_approval_never_moves_a_pointer_from_where_it_was_not() {
    runtime().block_on(async {
        let team = Team::start(&[]).await;
        let [priya, marco, erin, dana] = [
            team.store("priya").await,
            team.store("marco").await,
            team.store("erin").await,
            team.store("dana").await,
        ];
        let churn = ModelName::from("churn");
        let champion = PointerName::from("champion");
        let mut stale = 0;
        for round in 0..25 {
            let minute = 10 * round;
            let current = pointer(&priya, "champion").await.unwrap();
            let wanted = if current == "5" { "4" } else { "5" };
            let back = ["2", "3", "4"]
                .into_iter()
                .find(|v| *v != current && *v != wanted)
                .unwrap();
            let id = desk(&team.policy, &priya, "priya", at(minute))
                .request(&churn, &VersionId::from(wanted), &champion, "race")
                .await
                .unwrap()
                .id;
            desk(&team.policy, &marco, "marco", at(minute + 1))
                .approve(id, None)
                .await
                .unwrap();
            let approve = async {
                desk(&team.policy, &erin, "erin", at(minute + 2))
                    .approve(id, None)
                    .await
            };
            let rollback = async {
                desk(&team.policy, &dana, "dana", at(minute + 2))
                    .rollback(
                        &churn,
                        Some(&champion),
                        Some(&VersionId::from(back)),
                        "race",
                    )
                    .await
            };
            let (approved, rolled) = tokio::join!(approve, rollback);
            for r in [&approved, &rolled] {
                if let Err(e) = r {
                    assert_eq!(e.code(), ErrorCode::Blocked, "{e}");
                    assert!(e.to_string().contains("stale"), "{e}");
                    stale += 1;
                }
            }
            let req = priya.request(id).await.unwrap().unwrap();
            assert!(
                matches!(req.state, RequestState::Done | RequestState::Failed),
                "{:?}",
                req.state
            );
        }
        // The registry's own record: every move starts where the one before ended.
        let mut raw = team.raw("sam").await;
        let moves: Vec<(Option<String>, String, i64)> = sqlx::query_as(
            "SELECT from_version, to_version, request FROM pointer_moves
             WHERE model = 'churn' AND pointer = 'champion' ORDER BY id",
        )
        .fetch_all(&mut raw)
        .await
        .unwrap();
        for pair in moves.windows(2) {
            assert_eq!(pair[1].0.as_deref(), Some(pair[0].1.as_str()), "{moves:?}");
        }
        assert_eq!(
            pointer(&priya, "champion").await.as_deref(),
            moves.last().map(|m| m.1.as_str())
        );
        for req in priya.requests().await.unwrap() {
            let moved = moves.iter().filter(|m| m.2 == req.id.0).count();
            let expected = usize::from(req.state == RequestState::Done && req.pointer == champion);
            assert_eq!(moved, expected, "{:?} {:?}", req.id, req.state);
        }
        assert!(verify(&priya.audit_log().await.unwrap()).ok());
        eprintln!("25 races of a final approval against a rollback: {stale} refused as stale");
    });
}

#[test]
fn another_connection_hears_of_requests_approvals_moves_and_audit_events_within_a_second() {
    runtime().block_on(async {
        let team = Team::start(&[]).await;
        let sam = team.store("sam").await;
        let mut listener = sam.listen().await.unwrap();
        let priya = team.store("priya").await;
        let marco = team.store("marco").await;
        let erin = team.store("erin").await;

        async fn heard(
            listener: &mut gatehouse_store::team::TeamListener,
            since: Instant,
            kinds: &[ChangeKind],
        ) -> Vec<(ChangeKind, String, String)> {
            let mut seen = Vec::new();
            let deadline = since + Duration::from_secs(1);
            while !kinds.iter().all(|k| seen.iter().any(|(s, _, _)| s == k)) {
                let left = deadline.saturating_duration_since(Instant::now());
                let change = tokio::time::timeout(left, listener.next())
                    .await
                    .unwrap_or_else(|_| panic!("not all of {kinds:?} within a second: {seen:?}"))
                    .unwrap();
                seen.push((change.kind, change.id, change.login));
            }
            seen
        }

        let revision = sam.revision().await.unwrap();
        let started = Instant::now();
        let req = desk(&team.policy, &priya, "priya", at(1))
            .request(
                &ModelName::from("churn"),
                &VersionId::from("5"),
                &PointerName::from("champion"),
                "v5",
            )
            .await
            .unwrap();
        let seen = heard(
            &mut listener,
            started,
            &[ChangeKind::Request, ChangeKind::Audit],
        )
        .await;
        assert!(seen.contains(&(ChangeKind::Request, req.id.0.to_string(), "priya".into())));
        assert!(
            sam.revision().await.unwrap() > revision,
            "a polling panel sees it too"
        );

        let started = Instant::now();
        desk(&team.policy, &marco, "marco", at(2))
            .approve(req.id, None)
            .await
            .unwrap();
        let seen = heard(
            &mut listener,
            started,
            &[ChangeKind::Approval, ChangeKind::Audit],
        )
        .await;
        assert!(seen.contains(&(ChangeKind::Approval, req.id.0.to_string(), "marco".into())));

        let started = Instant::now();
        desk(&team.policy, &erin, "erin", at(3))
            .approve(req.id, None)
            .await
            .unwrap();
        let seen = heard(&mut listener, started, &[ChangeKind::Pointer]).await;
        assert!(seen.contains(&(ChangeKind::Pointer, "churn@champion".into(), "erin".into())));
        eprintln!(
            "pointer move heard after {} ms",
            started.elapsed().as_millis()
        );
    });
}

#[test]
fn migrations_are_idempotent_and_a_wrong_schema_or_server_is_named() {
    runtime().block_on(async {
        let team = Team::start(&[]).await;
        // The administrator's SQL may run again.
        let mut su = sqlx::PgConnection::connect(&team.server.superuser_url(DATABASE))
            .await
            .unwrap();
        sqlx::raw_sql(&init_roles_sql(&team.policy))
            .execute(&mut su)
            .await
            .unwrap();
        let owner = team.login_of(OWNER);
        let again = TeamStore::migrate(&owner).await.unwrap();
        assert_eq!(
            (again.from, again.to),
            (Some(expected_schema()), expected_schema())
        );

        let mut raw = team.raw(OWNER).await;
        sqlx::raw_sql("UPDATE _sqlx_migrations SET version = version - 1000")
            .execute(&mut raw)
            .await
            .unwrap();
        let older = TeamStore::connect(&team.login_of("priya"))
            .await
            .unwrap_err();
        assert!(
            older.to_string().contains("older")
                && older.to_string().contains("gatehouse store migrate"),
            "{older}"
        );
        sqlx::raw_sql("UPDATE _sqlx_migrations SET version = version + 2000")
            .execute(&mut raw)
            .await
            .unwrap();
        let newer = TeamStore::connect(&team.login_of("priya"))
            .await
            .unwrap_err();
        assert!(
            newer.to_string().contains("newer") && newer.to_string().contains("upgrade gatehouse"),
            "{newer}"
        );
        assert!(TeamStore::migrate(&owner)
            .await
            .unwrap_err()
            .to_string()
            .contains("newer"));

        let wrong = TeamLogin {
            password: "not-it".into(),
            ..team.login_of("priya")
        };
        let err = gatehouse_core::Error::from(TeamStore::connect(&wrong).await.unwrap_err());
        assert_eq!(err.code(), ErrorCode::PermissionDenied, "{err}");

        let nobody = TeamLogin {
            url: format!("postgres://127.0.0.1:{}/team", free_port()),
            ..team.login_of("priya")
        };
        let err = gatehouse_core::Error::from(TeamStore::connect(&nobody).await.unwrap_err());
        assert_eq!(err.code(), ErrorCode::Unreachable, "{err}");
        assert!(err.to_string().contains("does not answer"), "{err}");
    });
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_store_section_names_a_url_and_a_keyring_entry_never_a_password() {
    let lines = demo::POLICY.lines().count();
    let parse = |section: &str| Policy::parse(&format!("{}\n{section}", demo::POLICY), POLICY_FILE);
    let ok = parse("[store]\nurl = \"postgres://db.acme.example:5432/gatehouse\"\ncredential = \"team-store\"\n")
        .unwrap();
    let spec = ok.store.unwrap();
    assert_eq!(spec.url, "postgres://db.acme.example:5432/gatehouse");
    assert_eq!(spec.credential, "team-store");
    assert_eq!(
        Policy::parse(demo::POLICY, POLICY_FILE).unwrap().store,
        None
    );

    for (section, needle) in [
        (
            "[store]\nurl = \"postgres://priya:s3cret@db:5432/gatehouse\"\ncredential = \"team-store\"\n",
            "must name no user or password",
        ),
        (
            "[store]\nurl = \"postgres://db/gatehouse?password=s3cret\"\ncredential = \"team-store\"\n",
            "must name no user or password",
        ),
        (
            "[store]\nurl = \"mysql://db/gatehouse\"\ncredential = \"team-store\"\n",
            "must be a postgres:// URL",
        ),
        (
            "[store]\nurl = \"postgres://db/gatehouse\"\ncredential = \"a b\"\n",
            "names a keyring entry",
        ),
    ] {
        let err = parse(section).unwrap_err();
        assert!(err.message.contains(needle), "{err}");
        assert!(err.line > lines, "{err}");
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }
    let missing = parse("[store]\nurl = \"postgres://db/gatehouse\"\n").unwrap_err();
    assert!(missing.message.contains("credential"), "{missing}");
}

#[test]
fn a_rule_rolls_back_under_the_login_that_runs_it_if_that_login_may_roll_back() {
    use gatehouse_core::rollout::RULE_ACTOR;
    runtime().block_on(async {
        let team = Team::start(&[]).await;
        let churn = ModelName::from("churn");
        let two = VersionId::from("2");
        // The core lends the rule the rights to roll back, as `Rollout::evaluate` does when the
        // policy allows automatic rollback.
        let mut policy = team.policy.clone();
        let rule = UserName::from(RULE_ACTOR);
        policy.users.insert(
            rule.clone(),
            gatehouse_core::policy::User {
                name: rule,
                display_name: "the rollout rule".into(),
                roles: policy.promotion.rollback.clone(),
            },
        );
        // On a viewer's desktop the database refuses the rule all the same.
        let sam = team.store("sam").await;
        let err = desk(&policy, &sam, RULE_ACTOR, at(1))
            .rollback(&churn, None, Some(&two), "canary failed")
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::PermissionDenied, "{err}");
        assert_eq!(pointer(&sam, "production").await.as_deref(), Some("3"));
        // On an operator's desktop it goes through, recorded as the rule.
        let dana = team.store("dana").await;
        let done = desk(&policy, &dana, RULE_ACTOR, at(2))
            .rollback(&churn, None, Some(&two), "canary failed")
            .await
            .unwrap();
        assert_eq!(done.state, RequestState::Done);
        assert_eq!(done.requester.as_str(), RULE_ACTOR);
        assert_eq!(pointer(&dana, "production").await.as_deref(), Some("2"));
    });
}

#[test]
fn only_a_login_that_may_execute_a_request_settles_it_or_moves_its_pointer() {
    runtime().block_on(async {
        let team = Team::start(&[]).await;
        let priya = team.store("priya").await;
        let id = desk(&team.policy, &priya, "priya", at(1))
            .request(
                &ModelName::from("churn"),
                &VersionId::from("5"),
                &PointerName::from("champion"),
                "v5",
            )
            .await
            .unwrap()
            .id
            .0;
        let mut as_marco = team.raw("marco").await;
        let mut as_erin = team.raw("erin").await;
        let mut as_sam = team.raw("sam").await;
        for (user, sql) in [
            (
                "marco",
                format!("INSERT INTO approvals VALUES ({id}, 'marco', 2, NULL)"),
            ),
            (
                "erin",
                format!("INSERT INTO approvals VALUES ({id}, 'erin', 3, NULL)"),
            ),
            (
                "marco",
                format!("UPDATE requests SET state = 'approved' WHERE id = {id}"),
            ),
        ] {
            let conn = if user == "marco" {
                &mut as_marco
            } else {
                &mut as_erin
            };
            sqlx::raw_sql(&sql).execute(&mut *conn).await.unwrap();
        }
        // A viewer may neither fail it as stale nor start it, nor move its pointer.
        for sql in [
            format!("UPDATE requests SET state = 'failed', outcome = 'stale' WHERE id = {id}"),
            format!("UPDATE requests SET state = 'executing' WHERE id = {id}"),
        ] {
            assert_eq!(refused(&mut as_sam, &sql).await, FORBIDDEN, "{sql}");
        }
        let executing = format!("UPDATE requests SET state = 'executing' WHERE id = {id}");
        sqlx::raw_sql(&executing)
            .execute(&mut as_marco)
            .await
            .unwrap();
        let mv = format!("SELECT move_pointer({id}, 'churn', 'champion', '5')");
        assert_eq!(refused(&mut as_sam, &mv).await, FORBIDDEN);
        sqlx::raw_sql(&mv).execute(&mut as_marco).await.unwrap();
        assert_eq!(pointer(&priya, "champion").await.as_deref(), Some("5"));
    });
}

/// The keyring of these tests: entry `test/USER` holds the login USER with its test password.
/// The opening code reads it exactly as it reads the OS keyring's entries.
fn test_keyring(entry: &str) -> Result<(String, String), gatehouse_core::Error> {
    match entry.strip_prefix("test/") {
        Some(user) => Ok((user.to_owned(), gatehouse_tests::postgres::password(user))),
        None => Err(gatehouse_core::Error::Invalid(format!(
            "no credential under entry `{entry}`"
        ))),
    }
}

/// A workspace whose policy names the team store at `url`, logging in with `entry`.
async fn workspace_on(url: &str, entry: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let generated = demo::generate(demo::DEFAULT_SEED, NOW);
    Workspace::create_demo(dir.path(), &generated)
        .await
        .unwrap()
        .close()
        .await;
    let path = dir.path().join(POLICY_FILE);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!(
        "\n[store]\nurl = \"{url}\"\ncredential = \"{entry}\"\n"
    ));
    std::fs::write(&path, text).unwrap();
    dir
}

#[test]
fn a_workspace_opens_on_its_team_store_as_the_login_and_names_what_keeps_it_closed() {
    runtime().block_on(async {
        let team = Team::start(&[]).await;
        let url = team.server.url(DATABASE);
        let ws = workspace_on(&url, "test/erin").await;

        // The login is the user; a name that matches it is accepted, another is refused.
        let erin = gatehouse_store::actor(ws.path(), None, test_keyring).unwrap();
        assert_eq!(erin.as_str(), "erin");
        assert_eq!(
            gatehouse_store::actor(ws.path(), Some("erin".into()), test_keyring).unwrap(),
            erin
        );
        let other =
            gatehouse_store::actor(ws.path(), Some("priya".into()), test_keyring).unwrap_err();
        assert_eq!(other.code(), ErrorCode::Invalid);
        assert!(
            other.to_string().contains("`priya`") && other.to_string().contains("`erin`"),
            "{other}"
        );

        // The opened workspace reads and writes the team's data.
        let opened = gatehouse_store::open(ws.path(), test_keyring)
            .await
            .unwrap();
        assert_eq!(opened.team().unwrap().login().as_str(), "erin");
        assert_eq!(
            opened.requests().await.unwrap(),
            team.store("sam").await.requests().await.unwrap()
        );
        opened.close().await;

        // A missing credential, a silent server and another schema are named, not guessed.
        let missing = workspace_on(&url, "nowhere/erin").await;
        let err = gatehouse_store::open(missing.path(), test_keyring)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("nowhere/erin"), "{err}");
        let silent = workspace_on(
            &format!("postgres://127.0.0.1:{}/team", free_port()),
            "test/erin",
        )
        .await;
        let err = gatehouse_store::open(silent.path(), test_keyring)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::Unreachable, "{err}");
        let mut raw = team.raw(OWNER).await;
        sqlx::raw_sql("UPDATE _sqlx_migrations SET version = version + 1000")
            .execute(&mut raw)
            .await
            .unwrap();
        let err = gatehouse_store::open(ws.path(), test_keyring)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::Storage, "{err}");
        assert!(err.to_string().contains("newer"), "{err}");
    });
}

#[test]
fn each_login_sees_who_else_looks_at_a_request_until_the_look_expires() {
    use gatehouse_core::presence::Looking;
    runtime().block_on(async {
        let team = Team::start(&[]).await;
        let (priya, marco, erin) = (
            team.store("priya").await,
            team.store("marco").await,
            team.store("erin").await,
        );
        let open: Vec<RequestId> = priya
            .requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.state == RequestState::Requested)
            .map(|r| r.id)
            .collect();
        let req = open[0];
        let fresh = Duration::from_secs(3);

        assert_eq!(priya.look_at(&[req], fresh).await.unwrap(), []);
        let seen = marco.look_at(&[req], fresh).await.unwrap();
        assert_eq!(
            seen,
            [Looking {
                request: req,
                users: vec![UserName::from("priya")],
            }]
        );
        // Nobody sees themselves; a login that looks elsewhere is no longer here.
        assert_eq!(
            priya.look_at(&[req], fresh).await.unwrap()[0].users,
            [UserName::from("marco")]
        );
        erin.look_at(&[req], fresh).await.unwrap();
        marco.look_at(&[], fresh).await.unwrap();
        assert_eq!(
            priya.look_at(&[req], fresh).await.unwrap()[0].users,
            [UserName::from("erin")]
        );

        // A look that is not renewed expires: erin's beat is now older than a second.
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert_eq!(
            priya.look_at(&[req], Duration::from_secs(1)).await.unwrap(),
            []
        );

        // A login speaks only for itself: raw SQL may neither write a look nor beat for another.
        let mut raw = team.raw("marco").await;
        let err = refused(
            &mut raw,
            &format!(
                "INSERT INTO presence (login, request, seen_at) VALUES ('priya', {}, now())",
                req.0
            ),
        )
        .await;
        assert_eq!(err, FORBIDDEN);
        let err = refused(
            &mut raw,
            &format!(
                "UPDATE presence SET seen_at = now() WHERE request = {}",
                req.0
            ),
        )
        .await;
        assert_eq!(err, FORBIDDEN);
        // A look of an hour would outlive its panel.
        let err = refused(&mut raw, "SELECT * FROM look_at('{1}', 3600000)").await;
        assert_eq!(err, "22023");
    });
}

/// Another process starting at a chosen point of an execution: when the execution reaches
/// `at`, `start` runs to its end (in a thread and a runtime of its own, as a process would) and
/// what it settled is kept.
struct StartMeanwhile<F> {
    at: gatehouse_core::promotion::Phase,
    start: F,
    settled: std::sync::Mutex<Option<Vec<RequestId>>>,
}

impl<F: Fn() -> Vec<RequestId> + Sync> gatehouse_core::promotion::Observer for StartMeanwhile<F> {
    fn reached(&self, phase: gatehouse_core::promotion::Phase) {
        if phase == self.at {
            let settled = std::thread::scope(|s| s.spawn(&self.start).join().unwrap());
            *self.settled.lock().unwrap() = Some(settled);
        }
    }
}

/// The settling a start does: the requests it settled.
fn start_elsewhere<S, Fut>(
    policy: &Policy,
    user: &str,
    open: impl FnOnce() -> Fut,
) -> Vec<RequestId>
where
    S: PromotionStore + WorkspaceRead + Registry + Sync,
    Fut: std::future::Future<Output = S>,
{
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let store = open().await;
            let settled = desk(policy, &store, user, at(9)).reconcile().await.unwrap();
            settled.into_iter().map(|r| r.id).collect()
        })
}

/// The demo's open production request completed by marco while another process starts at each
/// point of the execution: the start finds the execution in flight and leaves it alone, and the
/// request is executed once.
async fn a_start_meanwhile_leaves_an_execution_alone<
    S: PromotionStore + WorkspaceRead + Registry + Sync,
>(
    policy: &Policy,
    marco: &S,
    start: impl Fn() -> Vec<RequestId> + Sync,
    at_phase: gatehouse_core::promotion::Phase,
) {
    let meanwhile = StartMeanwhile {
        at: at_phase,
        start,
        settled: std::sync::Mutex::new(None),
    };
    let done = Desk {
        observer: &meanwhile,
        ..desk(policy, marco, "marco", at(8))
    }
    .approve(RequestId(2), None)
    .await
    .unwrap();
    assert_eq!(
        meanwhile.settled.lock().unwrap().as_deref(),
        Some(&[][..]),
        "the start settled an execution in flight"
    );
    assert_eq!(done.state, RequestState::Done);
    assert_eq!(pointer(marco, "production").await.as_deref(), Some("4"));
    let log = marco.audit_log().await.unwrap();
    let on_it: Vec<&str> = log
        .iter()
        .filter(|e| e.request == Some(RequestId(2)))
        .map(|e| e.action.id())
        .collect();
    assert_eq!(on_it.iter().filter(|a| **a == "executed").count(), 1);
    assert!(!on_it.contains(&"reconciled"), "{on_it:?}");
    assert!(verify(&log).ok());
}

#[test]
fn a_process_starting_during_an_execution_leaves_it_to_the_process_running_it() {
    use gatehouse_core::promotion::Phase;
    runtime().block_on(async {
        for phase in [Phase::IntentRecorded, Phase::PointerMoved] {
            // The workspace's own file, opened again as a second process would.
            let dir = tempfile::tempdir().unwrap();
            let generated = demo::generate(demo::DEFAULT_SEED, NOW);
            let ws = Workspace::create_demo(dir.path(), &generated)
                .await
                .unwrap();
            let policy = ws.policy().unwrap();
            let path = dir.path().to_owned();
            let start = || {
                start_elsewhere(&policy, "erin", || async {
                    Workspace::open(&path).await.unwrap()
                })
            };
            a_start_meanwhile_leaves_an_execution_alone(&policy, &ws, start, phase).await;

            // The team store, another desktop logging in.
            let team = Team::start(&[]).await;
            let marco = team.store("marco").await;
            let erin = team.login_of("erin");
            let start = || {
                start_elsewhere(&team.policy, "erin", || async {
                    TeamStore::connect(&erin).await.unwrap()
                })
            };
            a_start_meanwhile_leaves_an_execution_alone(&team.policy, &marco, start, phase).await;
        }
    });
}
