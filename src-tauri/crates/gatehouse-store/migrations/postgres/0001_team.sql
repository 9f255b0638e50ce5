-- The team store: the registry, readings, requests, approvals and the hash-chained audit log of a
-- team, shared by every desktop, with the rules enforced here as well as in the core, so that a
-- modified client cannot break them.
--
-- Identity is the database login (`session_user`). The roles are created beforehand by the SQL
-- that `gatehouse store init-roles` prints: `gatehouse_app` (every person's login is a member) and
-- `gatehouse_viewer`, `gatehouse_operator`, `gatehouse_approver`, `gatehouse_admin`, the
-- Gatehouse roles as PostgreSQL group roles. The login that runs the migrations owns the tables;
-- application logins get only the privileges granted at the end of this file.

-- Bumped by every write, so that a panel polling it notices changes from any desktop. A sequence,
-- not a row: writers never wait for one another to bump it.
CREATE SEQUENCE revision;
SELECT nextval('revision');

CREATE TABLE models (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE model_versions (
    model TEXT NOT NULL REFERENCES models (name) ON DELETE CASCADE,
    version TEXT NOT NULL,
    run_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
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

-- Every pointer move made through a request, in the order they happened.
CREATE TABLE pointer_moves (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model TEXT NOT NULL,
    pointer TEXT NOT NULL,
    from_version TEXT,
    to_version TEXT NOT NULL,
    request BIGINT NOT NULL,
    by_login TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE readings (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model TEXT NOT NULL,
    signal TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    read_at BIGINT NOT NULL,
    source TEXT NOT NULL,
    note TEXT
);
CREATE INDEX readings_latest ON readings (model, signal, read_at DESC);

CREATE TABLE gate_overrides (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gate TEXT NOT NULL,
    by_user TEXT NOT NULL,
    reason TEXT NOT NULL,
    at BIGINT NOT NULL,
    expires_at BIGINT
);

CREATE TABLE requests (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('promotion', 'rollback')),
    model TEXT NOT NULL,
    version TEXT NOT NULL,
    pointer TEXT NOT NULL,
    from_version TEXT,
    reason TEXT NOT NULL,
    requester TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'rejected', 'executing', 'done', 'failed')),
    required_approvals BIGINT NOT NULL CHECK (required_approvals >= 0),
    gates TEXT NOT NULL DEFAULT '[]',
    rejected_by TEXT,
    rejected_at BIGINT,
    rejection_reason TEXT,
    override_by TEXT,
    override_at BIGINT,
    override_reason TEXT,
    outcome TEXT
);
CREATE INDEX requests_state ON requests (state);
-- One open promotion per pointer, even when two people ask at the same moment. (A rollback may
-- cut across an open promotion, which then goes stale.)
CREATE UNIQUE INDEX requests_one_open ON requests (model, pointer)
    WHERE kind = 'promotion' AND state IN ('requested', 'approved', 'executing');

CREATE TABLE approvals (
    request BIGINT NOT NULL REFERENCES requests (id),
    by_user TEXT NOT NULL,
    at BIGINT NOT NULL,
    reason TEXT,
    PRIMARY KEY (request, by_user)
);

CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before TEXT,
    after TEXT,
    reason TEXT,
    response TEXT,
    request BIGINT,
    prev_hash TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL UNIQUE
);

