//! The team store on a real PostgreSQL server: the promotion journey run unchanged against the
//! embedded SQLite store and the team store; the rules the database keeps against raw SQL from
//! each login; concurrent approvals and stale requests; change notices; migrations and the errors
//! around them.

use std::collections::BTreeMap;

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
use gatehouse_store::team::{expected_schema, init_roles_sql, TeamLogin, TeamStore, APP_ROLE};
use gatehouse_store::Workspace;
use gatehouse_tests::postgres::Postgres;
use sqlx::Connection as _;

const NOW: Timestamp = Timestamp(1_795_000_000_000);
const OWNER: &str = "gatehouse_owner";
const DATABASE: &str = "team";

fn password(user: &str) -> String {
    format!("{user}-test-pw")
}

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
        let mut setup = init_roles_sql(&policy);
        setup.push_str(&format!(
            "CREATE ROLE {OWNER} LOGIN PASSWORD '{}';\nCREATE ROLE mallory LOGIN IN ROLE {APP_ROLE};\n",
            password(OWNER)
        ));
        for user in policy.users.keys().map(UserName::as_str).chain(["mallory"]) {
            setup.push_str(&format!(
                "ALTER ROLE \"{user}\" PASSWORD '{}';\n",
                password(user)
            ));
        }
        let mut su = sqlx::PgConnection::connect(&server.superuser_url("postgres"))
            .await
            .unwrap();
        sqlx::raw_sql(&setup).execute(&mut su).await.unwrap();
        sqlx::raw_sql(&format!("CREATE DATABASE {DATABASE} OWNER {OWNER}"))
            .execute(&mut su)
            .await
            .unwrap();
        su.close().await.unwrap();

        let team = Team { server, policy };
        let migrated = TeamStore::migrate(&team.login_of(OWNER)).await.unwrap();
        assert_eq!((migrated.from, migrated.to), (None, expected_schema()));
        let owner = team.store(OWNER).await;
        owner.apply_policy(&team.policy).await.unwrap();
        owner
            .import(&generated.models, &generated.readings)
            .await
            .unwrap();
        owner.close().await;
        team.replay(&generated).await;
        team
    }

    fn login_of(&self, user: &str) -> TeamLogin {
        TeamLogin {
            url: self.server.url(DATABASE),
            username: user.to_owned(),
            password: password(user),
        }
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
        let url = format!(
            "postgres://{user}:{}@127.0.0.1:{}/{DATABASE}",
            password(user),
            self.server.port
        );
        sqlx::PgConnection::connect(&url).await.unwrap()
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
