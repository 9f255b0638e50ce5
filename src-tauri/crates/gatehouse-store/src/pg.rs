//! The queries of the PostgreSQL team store, one function per statement. The rules (who may do
//! what, the life of a request, the audit chain) live in the database itself, in
//! `migrations/postgres`; these functions only ask.

use std::collections::BTreeMap;

use gatehouse_core::audit::{AuditAction, AuditDraft, AuditEvent};
use gatehouse_core::gate::{GateId, GateOverride, LatestReadings};
use gatehouse_core::policy::UserName;
use gatehouse_core::promotion::{
    Approval, Decision, NewRequest, PromotionRequest, RequestId, RequestKind, RequestState,
    Transition,
};
use gatehouse_core::reading::{ModelName, Reading, SignalName};
use gatehouse_core::registry::{Model, ModelVersion, PointerName, VersionId};
use gatehouse_core::time::Timestamp;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};

use crate::StoreError;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The newest migration applied to the database, if the migrations table exists.
pub(crate) async fn schema_version(pool: &PgPool) -> Result<Option<i64>, StoreError> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await?;
    if !exists {
        return Ok(None);
    }
    Ok(
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await?,
    )
}

pub(crate) async fn login(pool: &PgPool) -> Result<String, StoreError> {
    Ok(sqlx::query_scalar("SELECT session_user::TEXT")
        .fetch_one(pool)
        .await?)
}

pub(crate) async fn revision(pool: &PgPool) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT last_value FROM revision")
        .fetch_one(pool)
        .await?)
}

pub(crate) async fn latest_readings(
    pool: &PgPool,
    model: &ModelName,
) -> Result<LatestReadings, StoreError> {
    let rows = sqlx::query(
        "SELECT DISTINCT ON (signal) model, signal, value, read_at, source, note FROM readings
         WHERE model = $1 ORDER BY signal, read_at DESC, id DESC",
    )
    .bind(model.as_str())
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let reading = reading_from(row)?;
            Ok((reading.signal.clone(), reading))
        })
        .collect()
}

/// The newest `limit` readings of one signal, oldest first.
pub(crate) async fn readings(
    pool: &PgPool,
    model: &ModelName,
    signal: &SignalName,
    limit: u32,
) -> Result<Vec<Reading>, StoreError> {
    let rows = sqlx::query(
        "SELECT model, signal, value, read_at, source, note FROM readings
         WHERE model = $1 AND signal = $2 ORDER BY read_at DESC, id DESC LIMIT $3",
    )
    .bind(model.as_str())
    .bind(signal.as_str())
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    let mut readings = rows
        .iter()
        .map(reading_from)
        .collect::<Result<Vec<_>, _>>()?;
    readings.reverse();
    Ok(readings)
}

fn reading_from(row: &PgRow) -> Result<Reading, StoreError> {
    Ok(Reading {
        model: ModelName(row.try_get("model")?),
        signal: SignalName(row.try_get("signal")?),
        value: row.try_get("value")?,
        read_at: Timestamp(row.try_get("read_at")?),
        source: row.try_get("source")?,
        note: row.try_get("note")?,
    })
}

pub(crate) async fn insert_reading(conn: &mut PgConnection, r: &Reading) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO readings (model, signal, value, read_at, source, note) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(r.model.as_str())
    .bind(r.signal.as_str())
    .bind(r.value)
    .bind(r.read_at.0)
    .bind(&r.source)
    .bind(&r.note)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn overrides(pool: &PgPool) -> Result<Vec<GateOverride>, StoreError> {
    let rows = sqlx::query(
        "SELECT gate, by_user, reason, at, expires_at FROM gate_overrides ORDER BY at, id",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(GateOverride {
                gate: GateId(row.try_get("gate")?),
                by: row.try_get("by_user")?,
                reason: row.try_get("reason")?,
                at: Timestamp(row.try_get("at")?),
                expires_at: row.try_get::<Option<i64>, _>("expires_at")?.map(Timestamp),
            })
        })
        .collect()
}

