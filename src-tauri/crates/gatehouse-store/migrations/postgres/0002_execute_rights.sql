-- Only a login that may execute a request (approve, override, or roll back for a rollback) may
-- take it from approved to executing or failed, or move its pointer: a viewer's client can no
-- longer fail someone's approved request as stale or call move_pointer for it.

CREATE FUNCTION gatehouse_may_execute(p_kind TEXT) RETURNS BOOLEAN
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT gatehouse_may('approve') OR gatehouse_may('override')
        OR (p_kind = 'rollback' AND gatehouse_may('rollback'))
$$;
REVOKE EXECUTE ON FUNCTION gatehouse_may_execute(TEXT) FROM PUBLIC;

CREATE OR REPLACE FUNCTION requests_before_update() RETURNS TRIGGER
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
    WHEN 'approved>executing', 'approved>failed' THEN
        IF NOT gatehouse_may_execute(OLD.kind) THEN
            PERFORM gatehouse_refuse(format('%s may not execute request %s', session_user, OLD.id));
        END IF;
    WHEN 'executing>done', 'executing>failed' THEN
        -- Settling an interrupted execution is every client's duty at start-up.
        NULL;
    ELSE
        PERFORM gatehouse_refuse(format('request %s cannot go from %s to %s', OLD.id, OLD.state, NEW.state));
    END CASE;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION move_pointer(p_request BIGINT, p_model TEXT, p_pointer TEXT, p_version TEXT)
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
    IF NOT gatehouse_may_execute(req.kind) THEN
        PERFORM gatehouse_refuse(format('%s may not execute request %s', session_user, p_request));
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
