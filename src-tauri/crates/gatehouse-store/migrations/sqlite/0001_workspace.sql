-- The embedded workspace: registry, signal readings, gate overrides, and a revision counter that
-- every write bumps so that panels in other processes notice changes.

CREATE TABLE meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL
);
INSERT INTO meta (id, revision) VALUES (1, 0);

CREATE TABLE models (
    name TEXT PRIMARY KEY NOT NULL,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE model_versions (
    model TEXT NOT NULL REFERENCES models (name) ON DELETE CASCADE,
    version TEXT NOT NULL,
    run_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    metrics TEXT NOT NULL DEFAULT '{}',
    tags TEXT NOT NULL DEFAULT '{}',
    data_version TEXT,
    code_commit TEXT,
    PRIMARY KEY (model, version)
);

CREATE TABLE pointers (
    model TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    PRIMARY KEY (model, name),
    FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
);

CREATE TABLE readings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    model TEXT NOT NULL,
    signal TEXT NOT NULL,
    value REAL NOT NULL,
    read_at INTEGER NOT NULL,
    source TEXT NOT NULL,
    note TEXT
);
CREATE INDEX readings_latest ON readings (model, signal, read_at DESC);

CREATE TABLE gate_overrides (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    gate TEXT NOT NULL,
    by_user TEXT NOT NULL,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL,
    expires_at INTEGER
);

CREATE TRIGGER models_ins AFTER INSERT ON models BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER models_upd AFTER UPDATE ON models BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER models_del AFTER DELETE ON models BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER versions_ins AFTER INSERT ON model_versions BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER versions_upd AFTER UPDATE ON model_versions BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER versions_del AFTER DELETE ON model_versions BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER pointers_ins AFTER INSERT ON pointers BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER pointers_upd AFTER UPDATE ON pointers BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER pointers_del AFTER DELETE ON pointers BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER readings_ins AFTER INSERT ON readings BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER readings_del AFTER DELETE ON readings BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER overrides_ins AFTER INSERT ON gate_overrides BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER overrides_del AFTER DELETE ON gate_overrides BEGIN UPDATE meta SET revision = revision + 1; END;
