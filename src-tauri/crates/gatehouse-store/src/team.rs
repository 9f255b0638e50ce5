//! The team store: a shared PostgreSQL database behind the same ports as the embedded SQLite one,
//! so that approvers on different desktops see the same requests, approvals and audit log.
//!
//! The acting user is the database login (`session_user`), never a name the client claims; the
//! database refuses what the login may not do (its schema in `migrations/postgres` checks roles,
//! the four-eyes rule, the life of a request and stale pointer moves, and computes the audit
//! chain), so a modified client gets no further than the core would let it.

use std::str::FromStr;
use std::time::Duration;

use gatehouse_core::audit::{AuditDraft, AuditEvent};
use gatehouse_core::gate::{GateOverride, LatestReadings};
use gatehouse_core::policy::{Policy, Role, UserName};
use gatehouse_core::ports::{ExecutionHold, PromotionStore, Registry, WorkspaceRead};
use gatehouse_core::presence::{group_looks, Looking};
use gatehouse_core::promotion::{
    Approval, Decision, NewRequest, PromotionRequest, RequestId, Transition,
};
use gatehouse_core::reading::{ModelName, Reading, SignalName};
use gatehouse_core::registry::{Model, PointerName, VersionId};
use gatehouse_core::rollout::ReadingHistory;
use gatehouse_core::Error;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPool, PgPoolOptions};
use sqlx::Connection as _;

use crate::pg;
use crate::StoreError;

/// The PostgreSQL group roles the schema grants to: every login is a member of [`APP_ROLE`], and
/// of the group of each Gatehouse role it holds (`gatehouse_approver`, …).
pub const APP_ROLE: &str = "gatehouse_app";

/// The channel on which the database announces changes.
pub const CHANNEL: &str = "gatehouse";

/// The PostgreSQL group role of a Gatehouse role.
pub fn group_role(role: Role) -> &'static str {
    match role {
        Role::Viewer => "gatehouse_viewer",
        Role::Operator => "gatehouse_operator",
        Role::Approver => "gatehouse_approver",
        Role::Admin => "gatehouse_admin",
    }
}

/// Where a team store is and who logs in. The password is held only in memory.
#[derive(Clone)]
pub struct TeamLogin {
    /// `postgres://host:port/database`, without a user or password.
    pub url: String,
    /// The database login: the acting user.
    pub username: String,
    /// Its password (from the OS keyring).
    pub password: String,
}

impl std::fmt::Debug for TeamLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamLogin")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

impl TeamLogin {
    async fn pool(&self) -> Result<PgPool, StoreError> {
        let options = PgConnectOptions::from_str(&self.url)
            .map_err(|e| {
                StoreError::Identity(format!("`{}` is not a PostgreSQL URL: {e}", self.url))
            })?
            .username(&self.username)
            .password(&self.password)
            .application_name("gatehouse");
        // One connection first, so that a server that refuses or a login it rejects is named at
        // once, not after the pool has retried until its timeout.
        let probe = PgConnection::connect_with(&options)
            .await
            .map_err(|e| self.connect_error(e))?;
        let _ = probe.close().await;
        PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| self.connect_error(e))
    }

    fn connect_error(&self, e: sqlx::Error) -> StoreError {
        match &e {
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_) => {
                StoreError::Unreachable(format!(
                    "the team store at {} does not answer: {e}",
                    self.url
                ))
            }
            _ => StoreError::Database(e),
        }
    }
}

/// A schema migration's effect: the version before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    /// The newest migration applied before (none on an empty database).
    pub from: Option<i64>,
    /// The newest applied now.
    pub to: i64,
}

