-- Promotion and rollback requests, their approvals, and the hash-chained audit log.

CREATE TABLE requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('promotion', 'rollback')),
    model TEXT NOT NULL,
    version TEXT NOT NULL,
    pointer TEXT NOT NULL,
    from_version TEXT,
    reason TEXT NOT NULL,
    requester TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'rejected', 'executing', 'done', 'failed')),
    required_approvals INTEGER NOT NULL CHECK (required_approvals >= 0),
    gates TEXT NOT NULL DEFAULT '[]',
    rejected_by TEXT,
    rejected_at INTEGER,
    rejection_reason TEXT,
    override_by TEXT,
    override_at INTEGER,
    override_reason TEXT,
    outcome TEXT
);
CREATE INDEX requests_state ON requests (state);

CREATE TABLE approvals (
    request INTEGER NOT NULL REFERENCES requests (id),
    by_user TEXT NOT NULL,
    at INTEGER NOT NULL,
    reason TEXT,
    PRIMARY KEY (request, by_user)
);

-- The four-eyes rule, again in the database: a requester's approval is refused here too.
CREATE TRIGGER approvals_four_eyes BEFORE INSERT ON approvals
WHEN NEW.by_user = (SELECT requester FROM requests WHERE id = NEW.request)
BEGIN SELECT RAISE(ABORT, 'four-eyes: the requester may not approve'); END;

CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before TEXT,
    after TEXT,
    reason TEXT,
    response TEXT,
    request INTEGER,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

-- Append-only: the application never updates or deletes an event. (Anyone who can write the file
-- can drop these triggers; the hash chain is what makes such edits visible.)
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TRIGGER requests_ins AFTER INSERT ON requests BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER requests_upd AFTER UPDATE ON requests BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER approvals_ins AFTER INSERT ON approvals BEGIN UPDATE meta SET revision = revision + 1; END;
CREATE TRIGGER audit_ins AFTER INSERT ON audit_events BEGIN UPDATE meta SET revision = revision + 1; END;
