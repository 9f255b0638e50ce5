-- The rollout analysis's measurements of PromQL metrics: one row per metric, rollout (the
-- version under analysis at its pointer) and instant. A measurement without value (the query
-- failed or had no data) keeps why in `detail`; SQLite stores NaN as NULL, so none is stored.

CREATE TABLE rollout_measurements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    model TEXT NOT NULL,
    pointer TEXT NOT NULL,
    canary TEXT NOT NULL,
    metric TEXT NOT NULL,
    at INTEGER NOT NULL,
    value REAL,
    detail TEXT NOT NULL,
    UNIQUE (model, pointer, canary, metric, at)
);

CREATE TRIGGER rollout_measurements_ins AFTER INSERT ON rollout_measurements
BEGIN UPDATE meta SET revision = revision + 1; END;
