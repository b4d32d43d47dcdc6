-- Deploy tasklib:flow_control
-- How operators and code change a queue's flow control (tasklib.queues): its limits, a pause, a
-- suspension. claim enforces them; the queue_flow view shows them. Cheap: defines functions.
BEGIN;

-- The queue's row, created with no limits if it has none yet, locked for the caller's change.
CREATE FUNCTION tasklib._queue_for_update(queue text) RETURNS tasklib.queues
LANGUAGE plpgsql AS $$
DECLARE
    v_row tasklib.queues;
BEGIN
    IF queue IS NULL OR queue = '' THEN
        RAISE EXCEPTION 'queue must be a non-empty string, got %', coalesce(quote_literal(queue), 'NULL')
            USING ERRCODE = 'TL002';
    END IF;
    INSERT INTO tasklib.queues (name) VALUES (_queue_for_update.queue) ON CONFLICT DO NOTHING;
    SELECT * INTO v_row FROM tasklib.queues q WHERE q.name = _queue_for_update.queue FOR NO KEY UPDATE;
    RETURN v_row;
END;
$$;
COMMENT ON FUNCTION tasklib._queue_for_update IS
    'Private: the row of queue in tasklib.queues (added, with no limits, if missing), locked until the caller commits.';

-- Set every limit of a queue at once: what the call says is the queue's whole configuration (an
-- omitted limit is no limit), so running the same call twice, or from a deploy script, gives
-- the same queue whatever was set before. A limit governs the claims that start after it
-- commits; tasks already running finish.
CREATE FUNCTION tasklib.set_queue_limits(
    queue                   text,
    concurrency_limit       integer DEFAULT NULL,
    key_concurrency_limit   integer DEFAULT NULL,
    rate_limit              integer DEFAULT NULL,
    rate_period_seconds     double precision DEFAULT 1,
    rate_burst              integer DEFAULT 1,
    key_rate_limit          integer DEFAULT NULL,
    key_rate_period_seconds double precision DEFAULT 1,
    key_rate_burst          integer DEFAULT 1
) RETURNS tasklib.queues
LANGUAGE plpgsql AS $$
DECLARE
    v_row tasklib.queues;
    v_name text;
    v_value double precision;
    v_required boolean;
BEGIN
    -- A limit may be NULL (none); a rate's period and burst may not, once the rate is set.
    FOR v_name, v_value, v_required IN VALUES
        ('concurrency_limit', concurrency_limit::double precision, false),
        ('key_concurrency_limit', key_concurrency_limit::double precision, false),
        ('rate_limit', rate_limit::double precision, false),
        ('key_rate_limit', key_rate_limit::double precision, false),
        ('rate_burst', rate_burst::double precision, rate_limit IS NOT NULL),
        ('key_rate_burst', key_rate_burst::double precision, key_rate_limit IS NOT NULL)
    LOOP
        IF v_value < 1 OR (v_required AND v_value IS NULL) THEN
            RAISE EXCEPTION '% must be at least 1%, got %', v_name,
                CASE WHEN v_required THEN '' ELSE ' (or NULL: no limit)' END, coalesce(v_value::text, 'NULL')
                USING ERRCODE = 'TL002';
        END IF;
    END LOOP;
    FOR v_name, v_value, v_required IN VALUES
        ('rate_period_seconds', rate_period_seconds, rate_limit IS NOT NULL),
        ('key_rate_period_seconds', key_rate_period_seconds, key_rate_limit IS NOT NULL)
    LOOP
        -- NaN sorts above every number, so "> 86400" also catches it.
        IF v_required AND (v_value IS NULL OR v_value <= 0 OR v_value > 86400) THEN
            RAISE EXCEPTION '% must be a number of seconds > 0 and at most 86400 (1 day), got %', v_name,
                coalesce(v_value::text, 'NULL') USING ERRCODE = 'TL002';
        END IF;
    END LOOP;

    PERFORM tasklib._queue_for_update(queue);
    UPDATE tasklib.queues q
       SET concurrency_limit = set_queue_limits.concurrency_limit,
           key_concurrency_limit = set_queue_limits.key_concurrency_limit,
           rate_limit = set_queue_limits.rate_limit,
           rate_period_seconds = CASE WHEN set_queue_limits.rate_limit IS NOT NULL THEN set_queue_limits.rate_period_seconds END,
           rate_burst = CASE WHEN set_queue_limits.rate_limit IS NOT NULL THEN set_queue_limits.rate_burst END,
           key_rate_limit = set_queue_limits.key_rate_limit,
           key_rate_period_seconds = CASE WHEN set_queue_limits.key_rate_limit IS NOT NULL THEN set_queue_limits.key_rate_period_seconds END,
           key_rate_burst = CASE WHEN set_queue_limits.key_rate_limit IS NOT NULL THEN set_queue_limits.key_rate_burst END,
           -- A bucket refills at its current level: a changed rate or burst applies from now,
           -- without a burst nobody saved up. No rate: no bucket.
           tokens = CASE WHEN set_queue_limits.rate_limit IS NOT NULL
                         THEN least(set_queue_limits.rate_burst,
                                    coalesce(tasklib._bucket_level(q.tokens, q.tokens_at, q.rate_limit,
                                                                   q.rate_period_seconds, q.rate_burst),
                                             set_queue_limits.rate_burst)) END,
           tokens_at = CASE WHEN set_queue_limits.rate_limit IS NOT NULL THEN now() END,
           updated_at = now()
     WHERE q.name = set_queue_limits.queue
    RETURNING q.* INTO v_row;
    -- Free slots may be claimable now (a limit raised or removed).
    PERFORM pg_notify('tasklib_submitted', queue);
    RETURN v_row;