-- The head of the audit chain: one row, locked by every append until its transaction ends, so
-- that concurrent writers take turns and the chain cannot fork.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Which Gatehouse roles may do what, from the policy's [promotion] section (`gatehouse store
-- migrate` writes it); `gatehouse_admin` may do everything.
CREATE TABLE permissions (
    action TEXT NOT NULL CHECK (action IN ('request', 'approve', 'rollback', 'override')),
    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'approver', 'admin')),
    PRIMARY KEY (action, role)
);
INSERT INTO permissions (action, role) VALUES
    ('request', 'operator'), ('request', 'approver'), ('request', 'admin'),
    ('approve', 'approver'), ('approve', 'admin'),
    ('rollback', 'operator'), ('rollback', 'approver'), ('rollback', 'admin'),
    ('override', 'admin');

-- How many approvals a promotion of each pointer needs at least; `*` for the others.
CREATE TABLE pointer_rules (
    pointer TEXT PRIMARY KEY,
    approvals BIGINT NOT NULL CHECK (approvals >= 0)
);
INSERT INTO pointer_rules (pointer, approvals) VALUES ('*', 1);

-- Whether the login of this session may do `action`.
CREATE FUNCTION gatehouse_may(p_action TEXT) RETURNS BOOLEAN
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT pg_has_role(session_user, 'gatehouse_admin', 'MEMBER')
        OR EXISTS (SELECT 1 FROM permissions p
                   WHERE p.action = p_action
                     AND pg_has_role(session_user, 'gatehouse_' || p.role, 'MEMBER'))
$$;

-- Refuses with `insufficient_privilege`, which clients report as a permission refusal.
CREATE FUNCTION gatehouse_refuse(message TEXT) RETURNS VOID
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = message;
END $$;

-- Whether `name` may be written as the acting user: the login itself, or a rule (`rule:…`) run
-- by a login that may roll back.
CREATE FUNCTION gatehouse_acting_as(name TEXT) RETURNS BOOLEAN
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT name = session_user::TEXT OR (name LIKE 'rule:%' AND gatehouse_may('rollback'))
$$;

CREATE FUNCTION requests_before_insert() RETURNS TRIGGER
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    needed BIGINT;
BEGIN
    IF NOT gatehouse_acting_as(NEW.requester) THEN
        PERFORM gatehouse_refuse(format('%s may not ask in the name of %s', session_user, NEW.requester));
    END IF;
    IF NEW.rejected_by IS NOT NULL OR NEW.override_by IS NOT NULL OR NEW.outcome IS NOT NULL THEN
        PERFORM gatehouse_refuse('a new request carries no decision and no outcome');
    END IF;
    IF NEW.kind = 'promotion' THEN
        IF NOT gatehouse_may('request') THEN
            PERFORM gatehouse_refuse(format('%s may not request promotions', session_user));
        END IF;
        SELECT approvals INTO needed FROM pointer_rules WHERE pointer = NEW.pointer;
        IF needed IS NULL THEN
            SELECT approvals INTO needed FROM pointer_rules WHERE pointer = '*';
        END IF;
        IF NEW.state <> 'requested' OR NEW.required_approvals < COALESCE(needed, 1) THEN
            PERFORM gatehouse_refuse(format('a promotion of %s starts requested and needs %s approvals',
                NEW.pointer, COALESCE(needed, 1)));
        END IF;
    ELSE
        IF NOT gatehouse_may('rollback') THEN
            PERFORM gatehouse_refuse(format('%s may not roll back', session_user));
        END IF;
        IF NEW.state <> 'approved' OR NEW.required_approvals <> 0 THEN
            PERFORM gatehouse_refuse('a rollback starts approved and takes no approvals');
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER requests_rules BEFORE INSERT ON requests
FOR EACH ROW EXECUTE FUNCTION requests_before_insert();

-- A request's facts never change; its state moves only along the life of a request, each step
-- by someone allowed to take it.
CREATE FUNCTION requests_before_update() RETURNS TRIGGER
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    given BIGINT;
BEGIN
    IF (NEW.id, NEW.kind, NEW.model, NEW.version, NEW.pointer, NEW.from_version, NEW.reason,
        NEW.requester, NEW.requested_at, NEW.required_approvals, NEW.gates)
       IS DISTINCT FROM
       (OLD.id, OLD.kind, OLD.model, OLD.version, OLD.pointer, OLD.from_version, OLD.reason,
        OLD.requester, OLD.requested_at, OLD.required_approvals, OLD.gates) THEN
        PERFORM gatehouse_refuse(format('request %s: what was requested cannot change', OLD.id));
    END IF;
    IF (NEW.override_by, NEW.override_at, NEW.override_reason)
       IS DISTINCT FROM (OLD.override_by, OLD.override_at, OLD.override_reason) THEN
        IF OLD.override_by IS NOT NULL OR NEW.override_by IS NULL
           OR NOT gatehouse_acting_as(NEW.override_by) OR NOT gatehouse_may('override')
           OR OLD.state NOT IN ('requested', 'approved') THEN
            PERFORM gatehouse_refuse(format('%s may not override the gates of request %s', session_user, OLD.id));
        END IF;
    END IF;
    IF (NEW.rejected_by, NEW.rejected_at, NEW.rejection_reason)
       IS DISTINCT FROM (OLD.rejected_by, OLD.rejected_at, OLD.rejection_reason)
       AND NEW.state <> 'rejected' THEN
        PERFORM gatehouse_refuse(format('request %s: a rejection comes only with the rejected state', OLD.id));
    END IF;
    IF NEW.outcome IS DISTINCT FROM OLD.outcome AND NEW.state NOT IN ('done', 'failed') THEN
        PERFORM gatehouse_refuse(format('request %s: an outcome comes only when it ends', OLD.id));
    END IF;
    IF NEW.state = OLD.state THEN
        RETURN NEW;
    END IF;
    CASE OLD.state || '>' || NEW.state
    WHEN 'requested>approved' THEN
        SELECT COUNT(*) INTO given FROM approvals WHERE request = OLD.id;
        IF OLD.kind <> 'promotion' OR given < OLD.required_approvals THEN
            PERFORM gatehouse_refuse(format('request %s has %s of %s approvals', OLD.id, given, OLD.required_approvals));
        END IF;
    WHEN 'requested>rejected', 'approved>rejected' THEN
        IF NEW.rejected_by IS NULL OR NOT gatehouse_acting_as(NEW.rejected_by)
           OR NOT gatehouse_may('approve') THEN
            PERFORM gatehouse_refuse(format('%s may not reject request %s', session_user, OLD.id));
        END IF;
    WHEN 'approved>executing' THEN
        IF NOT (gatehouse_may('approve') OR gatehouse_may('override')
                OR (OLD.kind = 'rollback' AND gatehouse_may('rollback'))) THEN
            PERFORM gatehouse_refuse(format('%s may not execute request %s', session_user, OLD.id));
        END IF;
    WHEN 'approved>failed', 'executing>done', 'executing>failed' THEN
        NULL;
    ELSE
        PERFORM gatehouse_refuse(format('request %s cannot go from %s to %s', OLD.id, OLD.state, NEW.state));
    END CASE;
    RETURN NEW;
END $$;
CREATE TRIGGER requests_life BEFORE UPDATE ON requests
FOR EACH ROW EXECUTE FUNCTION requests_before_update();

-- Approvals: by the login itself, an approver, never the requester, once per person (the primary
-- key), and only while the request waits for them.
CREATE FUNCTION approvals_before_insert() RETURNS TRIGGER
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    req requests%ROWTYPE;
BEGIN
    IF NEW.by_user <> session_user::TEXT THEN
        PERFORM gatehouse_refuse(format('%s may not approve in the name of %s', session_user, NEW.by_user));
    END IF;
    IF NOT gatehouse_may('approve') THEN
        PERFORM gatehouse_refuse(format('%s may not approve promotions', session_user));
    END IF;
    SELECT * INTO req FROM requests WHERE id = NEW.request;
    IF NOT FOUND THEN
        RETURN NEW; -- the foreign key refuses it
    END IF;
    IF req.requester = NEW.by_user THEN
        PERFORM gatehouse_refuse(format('four-eyes: %s requested %s and may not approve it', NEW.by_user, NEW.request));
    END IF;
    IF req.kind <> 'promotion' OR req.state <> 'requested' THEN
        PERFORM gatehouse_refuse(format('request %s is %s and takes no more approvals', NEW.request, req.state));
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER approvals_rules BEFORE INSERT ON approvals
FOR EACH ROW EXECUTE FUNCTION approvals_before_insert();

-- The hash chain, computed here: the event's place and hashes are the database's, whatever the
-- client sent. The canonical form is the one `AuditEvent::compute_hash` hashes: a compact JSON
-- array (PostgreSQL escapes strings as serde_json does).
CREATE FUNCTION audit_before_insert() RETURNS TRIGGER
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    head audit_head%ROWTYPE;
    canonical TEXT;
BEGIN
    IF NOT gatehouse_acting_as(NEW.actor) THEN
        PERFORM gatehouse_refuse(format('%s may not write the audit log in the name of %s', session_user, NEW.actor));
    END IF;
    UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING * INTO head;
    NEW.seq := head.seq;
    NEW.prev_hash := head.hash;
    canonical := '[' || concat_ws(',',
        to_json('gatehouse-audit-v1'::TEXT)::TEXT,
        NEW.seq::TEXT,
        NEW.at::TEXT,
        to_json(NEW.actor)::TEXT,
        to_json(NEW.action)::TEXT,
        to_json(NEW.target)::TEXT,
        COALESCE(to_json(NEW.before)::TEXT, 'null'),
        COALESCE(to_json(NEW.after)::TEXT, 'null'),
        COALESCE(to_json(NEW.reason)::TEXT, 'null'),
        COALESCE(to_json(NEW.response)::TEXT, 'null'),
        COALESCE(NEW.request::TEXT, 'null'),
        to_json(NEW.prev_hash)::TEXT) || ']';
    NEW.hash := encode(sha256(convert_to(canonical, 'UTF8')), 'hex');
    UPDATE audit_head SET hash = NEW.hash WHERE id = 1;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_chain BEFORE INSERT ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_before_insert();

-- Append-only even for the owner (application logins are not granted UPDATE or DELETE at all).
CREATE FUNCTION audit_append_only() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = 'the audit log is append-only';
END $$;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- Moves a pointer for the request being executed, only from where the request found it: a
-- pointer someone moved meanwhile makes the request stale (SQLSTATE GH001), never a blind move.
-- Returns the version the pointer held.
CREATE FUNCTION move_pointer(p_request BIGINT, p_model TEXT, p_pointer TEXT, p_version TEXT)
RETURNS TEXT
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    req requests%ROWTYPE;
    current TEXT;
BEGIN
    SELECT * INTO req FROM requests WHERE id = p_request FOR UPDATE;
    IF NOT FOUND OR req.state <> 'executing'
       OR (req.model, req.pointer, req.version) IS DISTINCT FROM (p_model, p_pointer, p_version) THEN
        PERFORM gatehouse_refuse(format('%s@%s moves only for an executing request that asks for %s',
            p_model, p_pointer, p_version));
    END IF;
    PERFORM 1 FROM models WHERE name = p_model FOR UPDATE;
    SELECT version INTO current FROM pointers WHERE model = p_model AND name = p_pointer FOR UPDATE;
    IF current IS DISTINCT FROM req.from_version THEN
        RAISE EXCEPTION USING ERRCODE = 'GH001', MESSAGE = format(
            'stale: %s@%s moved from %s to %s since the request', p_model, p_pointer,
            COALESCE(req.from_version, 'nothing'), COALESCE(current, 'nothing'));
    END IF;
    INSERT INTO pointers (model, name, version) VALUES (p_model, p_pointer, p_version)
    ON CONFLICT (model, name) DO UPDATE SET version = excluded.version;
    INSERT INTO pointer_moves (model, pointer, from_version, to_version, request, by_login)
    VALUES (p_model, p_pointer, current, p_version, p_request, session_user);
    RETURN current;
END $$;

-- Every write bumps the revision (polling panels) and tells listeners what changed (LISTEN
-- gatehouse): {"kind": "request" | "approval" | "pointer" | "audit" | "reading", "id": …}.
CREATE FUNCTION bump_revision() RETURNS TRIGGER
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM nextval('revision');
    RETURN NULL;
END $$;

CREATE FUNCTION notify_change() RETURNS TRIGGER
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    id TEXT;
BEGIN
    -- Each branch names only the fields of its own table.
    IF TG_ARGV[0] = 'request' THEN
        id := NEW.id::TEXT;
    ELSIF TG_ARGV[0] = 'approval' THEN
        id := NEW.request::TEXT;
    ELSIF TG_ARGV[0] = 'pointer' THEN
        id := NEW.model || '@' || NEW.name;
    ELSIF TG_ARGV[0] = 'audit' THEN
        id := NEW.seq::TEXT;
    ELSE
        id := NEW.model || ':' || NEW.signal;
    END IF;
    PERFORM pg_notify('gatehouse', json_build_object(
        'kind', TG_ARGV[0], 'id', id, 'login', session_user)::TEXT);
    RETURN NULL;
END $$;

CREATE TRIGGER models_rev AFTER INSERT OR UPDATE OR DELETE ON models FOR EACH STATEMENT EXECUTE FUNCTION bump_revision();
CREATE TRIGGER versions_rev AFTER INSERT OR UPDATE OR DELETE ON model_versions FOR EACH STATEMENT EXECUTE FUNCTION bump_revision();
CREATE TRIGGER pointers_rev AFTER INSERT OR UPDATE OR DELETE ON pointers FOR EACH STATEMENT EXECUTE FUNCTION bump_revision();
CREATE TRIGGER readings_rev AFTER INSERT OR DELETE ON readings FOR EACH STATEMENT EXECUTE FUNCTION bump_revision();
CREATE TRIGGER overrides_rev AFTER INSERT OR DELETE ON gate_overrides FOR EACH STATEMENT EXECUTE FUNCTION bump_revision();
CREATE TRIGGER requests_rev AFTER INSERT OR UPDATE ON requests FOR EACH STATEMENT EXECUTE FUNCTION bump_revision();
CREATE TRIGGER approvals_rev AFTER INSERT ON approvals FOR EACH STATEMENT EXECUTE FUNCTION bump_revision();
CREATE TRIGGER audit_rev AFTER INSERT ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION bump_revision();

CREATE TRIGGER requests_notify AFTER INSERT OR UPDATE ON requests FOR EACH ROW EXECUTE FUNCTION notify_change('request');
CREATE TRIGGER approvals_notify AFTER INSERT ON approvals FOR EACH ROW EXECUTE FUNCTION notify_change('approval');
CREATE TRIGGER pointers_notify AFTER INSERT OR UPDATE ON pointers FOR EACH ROW EXECUTE FUNCTION notify_change('pointer');
CREATE TRIGGER audit_notify AFTER INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION notify_change('audit');
CREATE TRIGGER readings_notify AFTER INSERT ON readings FOR EACH ROW EXECUTE FUNCTION notify_change('reading');

-- What application logins may do: read everything, write only through these doors.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;
GRANT SELECT ON revision, models, model_versions, pointers, pointer_moves, readings, gate_overrides,
    requests, approvals, audit_events, audit_head, permissions, pointer_rules, _sqlx_migrations
    TO gatehouse_app;
GRANT INSERT ON readings, requests, approvals, audit_events TO gatehouse_app;
GRANT UPDATE (state, outcome, rejected_by, rejected_at, rejection_reason, override_by, override_at,
    override_reason) ON requests TO gatehouse_app;
GRANT EXECUTE ON FUNCTION move_pointer(BIGINT, TEXT, TEXT, TEXT), gatehouse_may(TEXT) TO gatehouse_app;