fn json<T: serde::de::DeserializeOwned>(what: &'static str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what,
        detail: e.to_string(),
    })
}

fn to_json<T: serde::Serialize>(what: &'static str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt {
        what,
        detail: e.to_string(),
    })
}

pub(crate) async fn models(pool: &PgPool) -> Result<Vec<Model>, StoreError> {
    let mut models: BTreeMap<String, Model> = BTreeMap::new();
    for row in sqlx::query("SELECT name, description FROM models ORDER BY name")
        .fetch_all(pool)
        .await?
    {
        let name: String = row.try_get("name")?;
        models.insert(
            name.clone(),
            Model {
                name: ModelName(name),
                description: row.try_get("description")?,
                pointers: BTreeMap::new(),
                versions: Vec::new(),
            },
        );
    }
    // Versions sort numerically where they are numbers (MLflow's are), else as text, as the
    // embedded store sorts them.
    for row in sqlx::query(
        "SELECT model, version, run_id, created_at, metrics, tags, data_version, code_commit
         FROM model_versions
         ORDER BY model, CASE WHEN version ~ '^[0-9]{1,18}$' THEN version::BIGINT ELSE 0 END, version",
    )
    .fetch_all(pool)
    .await?
    {
        let model: String = row.try_get("model")?;
        let metrics: String = row.try_get("metrics")?;
        let tags: String = row.try_get("tags")?;
        let version = ModelVersion {
            version: VersionId(row.try_get("version")?),
            run_id: row.try_get("run_id")?,
            created_at: Timestamp(row.try_get("created_at")?),
            metrics: json("metrics", &metrics)?,
            tags: json("tags", &tags)?,
            data_version: row.try_get("data_version")?,
            code_commit: row.try_get("code_commit")?,
        };
        if let Some(m) = models.get_mut(&model) {
            m.versions.push(version);
        }
    }
    for row in sqlx::query("SELECT model, name, version FROM pointers")
        .fetch_all(pool)
        .await?
    {
        let model: String = row.try_get("model")?;
        if let Some(m) = models.get_mut(&model) {
            m.pointers.insert(
                PointerName(row.try_get("name")?),
                VersionId(row.try_get("version")?),
            );
        }
    }
    Ok(models.into_values().collect())
}

/// Registers a model with its versions and pointers (the tables' owner only).
pub(crate) async fn insert_model(conn: &mut PgConnection, model: &Model) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO models (name, description) VALUES ($1, $2)")
        .bind(model.name.as_str())
        .bind(&model.description)
        .execute(&mut *conn)
        .await?;
    for v in &model.versions {
        sqlx::query(
            "INSERT INTO model_versions (model, version, run_id, created_at, metrics, tags, data_version, code_commit)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(model.name.as_str())
        .bind(v.version.as_str())
        .bind(&v.run_id)
        .bind(v.created_at.0)
        .bind(to_json("metrics", &v.metrics)?)
        .bind(to_json("tags", &v.tags)?)
        .bind(&v.data_version)
        .bind(&v.code_commit)
        .execute(&mut *conn)
        .await?;
    }
    for (pointer, version) in &model.pointers {
        sqlx::query("INSERT INTO pointers (model, name, version) VALUES ($1, $2, $3)")
            .bind(model.name.as_str())
            .bind(pointer.as_str())
            .bind(version.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub(crate) async fn pointer(
    pool: &PgPool,
    model: &ModelName,
    pointer: &PointerName,
) -> Result<Option<VersionId>, StoreError> {
    let v: Option<String> =
        sqlx::query_scalar("SELECT version FROM pointers WHERE model = $1 AND name = $2")
            .bind(model.as_str())
            .bind(pointer.as_str())
            .fetch_optional(pool)
            .await?;
    Ok(v.map(VersionId))
}

pub(crate) async fn version_exists(
    pool: &PgPool,
    model: &ModelName,
    version: &VersionId,
) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM model_versions WHERE model = $1 AND version = $2)",
    )
    .bind(model.as_str())
    .bind(version.as_str())
    .fetch_one(pool)
    .await?)
}