/// The schema version this build expects.
pub fn expected_schema() -> i64 {
    pg::MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// An open team store, logged in as one database login.
#[derive(Debug, Clone)]
pub struct TeamStore {
    pool: PgPool,
    login: UserName,
}

impl TeamStore {
    /// Logs in and checks that the schema is the one this build expects.
    pub async fn connect(login: &TeamLogin) -> Result<TeamStore, StoreError> {
        let pool = login.pool().await?;
        let expected = expected_schema();
        match pg::schema_version(&pool).await? {
            None => Err(StoreError::Schema(format!(
                "the team store at {} has no Gatehouse schema: an administrator runs `gatehouse store migrate`",
                login.url
            ))),
            Some(v) if v < expected => Err(StoreError::Schema(format!(
                "the team store's schema is version {v}, older than the {expected} this build expects: an administrator runs `gatehouse store migrate`"
            ))),
            Some(v) if v > expected => Err(StoreError::Schema(format!(
                "the team store's schema is version {v}, newer than the {expected} this build knows: upgrade gatehouse"
            ))),
            Some(_) => Ok(TeamStore {
                login: UserName(pg::login(&pool).await?),
                pool,
            }),
        }
    }

    /// Checks that the server accepts the login, whatever state its schema is in, and returns
    /// the login as the server names it.
    pub async fn check_login(login: &TeamLogin) -> Result<UserName, StoreError> {
        let pool = login.pool().await?;
        let name = pg::login(&pool).await?;
        pool.close().await;
        Ok(UserName(name))
    }

    /// Brings the schema up to date, idempotently, as the login that is to own the tables. The
    /// group roles must exist (the SQL of [`init_roles_sql`]).
    pub async fn migrate(login: &TeamLogin) -> Result<Migrated, StoreError> {
        let pool = login.pool().await?;
        let encoding: String = sqlx::query_scalar("SHOW server_encoding")
            .fetch_one(&pool)
            .await?;
        if encoding != "UTF8" {
            return Err(StoreError::Schema(format!(
                "the team store's database is encoded {encoding}; the audit chain needs UTF8"
            )));
        }
        let missing: Vec<String> = sqlx::query_scalar(
            "SELECT r FROM unnest($1::TEXT[]) AS r WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)",
        )
        .bind(all_group_roles())
        .fetch_all(&pool)
        .await?;
        if !missing.is_empty() {
            return Err(StoreError::Schema(format!(
                "the roles {} do not exist: an administrator runs the SQL of `gatehouse store init-roles` first",
                missing.join(", ")
            )));
        }
        let from = pg::schema_version(&pool).await?;
        let expected = expected_schema();
        if let Some(v) = from.filter(|v| *v > expected) {
            return Err(StoreError::Schema(format!(
                "the team store's schema is version {v}, newer than the {expected} this build knows: upgrade gatehouse"
            )));
        }
        pg::MIGRATOR.run(&pool).await?;
        let to = pg::schema_version(&pool).await?.unwrap_or(expected);
        pool.close().await;
        Ok(Migrated { from, to })
    }

    /// The login: the user every action of this store is recorded under.
    pub fn login(&self) -> &UserName {
        &self.login
    }

    /// Bumped by every write, from any desktop.
    pub async fn revision(&self) -> Result<i64, StoreError> {
        pg::revision(&self.pool).await
    }

    /// Writes the policy's promotion rules (who may request, approve, roll back, override; how
    /// many approvals each pointer needs) where the database enforces them. The tables' owner
    /// only.
    pub async fn apply_policy(&self, policy: &Policy) -> Result<(), StoreError> {
        let rules = &policy.promotion;
        let mut permissions = Vec::new();
        for (action, roles) in [
            ("request", &rules.request),
            ("approve", &rules.approve),
            ("rollback", &rules.rollback),
            ("override", &rules.override_gates),
        ] {
            for role in roles {
                permissions.push((action, role_id(*role)));
            }
        }
        let mut approvals: Vec<(String, i64)> = vec![("*".into(), 1)];
        for (pointer, n) in &rules.approvals {
            approvals.push((pointer.to_string(), i64::from(*n)));
        }
        let mut tx = self.pool.begin().await?;
        pg::replace_rules(&mut tx, &permissions, &approvals).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Registers models and readings, as a registry sync or a demo does. The tables' owner only.
    pub async fn import(&self, models: &[Model], readings: &[Reading]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for model in models {
            pg::insert_model(&mut tx, model).await?;
        }
        for reading in readings {
            pg::insert_reading(&mut tx, reading).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a measured value.
    pub(crate) async fn record(&self, reading: &Reading) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        pg::insert_reading(&mut conn, reading).await
    }

    /// Listens for changes made by anyone: requests, approvals, pointer moves, audit events and
    /// readings, as the database announces them when their transaction commits.
    pub async fn listen(&self) -> Result<TeamListener, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        Ok(TeamListener(listener))
    }

    /// Records that this login looks at `requests` now, and at no other; returns who else
    /// looked at which request within the last `fresh` (one to sixty seconds), by the server's
    /// clock. A panel beats more often than `fresh`, so a look ends soon after its panel goes.
    pub async fn look_at(
        &self,
        requests: &[RequestId],
        fresh: Duration,
    ) -> Result<Vec<Looking>, StoreError> {
        let fresh_ms = i32::try_from(fresh.as_millis()).unwrap_or(i32::MAX);
        Ok(group_looks(
            pg::look_at(&self.pool, requests, fresh_ms).await?,
        ))
    }

    /// Closes the connections.
    pub async fn close(self) {
        self.pool.close().await;
    }
}

fn role_id(role: Role) -> &'static str {
    match role {
        Role::Viewer => "viewer",
        Role::Operator => "operator",
        Role::Approver => "approver",
        Role::Admin => "admin",
    }
}

fn all_group_roles() -> Vec<String> {
    std::iter::once(APP_ROLE)
        .chain(
            [Role::Viewer, Role::Operator, Role::Approver, Role::Admin]
                .into_iter()
                .map(group_role),
        )
        .map(str::to_owned)
        .collect()
}

/// Quotes a PostgreSQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The SQL an administrator runs (as a superuser or a login with CREATEROLE) before the first
/// `gatehouse store migrate`: the group roles, and a login for every user of the policy in the
/// groups of its roles. Idempotent; passwords are set afterwards with `\password NAME`, so none
/// is ever written down here.
pub fn init_roles_sql(policy: &Policy) -> String {
    let mut sql = String::from(
        "-- Gatehouse team store roles. Run as a PostgreSQL superuser (or a role with CREATEROLE),\n\
         -- then set each login's password with \\password NAME.\n",
    );
    let create = |name: &str, options: &str| {
        format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{}') THEN CREATE ROLE {} {options}; END IF; END $$;\n",
            name.replace('\'', "''"),
            ident(name)
        )
    };
    for role in all_group_roles() {
        sql.push_str(&create(&role, "NOLOGIN"));
    }
    for (user, spec) in &policy.users {
        sql.push_str(&create(user.as_str(), "LOGIN"));
        let mut groups = vec![APP_ROLE.to_owned()];
        groups.extend(spec.roles.iter().map(|r| group_role(*r).to_owned()));
        let groups: Vec<String> = groups.iter().map(|g| ident(g)).collect();
        sql.push_str(&format!(
            "GRANT {} TO {};\n",
            groups.join(", "),
            ident(user.as_str())
        ));
    }
    sql
}

