//! The queries of the embedded SQLite database, one function per statement.

use std::collections::BTreeMap;

use gatehouse_core::audit::{AuditAction, AuditDraft, AuditEvent, GENESIS};
use gatehouse_core::gate::{GateId, GateOverride, LatestReadings};
use gatehouse_core::monitor::{SampleValues, SampleWindow};
use gatehouse_core::policy::UserName;
use gatehouse_core::promotion::{
    Approval, Decision, NewRequest, PromotionRequest, RequestId, RequestKind, RequestState,
    Transition,
};
use gatehouse_core::reading::{ModelName, Reading, SignalName};
use gatehouse_core::registry::{Model, ModelVersion, PointerName, VersionId};
use gatehouse_core::rollout::MeasurementRecord;
use gatehouse_core::time::Timestamp;
use sqlx::{Row, SqliteConnection, SqlitePool};

use crate::StoreError;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub(crate) async fn revision(pool: &SqlitePool) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT revision FROM meta WHERE id = 1")
        .fetch_one(pool)
        .await?)
}

pub(crate) async fn latest_readings(
    pool: &SqlitePool,
    model: &ModelName,
) -> Result<LatestReadings, StoreError> {
    let rows = sqlx::query(
        "SELECT model, signal, value, read_at, source, note FROM (
             SELECT *, ROW_NUMBER() OVER (PARTITION BY signal ORDER BY read_at DESC, id DESC) AS rn
             FROM readings WHERE model = ?1
         ) WHERE rn = 1",
    )
    .bind(model.as_str())
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            let reading = reading_from(&row)?;
            Ok((reading.signal.clone(), reading))
        })
        .collect()
}