/// Moves a pointer for an executing request, only from where the request found it; returns the
/// version it held.
pub(crate) async fn move_pointer(
    pool: &PgPool,
    request: RequestId,
    model: &ModelName,
    pointer: &PointerName,
    version: &VersionId,
) -> Result<Option<VersionId>, StoreError> {
    let before: Option<String> = sqlx::query_scalar("SELECT move_pointer($1, $2, $3, $4)")
        .bind(request.0)
        .bind(model.as_str())
        .bind(pointer.as_str())
        .bind(version.as_str())
        .fetch_one(pool)
        .await?;
    Ok(before.map(VersionId))
}

/// Appends an event; the database gives it its place and hashes.
pub(crate) async fn append_audit(
    conn: &mut PgConnection,
    draft: AuditDraft,
) -> Result<AuditEvent, StoreError> {
    let row = sqlx::query(
        "INSERT INTO audit_events (seq, at, actor, action, target, before, after, reason, response, request, prev_hash, hash)
         VALUES (0, $1, $2, $3, $4, $5, $6, $7, $8, $9, '', '') RETURNING seq, prev_hash, hash",
    )
    .bind(draft.at.0)
    .bind(draft.actor.as_str())
    .bind(draft.action.id())
    .bind(&draft.target)
    .bind(&draft.before)
    .bind(&draft.after)
    .bind(&draft.reason)
    .bind(&draft.response)
    .bind(draft.request.map(|r| r.0))
    .fetch_one(&mut *conn)
    .await?;
    Ok(AuditEvent {
        seq: row.try_get("seq")?,
        at: draft.at,
        actor: draft.actor,
        action: draft.action,
        target: draft.target,
        before: draft.before,
        after: draft.after,
        reason: draft.reason,
        response: draft.response,
        request: draft.request,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

pub(crate) async fn audit_log(pool: &PgPool) -> Result<Vec<AuditEvent>, StoreError> {
    let rows = sqlx::query(
        "SELECT seq, at, actor, action, target, before, after, reason, response, request, prev_hash, hash
         FROM audit_events ORDER BY seq",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let action: String = row.try_get("action")?;
            Ok(AuditEvent {
                seq: row.try_get("seq")?,
                at: Timestamp(row.try_get("at")?),
                actor: UserName(row.try_get("actor")?),
                action: AuditAction::from_id(&action).ok_or(StoreError::Corrupt {
                    what: "audit action",
                    detail: action.clone(),
                })?,
                target: row.try_get("target")?,
                before: row.try_get("before")?,
                after: row.try_get("after")?,
                reason: row.try_get("reason")?,
                response: row.try_get("response")?,
                request: row.try_get::<Option<i64>, _>("request")?.map(RequestId),
                prev_hash: row.try_get("prev_hash")?,
                hash: row.try_get("hash")?,
            })
        })
        .collect()
}

pub(crate) async fn insert_request(
    conn: &mut PgConnection,
    new: &NewRequest,
) -> Result<RequestId, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO requests (kind, model, version, pointer, from_version, reason, requester, requested_at, state, required_approvals, gates)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(kind_id(new.kind))
    .bind(new.model.as_str())
    .bind(new.version.as_str())
    .bind(new.pointer.as_str())
    .bind(new.from_version.as_ref().map(|v| v.as_str()))
    .bind(&new.reason)
    .bind(new.requester.as_str())
    .bind(new.requested_at.0)
    .bind(new.state.id())
    .bind(i64::from(new.required_approvals))
    .bind(to_json("gate snapshot", &new.gates)?)
    .fetch_one(&mut *conn)
    .await?;
    Ok(RequestId(id))
}

fn kind_id(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Promotion => "promotion",
        RequestKind::Rollback => "rollback",
    }
}

const REQUEST_COLUMNS: &str = "id, kind, model, version, pointer, from_version, reason, requester, requested_at, state,
     required_approvals, gates, rejected_by, rejected_at, rejection_reason, override_by, override_at, override_reason, outcome";