/// What changed in the team store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A request was made or changed state.
    Request,
    /// A request was approved.
    Approval,
    /// A pointer moved.
    Pointer,
    /// An audit event was appended.
    Audit,
    /// A reading was recorded.
    Reading,
}

impl ChangeKind {
    /// The word the database uses for it.
    pub fn id(self) -> &'static str {
        match self {
            ChangeKind::Request => "request",
            ChangeKind::Approval => "approval",
            ChangeKind::Pointer => "pointer",
            ChangeKind::Audit => "audit",
            ChangeKind::Reading => "reading",
        }
    }
}

/// One change as the database announced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamChange {
    /// What changed.
    pub kind: ChangeKind,
    /// Which one: a request number, `model@pointer`, an audit sequence number, `model:signal`.
    pub id: String,
    /// The login that made the change.
    pub login: String,
}

/// A connection listening for changes.
#[derive(Debug)]
pub struct TeamListener(PgListener);

impl TeamListener {
    /// The next change, waiting for it.
    pub async fn next(&mut self) -> Result<TeamChange, StoreError> {
        let note = self.0.recv().await?;
        let corrupt = || StoreError::Corrupt {
            what: "change notice",
            detail: note.payload().to_owned(),
        };
        let doc: serde_json::Value = serde_json::from_str(note.payload()).map_err(|_| corrupt())?;
        let text = |key: &str| doc[key].as_str().map(str::to_owned).ok_or_else(corrupt);
        let kind = text("kind")?;
        let kind = [
            ChangeKind::Request,
            ChangeKind::Approval,
            ChangeKind::Pointer,
            ChangeKind::Audit,
            ChangeKind::Reading,
        ]
        .into_iter()
        .find(|k| k.id() == kind)
        .ok_or_else(corrupt)?;
        Ok(TeamChange {
            kind,
            id: text("id")?,
            login: text("login")?,
        })
    }
}

impl WorkspaceRead for TeamStore {
    async fn latest_readings(&self, model: &ModelName) -> Result<LatestReadings, Error> {
        Ok(pg::latest_readings(&self.pool, model).await?)
    }

