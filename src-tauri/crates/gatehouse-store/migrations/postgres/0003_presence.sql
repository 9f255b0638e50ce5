-- Who is looking at which request, so that a panel can say "also looking: bob". A panel beats
-- every few seconds while it shows requests; a beat older than the window the reader asks for is
-- nobody looking, so a panel that closed without a word drops off by itself. A login speaks only
-- for itself: the table is written only through `look_at`, as `session_user`, and is no part of
-- the revision or the change notices (a look changes nothing).

CREATE TABLE presence (
    login TEXT NOT NULL,
    request BIGINT NOT NULL REFERENCES requests (id),
    seen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (login, request)
);

-- Records that the caller looks at `p_requests` now, and at no other request; returns who else
-- looked at which request within the last `p_fresh_ms` milliseconds, by the server's clock.
-- Only the caller's own rows are written, so beats of different logins never wait for each other.
CREATE FUNCTION look_at(p_requests BIGINT[], p_fresh_ms INTEGER)
RETURNS TABLE (seen_request BIGINT, seen_login TEXT)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_fresh_ms IS NULL OR p_fresh_ms NOT BETWEEN 1000 AND 60000 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'a look lasts between 1 and 60 seconds';
    END IF;
    DELETE FROM presence AS p
    WHERE p.login = session_user AND NOT (p.request = ANY (COALESCE(p_requests, '{}')));
    INSERT INTO presence AS p (login, request, seen_at)
    SELECT session_user, r.id, clock_timestamp()
    FROM requests AS r
    WHERE r.id = ANY (COALESCE(p_requests, '{}'))
    ON CONFLICT ON CONSTRAINT presence_pkey DO UPDATE SET seen_at = excluded.seen_at;
    RETURN QUERY
        SELECT p.request, p.login
        FROM presence AS p
        WHERE p.login <> session_user
          AND p.seen_at >= clock_timestamp() - make_interval(secs => p_fresh_ms / 1000.0)
        ORDER BY p.request, p.login;
END $$;

REVOKE ALL ON presence FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION look_at(BIGINT[], INTEGER) FROM PUBLIC;
GRANT SELECT ON presence TO gatehouse_app;
GRANT EXECUTE ON FUNCTION look_at(BIGINT[], INTEGER) TO gatehouse_app;