fn request_from(row: &PgRow) -> Result<PromotionRequest, StoreError> {
    let corrupt = |what: &'static str, detail: String| StoreError::Corrupt { what, detail };
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    let gates: String = row.try_get("gates")?;
    let decision = |by: &str, at: &str, reason: &str| -> Result<Option<Decision>, StoreError> {
        let by: Option<String> = row.try_get(by)?;
        let at: Option<i64> = row.try_get(at)?;
        let reason: Option<String> = row.try_get(reason)?;
        Ok(match (by, at, reason) {
            (Some(by), Some(at), Some(reason)) => Some(Decision {
                by: UserName(by),
                at: Timestamp(at),
                reason,
            }),
            _ => None,
        })
    };
    Ok(PromotionRequest {
        id: RequestId(row.try_get("id")?),
        kind: match kind.as_str() {
            "promotion" => RequestKind::Promotion,
            "rollback" => RequestKind::Rollback,
            other => return Err(corrupt("request kind", other.to_owned())),
        },
        model: ModelName(row.try_get("model")?),
        version: VersionId(row.try_get("version")?),
        pointer: PointerName(row.try_get("pointer")?),
        from_version: row
            .try_get::<Option<String>, _>("from_version")?
            .map(VersionId),
        reason: row.try_get("reason")?,
        requester: UserName(row.try_get("requester")?),
        requested_at: Timestamp(row.try_get("requested_at")?),
        state: RequestState::from_id(&state)
            .ok_or_else(|| corrupt("request state", state.clone()))?,
        required_approvals: u32::try_from(row.try_get::<i64, _>("required_approvals")?)
            .map_err(|e| corrupt("approval count", e.to_string()))?,
        approvals: Vec::new(),
        gates: json("gate snapshot", &gates)?,
        rejection: decision("rejected_by", "rejected_at", "rejection_reason")?,
        gate_override: decision("override_by", "override_at", "override_reason")?,
        outcome: row.try_get("outcome")?,
    })
}

fn approval_from(row: &PgRow) -> Result<(i64, Approval), StoreError> {
    Ok((
        row.try_get("request")?,
        Approval {
            by: UserName(row.try_get("by_user")?),
            at: Timestamp(row.try_get("at")?),
            reason: row.try_get("reason")?,
        },
    ))
}

pub(crate) async fn requests(pool: &PgPool) -> Result<Vec<PromotionRequest>, StoreError> {
    let mut requests = sqlx::query(&format!(
        "SELECT {REQUEST_COLUMNS} FROM requests ORDER BY id DESC"
    ))
    .fetch_all(pool)
    .await?
    .iter()
    .map(request_from)
    .collect::<Result<Vec<_>, _>>()?;
    let mut by_id: BTreeMap<i64, Vec<Approval>> = BTreeMap::new();
    for row in
        sqlx::query("SELECT request, by_user, at, reason FROM approvals ORDER BY at, by_user")
            .fetch_all(pool)
            .await?
    {
        let (id, approval) = approval_from(&row)?;
        by_id.entry(id).or_default().push(approval);
    }
    for r in &mut requests {
        r.approvals = by_id.remove(&r.id.0).unwrap_or_default();
    }
    Ok(requests)
}

