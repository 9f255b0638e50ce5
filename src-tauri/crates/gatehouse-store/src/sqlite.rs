//! The queries of the embedded SQLite database, one function per statement.

use std::collections::BTreeMap;

use gatehouse_core::gate::{GateId, GateOverride, LatestReadings};
use gatehouse_core::reading::{ModelName, Reading, SignalName};
use gatehouse_core::registry::{Model, ModelVersion, PointerName, VersionId};
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
