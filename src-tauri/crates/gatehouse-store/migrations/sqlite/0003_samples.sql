-- Feature samples of a model: its training reference and its serving stream in windows. Values
-- are JSON arrays (numbers, with null for missing; or strings, with null for missing).

CREATE TABLE samples (
    model TEXT NOT NULL,
    feature TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('reference', 'window')),
    window_start INTEGER NOT NULL,
    window_end INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('numerical', 'categorical')),
    vals TEXT NOT NULL,
    PRIMARY KEY (model, feature, role, window_start)
);

CREATE TRIGGER samples_ins AFTER INSERT ON samples BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER samples_del AFTER DELETE ON samples BEGIN UPDATE meta SET revision = revision + 1; END;