pub(crate) async fn request(
    pool: &PgPool,
    id: RequestId,
) -> Result<Option<PromotionRequest>, StoreError> {
    let Some(row) = sqlx::query(&format!(
        "SELECT {REQUEST_COLUMNS} FROM requests WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let mut request = request_from(&row)?;
    request.approvals = sqlx::query(
        "SELECT request, by_user, at, reason FROM approvals WHERE request = $1 ORDER BY at, by_user",
    )
    .bind(id.0)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| approval_from(row).map(|(_, a)| a))
    .collect::<Result<_, _>>()?;
    Ok(Some(request))
}

pub(crate) async fn insert_approval(
    conn: &mut PgConnection,
    id: RequestId,
    approval: &Approval,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO approvals (request, by_user, at, reason) VALUES ($1, $2, $3, $4)")
        .bind(id.0)
        .bind(approval.by.as_str())
        .bind(approval.at.0)
        .bind(&approval.reason)
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn set_override(
    conn: &mut PgConnection,
    id: RequestId,
    decision: &Decision,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE requests SET override_by = $2, override_at = $3, override_reason = $4 WHERE id = $1",
    )
    .bind(id.0)
    .bind(decision.by.as_str())
    .bind(decision.at.0)
    .bind(&decision.reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// Compare-and-swap on the request's state: a concurrent update makes this one match nothing.
pub(crate) async fn transition(
    conn: &mut PgConnection,
    id: RequestId,
    change: &Transition,
) -> Result<bool, StoreError> {
    let rejection = change.rejection.as_ref();
    let done = sqlx::query(
        "UPDATE requests SET state = $3,
             outcome = COALESCE($4, outcome),
             rejected_by = COALESCE($5, rejected_by),
             rejected_at = COALESCE($6, rejected_at),
             rejection_reason = COALESCE($7, rejection_reason)
         WHERE id = $1 AND state = $2",
    )
    .bind(id.0)
    .bind(change.from.id())
    .bind(change.to.id())
    .bind(&change.outcome)
    .bind(rejection.map(|d| d.by.as_str()))
    .bind(rejection.map(|d| d.at.0))
    .bind(rejection.map(|d| d.reason.as_str()))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Writes the policy's promotion rules where the database checks them (the tables' owner only).
pub(crate) async fn replace_rules(
    conn: &mut PgConnection,
    permissions: &[(&str, &str)],
    approvals: &[(String, i64)],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM permissions")
        .execute(&mut *conn)
        .await?;
    for (action, role) in permissions {
        sqlx::query("INSERT INTO permissions (action, role) VALUES ($1, $2)")
            .bind(action)
            .bind(role)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("DELETE FROM pointer_rules")
        .execute(&mut *conn)
        .await?;
    for (pointer, n) in approvals {
        sqlx::query("INSERT INTO pointer_rules (pointer, approvals) VALUES ($1, $2)")
            .bind(pointer)
            .bind(n)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Records that the login looks at `requests` (and no other) now; who else looked at which
/// request within `fresh_ms`.
pub(crate) async fn look_at(
    pool: &PgPool,
    requests: &[RequestId],
    fresh_ms: i32,
) -> Result<Vec<(RequestId, UserName)>, StoreError> {
    let ids: Vec<i64> = requests.iter().map(|r| r.0).collect();
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT * FROM look_at($1, $2)")
        .bind(ids)
        .bind(fresh_ms)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(request, login)| (RequestId(request), UserName(login)))
        .collect())
}

/// The namespace of the advisory locks that mark executions in flight: `(EXECUTIONS, request)`.
const EXECUTIONS: i32 = 0x4748;

fn execution_key(request: RequestId) -> Result<i32, StoreError> {
    i32::try_from(request.0).map_err(|_| StoreError::Corrupt {
        what: "request number",
        detail: request.0.to_string(),
    })
}

/// Marks, for as long as this session lives, that it executes `request`. Shared, so that two
/// approvers' sessions never wait for each other here (the request's state decides who runs).
pub(crate) async fn hold_execution(
    conn: &mut PgConnection,
    request: RequestId,
) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_lock_shared($1, $2)")
        .bind(EXECUTIONS)
        .bind(execution_key(request)?)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether some session holds the mark of `request`'s execution.
pub(crate) async fn execution_held(pool: &PgPool, request: RequestId) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_locks
             WHERE locktype = 'advisory' AND granted AND objsubid = 2
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND classid::TEXT::BIGINT = $1 AND objid::TEXT::BIGINT = $2)",
    )
    .bind(i64::from(EXECUTIONS))
    .bind(i64::from(execution_key(request)?))
    .fetch_one(pool)
    .await?)
}