    async fn overrides(&self) -> Result<Vec<GateOverride>, Error> {
        Ok(pg::overrides(&self.pool).await?)
    }

    async fn models(&self) -> Result<Vec<Model>, Error> {
        Ok(pg::models(&self.pool).await?)
    }
}

impl ReadingHistory for TeamStore {
    async fn readings(
        &self,
        model: &ModelName,
        signal: &SignalName,
        limit: u32,
    ) -> Result<Vec<Reading>, Error> {
        Ok(pg::readings(&self.pool, model, signal, limit).await?)
    }
}

impl Registry for TeamStore {
    async fn pointer(
        &self,
        model: &ModelName,
        pointer: &PointerName,
    ) -> Result<Option<VersionId>, Error> {
        Ok(pg::pointer(&self.pool, model, pointer).await?)
    }

    async fn version_exists(&self, model: &ModelName, version: &VersionId) -> Result<bool, Error> {
        Ok(pg::version_exists(&self.pool, model, version).await?)
    }

    async fn move_pointer(
        &self,
        model: &ModelName,
        pointer: &PointerName,
        version: &VersionId,
        actor: &UserName,
        request: RequestId,
    ) -> Result<String, Error> {
        let before = pg::move_pointer(&self.pool, request, model, pointer, version).await?;
        Ok(format!(
            "team registry: {model}@{pointer} {} → {version} for {actor}, request {request}",
            before.map(|v| v.0).unwrap_or_else(|| "unset".into())
        ))
    }
}

impl PromotionStore for TeamStore {
    async fn create_request(
        &self,
        new: &NewRequest,
        mut audit: AuditDraft,
    ) -> Result<PromotionRequest, Error> {
        let mut tx = self.pool.begin().await.map_err(StoreError::from)?;
        let id = pg::insert_request(&mut tx, new).await?;
        audit.request = Some(id);
        pg::append_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(StoreError::from)?;
        pg::request(&self.pool, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no request {id}")))
    }

    async fn request(&self, id: RequestId) -> Result<Option<PromotionRequest>, Error> {
        Ok(pg::request(&self.pool, id).await?)
    }

    async fn requests(&self) -> Result<Vec<PromotionRequest>, Error> {
        Ok(pg::requests(&self.pool).await?)
    }

    async fn add_approval(
        &self,
        id: RequestId,
        approval: &Approval,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let mut tx = self.pool.begin().await.map_err(StoreError::from)?;
        pg::insert_approval(&mut tx, id, approval).await?;
        pg::append_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    async fn set_override(
        &self,
        id: RequestId,
        decision: &Decision,
        audit: AuditDraft,
    ) -> Result<(), Error> {
        let mut tx = self.pool.begin().await.map_err(StoreError::from)?;
        pg::set_override(&mut tx, id, decision).await?;
        pg::append_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    async fn transition(
        &self,
        id: RequestId,
        change: &Transition,
        audit: Option<AuditDraft>,
    ) -> Result<bool, Error> {
        let mut tx = self.pool.begin().await.map_err(StoreError::from)?;
        if !pg::transition(&mut tx, id, change).await? {
            return Ok(false);
        }
        if let Some(audit) = audit {
            pg::append_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(true)
    }

    async fn append_audit(&self, draft: AuditDraft) -> Result<AuditEvent, Error> {
        let mut tx = self.pool.begin().await.map_err(StoreError::from)?;
        let event = pg::append_audit(&mut tx, draft).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(event)
    }

    async fn audit_log(&self) -> Result<Vec<AuditEvent>, Error> {
        Ok(pg::audit_log(&self.pool).await?)
    }

    async fn record_reading(&self, reading: &Reading) -> Result<(), Error> {
        Ok(self.record(reading).await?)
    }

    /// A session of its own holds the mark, outside the pool: it ends, and the database drops
    /// the mark, when the hold drops or the process dies.
    async fn hold_execution(&self, id: RequestId) -> Result<ExecutionHold, Error> {
        let mut conn = PgConnection::connect_with(&self.pool.connect_options())
            .await
            .map_err(StoreError::from)?;
        pg::hold_execution(&mut conn, id).await?;
        Ok(ExecutionHold::new(conn))
    }

    async fn execution_held(&self, id: RequestId) -> Result<bool, Error> {
        Ok(pg::execution_held(&self.pool, id).await?)
    }
}