END;
$$;
COMMENT ON FUNCTION tasklib.set_queue_limits IS
    'Set all flow-control limits of queue (created if new) at once; an omitted (NULL) limit is no limit. concurrency_limit: running tasks of the queue over all workers; key_concurrency_limit: running tasks per limit_key; rate_limit starts per rate_period_seconds with rate_burst saved up at most (token bucket), per queue and (key_rate_*) per limit_key. Returns the queue''s row.';

CREATE FUNCTION tasklib.pause_queue(queue text) RETURNS tasklib.queues
LANGUAGE plpgsql AS $$
DECLARE
    v_row tasklib.queues;
BEGIN
    PERFORM tasklib._queue_for_update(queue);
    UPDATE tasklib.queues q SET paused = true, updated_at = now()
     WHERE q.name = pause_queue.queue RETURNING q.* INTO v_row;
    RETURN v_row;
END;
$$;
COMMENT ON FUNCTION tasklib.pause_queue IS
    'Stop claims of queue''s tasks (created if new) until resume_queue; running tasks finish. Returns the queue''s row.';

CREATE FUNCTION tasklib.resume_queue(queue text) RETURNS tasklib.queues
LANGUAGE plpgsql AS $$
DECLARE
    v_row tasklib.queues;
BEGIN
    PERFORM tasklib._queue_for_update(queue);
    UPDATE tasklib.queue_keys k SET suspended_until = NULL, blocked_until = NULL
     WHERE k.queue = resume_queue.queue AND k.suspended_until IS NOT NULL;
    UPDATE tasklib.queues q
       SET paused = false, suspended_until = NULL, keys_blocked_until = NULL, updated_at = now()
     WHERE q.name = resume_queue.queue RETURNING q.* INTO v_row;
    -- Idle workers wake now rather than at their next poll.
    PERFORM pg_notify('tasklib_submitted', queue);
    RETURN v_row;
END;
$$;
COMMENT ON FUNCTION tasklib.resume_queue IS
    'Undo pause_queue and end every suspension of queue and of its keys; wakes idle workers (NOTIFY tasklib_submitted). Limits stay. Returns the queue''s row.';

-- What a task's RateLimited does, for an operator or another service: hold a queue, or one key
-- of it, until a time. A suspension only ever grows here; resume_queue ends it early.
CREATE FUNCTION tasklib.suspend_queue(queue text, until timestamptz, limit_key text DEFAULT NULL)
RETURNS tasklib.queues
LANGUAGE plpgsql AS $$
DECLARE
    v_row tasklib.queues;
BEGIN
    IF until IS NULL OR until = 'infinity' THEN
        RAISE EXCEPTION 'until must be a finite time, got %', coalesce(until::text, 'NULL')
            USING ERRCODE = 'TL002', HINT = 'To hold a queue indefinitely, pause it (pause_queue).';
    END IF;
    IF limit_key = '' THEN
        RAISE EXCEPTION 'limit_key must be a non-empty string or NULL (the whole queue), got ''''' USING ERRCODE = 'TL002';
    END IF;
    PERFORM tasklib._queue_for_update(queue);
    IF limit_key IS NOT NULL THEN
        INSERT INTO tasklib.queue_keys AS k (queue, key, suspended_until, blocked_until)
        VALUES (suspend_queue.queue, suspend_queue.limit_key, suspend_queue.until, suspend_queue.until)
        ON CONFLICT ON CONSTRAINT queue_keys_pkey DO UPDATE
           SET suspended_until = greatest(k.suspended_until, excluded.suspended_until),
               blocked_until = greatest(k.blocked_until, excluded.blocked_until);
    END IF;
    UPDATE tasklib.queues q
       SET suspended_until = CASE WHEN suspend_queue.limit_key IS NULL
                                  THEN greatest(q.suspended_until, suspend_queue.until) ELSE q.suspended_until END,
           keys_blocked_until = CASE WHEN suspend_queue.limit_key IS NOT NULL
                                     THEN greatest(q.keys_blocked_until, suspend_queue.until) ELSE q.keys_blocked_until END,
           updated_at = now()
     WHERE q.name = suspend_queue.queue RETURNING q.* INTO v_row;
    RETURN v_row;
END;
$$;
COMMENT ON FUNCTION tasklib.suspend_queue IS
    'Start no task of queue (or, with limit_key, of that key) before until; a later suspension already in force stays. resume_queue ends it. Returns the queue''s row.';

-- A key's row only carries state while it is suspended or its bucket is short of full; after
-- that it says nothing a missing row would not (no row: not suspended, full bucket). purge_all
-- calls this, so that a queue keyed by, say, customer id does not keep a row per customer.
CREATE FUNCTION tasklib.purge_queue_keys() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_count integer;
BEGIN
    DELETE FROM tasklib.queue_keys k
     USING tasklib.queues q
     WHERE q.name = k.queue
       AND (k.suspended_until IS NULL OR k.suspended_until <= now())
       AND (q.key_rate_limit IS NULL OR k.tokens IS NULL
            OR tasklib._bucket_level(k.tokens, k.tokens_at, q.key_rate_limit, q.key_rate_period_seconds,
                                     q.key_rate_burst) >= q.key_rate_burst);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$$;
COMMENT ON FUNCTION tasklib.purge_queue_keys IS
    'Delete the rows of tasklib.queue_keys that hold no state any more (suspension over, rate bucket full again); returns how many. purge_all calls it.';

COMMIT;