/// The newest `limit` readings of one signal, oldest first.
pub(crate) async fn readings(
    pool: &SqlitePool,
    model: &ModelName,
    signal: &SignalName,
    limit: u32,
) -> Result<Vec<Reading>, StoreError> {
    let rows = sqlx::query(
        "SELECT model, signal, value, read_at, source, note FROM readings
         WHERE model = ?1 AND signal = ?2 ORDER BY read_at DESC, id DESC LIMIT ?3",
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

fn reading_from(row: &sqlx::sqlite::SqliteRow) -> Result<Reading, StoreError> {
    Ok(Reading {
        model: ModelName(row.try_get("model")?),
        signal: SignalName(row.try_get("signal")?),
        value: row.try_get("value")?,
        read_at: Timestamp(row.try_get("read_at")?),
        source: row.try_get("source")?,
        note: row.try_get("note")?,
    })
}

pub(crate) async fn insert_reading(
    conn: &mut SqliteConnection,
    r: &Reading,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO readings (model, signal, value, read_at, source, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
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

pub(crate) async fn overrides(pool: &SqlitePool) -> Result<Vec<GateOverride>, StoreError> {
    let rows = sqlx::query(
        "SELECT gate, by_user, reason, at, expires_at FROM gate_overrides ORDER BY at, id",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
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

pub(crate) async fn models(pool: &SqlitePool) -> Result<Vec<Model>, StoreError> {
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
    // Versions sort numerically where they are numbers (MLflow's are), else as text.
    for row in sqlx::query(
        "SELECT model, version, run_id, created_at, metrics, tags, data_version, code_commit
         FROM model_versions ORDER BY model, CAST(version AS INTEGER), version",
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
            metrics: serde_json::from_str(&metrics).map_err(|e| StoreError::Corrupt {
                what: "metrics",
                detail: e.to_string(),
            })?,
            tags: serde_json::from_str(&tags).map_err(|e| StoreError::Corrupt {
                what: "tags",
                detail: e.to_string(),
            })?,
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

pub(crate) async fn insert_model(
    conn: &mut SqliteConnection,
    model: &Model,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO models (name, description) VALUES (?1, ?2)")
        .bind(model.name.as_str())
        .bind(&model.description)
        .execute(&mut *conn)
        .await?;
    for v in &model.versions {
        let metrics = serde_json::to_string(&v.metrics).map_err(|e| StoreError::Corrupt {
            what: "metrics",
            detail: e.to_string(),
        })?;
        let tags = serde_json::to_string(&v.tags).map_err(|e| StoreError::Corrupt {
            what: "tags",
            detail: e.to_string(),
        })?;
        sqlx::query(
            "INSERT INTO model_versions (model, version, run_id, created_at, metrics, tags, data_version, code_commit)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(model.name.as_str())
        .bind(v.version.as_str())
        .bind(&v.run_id)
        .bind(v.created_at.0)
        .bind(metrics)
        .bind(tags)
        .bind(&v.data_version)
        .bind(&v.code_commit)
        .execute(&mut *conn)
        .await?;
    }
    for (pointer, version) in &model.pointers {
        set_pointer(conn, &model.name, pointer, version).await?;
    }
    Ok(())
}

pub(crate) async fn set_pointer(
    conn: &mut SqliteConnection,
    model: &ModelName,
    pointer: &PointerName,
    version: &VersionId,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO pointers (model, name, version) VALUES (?1, ?2, ?3)
         ON CONFLICT (model, name) DO UPDATE SET version = excluded.version",
    )
    .bind(model.as_str())
    .bind(pointer.as_str())
    .bind(version.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// A write transaction that takes the database's write lock at once, so that two processes
/// appending to the audit chain cannot both read the same head and fork it.
pub(crate) async fn write_tx(
    pool: &SqlitePool,
) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

pub(crate) async fn pointer_in(
    conn: &mut SqliteConnection,
    model: &ModelName,
    pointer: &PointerName,
) -> Result<Option<VersionId>, StoreError> {
    let v: Option<String> =
        sqlx::query_scalar("SELECT version FROM pointers WHERE model = ?1 AND name = ?2")
            .bind(model.as_str())
            .bind(pointer.as_str())
            .fetch_optional(conn)
            .await?;
    Ok(v.map(VersionId))
}

pub(crate) async fn pointer(
    pool: &SqlitePool,
    model: &ModelName,
    pointer: &PointerName,
) -> Result<Option<VersionId>, StoreError> {
    pointer_in(&mut *pool.acquire().await?, model, pointer).await
}

pub(crate) async fn version_exists(
    pool: &SqlitePool,
    model: &ModelName,
    version: &VersionId,
) -> Result<bool, StoreError> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM model_versions WHERE model = ?1 AND version = ?2")
            .bind(model.as_str())
            .bind(version.as_str())
            .fetch_one(pool)
            .await?;
    Ok(n > 0)
}

pub(crate) async fn append_audit(
    conn: &mut SqliteConnection,
    draft: AuditDraft,
) -> Result<AuditEvent, StoreError> {
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let (seq, prev) = head
        .map(|(seq, hash)| (seq + 1, hash))
        .unwrap_or((1, GENESIS.to_owned()));
    let event = AuditEvent::seal(draft, seq, prev);
    sqlx::query(
        "INSERT INTO audit_events (seq, at, actor, action, target, before, after, reason, response, request, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .bind(event.seq)
    .bind(event.at.0)
    .bind(event.actor.as_str())
    .bind(event.action.id())
    .bind(&event.target)
    .bind(&event.before)
    .bind(&event.after)
    .bind(&event.reason)
    .bind(&event.response)
    .bind(event.request.map(|r| r.0))
    .bind(&event.prev_hash)
    .bind(&event.hash)
    .execute(&mut *conn)
    .await?;
    Ok(event)
}

pub(crate) async fn audit_log(pool: &SqlitePool) -> Result<Vec<AuditEvent>, StoreError> {
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
                // An action this build does not know is kept verbatim in the hash check by
                // failing here loudly rather than guessing.
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
    conn: &mut SqliteConnection,
    new: &NewRequest,
) -> Result<RequestId, StoreError> {
    let gates = serde_json::to_string(&new.gates).map_err(|e| StoreError::Corrupt {
        what: "gate snapshot",
        detail: e.to_string(),
    })?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO requests (kind, model, version, pointer, from_version, reason, requester, requested_at, state, required_approvals, gates)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id",
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
    .bind(gates)
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

fn request_from(row: &sqlx::sqlite::SqliteRow) -> Result<PromotionRequest, StoreError> {
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
        gates: serde_json::from_str(&gates).map_err(|e| corrupt("gate snapshot", e.to_string()))?,
        rejection: decision("rejected_by", "rejected_at", "rejection_reason")?,
        gate_override: decision("override_by", "override_at", "override_reason")?,
        outcome: row.try_get("outcome")?,
    })
}

fn approval_from(row: &sqlx::sqlite::SqliteRow) -> Result<(i64, Approval), StoreError> {
    Ok((
        row.try_get("request")?,
        Approval {
            by: UserName(row.try_get("by_user")?),
            at: Timestamp(row.try_get("at")?),
            reason: row.try_get("reason")?,
        },
    ))
}

pub(crate) async fn requests(pool: &SqlitePool) -> Result<Vec<PromotionRequest>, StoreError> {
    let mut requests: Vec<PromotionRequest> = sqlx::query(&format!(
        "SELECT {REQUEST_COLUMNS} FROM requests ORDER BY id DESC"
    ))
    .fetch_all(pool)
    .await?
    .iter()
    .map(request_from)
    .collect::<Result<_, _>>()?;
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
    pool: &SqlitePool,
    id: RequestId,
) -> Result<Option<PromotionRequest>, StoreError> {
    let Some(row) = sqlx::query(&format!(
        "SELECT {REQUEST_COLUMNS} FROM requests WHERE id = ?1"
    ))
    .bind(id.0)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let mut request = request_from(&row)?;
    request.approvals = sqlx::query(
        "SELECT request, by_user, at, reason FROM approvals WHERE request = ?1 ORDER BY at, by_user",
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
    conn: &mut SqliteConnection,
    id: RequestId,
    approval: &Approval,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO approvals (request, by_user, at, reason) VALUES (?1, ?2, ?3, ?4)")
        .bind(id.0)
        .bind(approval.by.as_str())
        .bind(approval.at.0)
        .bind(&approval.reason)
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn set_override(
    conn: &mut SqliteConnection,
    id: RequestId,
    decision: &Decision,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE requests SET override_by = ?2, override_at = ?3, override_reason = ?4 WHERE id = ?1")
        .bind(id.0)
        .bind(decision.by.as_str())
        .bind(decision.at.0)
        .bind(&decision.reason)
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn transition(
    conn: &mut SqliteConnection,
    id: RequestId,
    change: &Transition,
) -> Result<bool, StoreError> {
    let rejection = change.rejection.as_ref();
    let done = sqlx::query(
        "UPDATE requests SET state = ?3,
             outcome = COALESCE(?4, outcome),
             rejected_by = COALESCE(?5, rejected_by),
             rejected_at = COALESCE(?6, rejected_at),
             rejection_reason = COALESCE(?7, rejection_reason)
         WHERE id = ?1 AND state = ?2",
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

/// Values as stored: JSON arrays where `null` is a missing value.
fn encode_values(values: &SampleValues) -> Result<(&'static str, String), StoreError> {
    let corrupt = |e: serde_json::Error| StoreError::Corrupt {
        what: "sample values",
        detail: e.to_string(),
    };
    Ok(match values {
        SampleValues::Numerical(v) => {
            let v: Vec<Option<f64>> = v.iter().map(|x| x.is_finite().then_some(*x)).collect();
            ("numerical", serde_json::to_string(&v).map_err(corrupt)?)
        }
        SampleValues::Categorical(v) => ("categorical", serde_json::to_string(v).map_err(corrupt)?),
        // JSON has no infinity: the `+Inf` bound is written as `null`.
        SampleValues::Binned(b) => {
            let bounds: Vec<Option<f64>> = b
                .upper_bounds
                .iter()
                .map(|x| x.is_finite().then_some(*x))
                .collect();
            (
                "binned",
                serde_json::to_string(&(bounds, &b.counts)).map_err(corrupt)?,
            )
        }
    })
}

fn decode_values(kind: &str, text: &str) -> Result<SampleValues, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        what: "sample values",
        detail,
    };
    match kind {
        "numerical" => {
            let v: Vec<Option<f64>> =
                serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
            Ok(SampleValues::Numerical(
                v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect(),
            ))
        }
        "categorical" => Ok(SampleValues::Categorical(
            serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?,
        )),
        "binned" => {
            let (bounds, counts): (Vec<Option<f64>>, Vec<f64>) =
                serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
            Ok(SampleValues::Binned(gatehouse_core::monitor::Bins {
                upper_bounds: bounds
                    .into_iter()
                    .map(|x| x.unwrap_or(f64::INFINITY))
                    .collect(),
                counts,
            }))
        }
        other => Err(corrupt(format!("unknown kind {other}"))),
    }
}

pub(crate) async fn insert_sample(
    conn: &mut SqliteConnection,
    model: &ModelName,
    feature: &str,
    window: Option<(Timestamp, Timestamp)>,
    values: &SampleValues,
) -> Result<(), StoreError> {
    let (kind, text) = encode_values(values)?;
    let (role, (start, end)) = match window {
        Some((s, e)) => ("window", (s.0, e.0)),
        None => ("reference", (0, 0)),
    };
    sqlx::query(
        "INSERT INTO samples (model, feature, role, window_start, window_end, kind, vals)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(model.as_str())
    .bind(feature)
    .bind(role)
    .bind(start)
    .bind(end)
    .bind(kind)
    .bind(text)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn reference(
    pool: &SqlitePool,
    model: &ModelName,
) -> Result<BTreeMap<String, SampleValues>, StoreError> {
    let rows = sqlx::query(
        "SELECT feature, kind, vals FROM samples WHERE model = ?1 AND role = 'reference'",
    )
    .bind(model.as_str())
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            let vals: String = row.try_get("vals")?;
            Ok((row.try_get("feature")?, decode_values(&kind, &vals)?))
        })
        .collect()
}

pub(crate) async fn windows(
    pool: &SqlitePool,
    model: &ModelName,
) -> Result<Vec<SampleWindow>, StoreError> {
    let rows = sqlx::query(
        "SELECT feature, window_start, window_end, kind, vals FROM samples
         WHERE model = ?1 AND role = 'window' ORDER BY window_start, feature",
    )
    .bind(model.as_str())
    .fetch_all(pool)
    .await?;
    let mut windows: Vec<SampleWindow> = Vec::new();
    for row in &rows {
        let start = Timestamp(row.try_get("window_start")?);
        let end = Timestamp(row.try_get("window_end")?);
        let kind: String = row.try_get("kind")?;
        let vals: String = row.try_get("vals")?;
        let values = decode_values(&kind, &vals)?;
        match windows.last_mut() {
            Some(w) if w.start == start => {
                w.features.insert(row.try_get("feature")?, values);
            }
            _ => windows.push(SampleWindow {
                start,
                end,
                features: [(row.try_get::<String, _>("feature")?, values)].into(),
            }),
        }
    }
    Ok(windows)
}

pub(crate) async fn insert_learn_completion(
    pool: &SqlitePool,
    user: &UserName,
    item: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO learn_progress (user, item, completed_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (user, item) DO NOTHING",
    )
    .bind(user.as_str())
    .bind(item)
    .bind(at.0)
    .execute(pool)
    .await?;
    Ok(())
}

/// Every stored completion as (user, item, completed_at), by user then time.
pub(crate) async fn learn_completions(
    pool: &SqlitePool,
    user: Option<&UserName>,
) -> Result<Vec<(UserName, String, Timestamp)>, StoreError> {
    let rows = sqlx::query(
        "SELECT user, item, completed_at FROM learn_progress
         WHERE ?1 IS NULL OR user = ?1 ORDER BY user, completed_at, item",
    )
    .bind(user.map(UserName::as_str))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                UserName(row.try_get("user")?),
                row.try_get("item")?,
                Timestamp(row.try_get("completed_at")?),
            ))
        })
        .collect()
}

pub(crate) async fn count_readings(
    pool: &SqlitePool,
    model: &ModelName,
    signal: &str,
) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM readings WHERE model = ?1 AND signal = ?2")
            .bind(model.as_str())
            .bind(signal)
            .fetch_one(pool)
            .await?,
    )
}

pub(crate) async fn delete_window(
    conn: &mut SqliteConnection,
    model: &ModelName,
    start: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM samples WHERE model = ?1 AND role = 'window' AND window_start = ?2")
        .bind(model.as_str())
        .bind(start.0)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a rollout measurement; one already stored for the same metric, rollout and instant
/// wins.
pub(crate) async fn insert_measurement(
    pool: &SqlitePool,
    m: &MeasurementRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT OR IGNORE INTO rollout_measurements
         (model, pointer, canary, metric, at, value, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(m.model.as_str())
    .bind(m.pointer.as_str())
    .bind(m.canary.as_str())
    .bind(&m.metric)
    .bind(m.at.0)
    .bind(m.value.filter(|v| !v.is_nan()))
    .bind(&m.detail)
    .execute(pool)
    .await?;
    Ok(())
}

/// The measurements of one metric of one rollout from `since` on, oldest first.
pub(crate) async fn measurements(
    pool: &SqlitePool,
    model: &ModelName,
    pointer: &PointerName,
    canary: &VersionId,
    metric: &str,
    since: Timestamp,
) -> Result<Vec<MeasurementRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT at, value, detail FROM rollout_measurements
         WHERE model = ?1 AND pointer = ?2 AND canary = ?3 AND metric = ?4 AND at >= ?5
         ORDER BY at",
    )
    .bind(model.as_str())
    .bind(pointer.as_str())
    .bind(canary.as_str())
    .bind(metric)
    .bind(since.0)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(MeasurementRecord {
                model: model.clone(),
                pointer: pointer.clone(),
                canary: canary.clone(),
                metric: metric.to_owned(),
                at: Timestamp(row.try_get("at")?),
                value: row.try_get("value")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect()
}
