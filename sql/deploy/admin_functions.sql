-- Deploy tasklib:admin_functions
-- Operator actions: cancel a task that has not started, re-queue a finished failure, and delete
-- old history. Each raises a TL-class error naming what is wrong instead of silently doing nothing.
BEGIN;

-- Cancel a task. One that has not started (pending, or failed and waiting for its retry) is
-- cancelled at once. A running one is asked to stop: its row records the request and its worker
-- hears of it at once (NOTIFY tasklib_cancel, the task id) or at its next look
-- (cancel_requests); the worker stops the task and reports it through fail, which ends it
-- cancelled, as lease recovery does if the worker died. Either way it is never retried. Asking
-- again changes nothing.
CREATE FUNCTION tasklib.cancel(id uuid, reason text DEFAULT NULL) RETURNS tasklib.tasks
LANGUAGE plpgsql AS $$
DECLARE
    v_task tasklib.tasks;
BEGIN
    IF length(reason) > 1000 THEN
        RAISE EXCEPTION 'reason must be at most 1000 characters, got %', length(reason) USING ERRCODE = 'TL002';
    END IF;
    SELECT * INTO v_task FROM tasklib.tasks t WHERE t.id = cancel.id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % not found', cancel.id USING ERRCODE = 'TL003';
    END IF;
    IF v_task.terminal THEN
        RAISE EXCEPTION 'task % is %: only an unfinished task can be cancelled',
            cancel.id, CASE WHEN v_task.state = 'failed' THEN 'permanently failed' ELSE v_task.state END
            USING ERRCODE = 'TL004';
    END IF;
    IF v_task.state = 'running' THEN
        IF v_task.cancel_requested_at IS NULL THEN
            UPDATE tasklib.tasks t
               SET cancel_requested_at = now(), cancelled_by = session_user, cancel_reason = cancel.reason
             WHERE t.id = cancel.id
            RETURNING t.* INTO v_task;
            PERFORM pg_notify('tasklib_cancel', cancel.id::text);
        END IF;
        RETURN v_task;
    END IF;
    UPDATE tasklib.tasks t
       SET state = 'cancelled', completed_at = now(), next_retry_at = NULL,
           cancel_requested_at = now(), cancelled_by = session_user, cancel_reason = cancel.reason
     WHERE t.id = cancel.id
    RETURNING t.* INTO v_task;
    PERFORM pg_notify('tasklib_finished', cancel.id::text);
    RETURN v_task;
END;
$$;
COMMENT ON FUNCTION tasklib.cancel IS
    'Cancel an unfinished task, recording who (session_user) and why: a pending one, or one waiting for a retry, at once; a running one is asked to stop (NOTIFY tasklib_cancel) and ends cancelled when its worker stops it or its lease expires, never retried. TL003 if unknown, TL004 if finished.';

-- Cancel every unfinished task that matches all the filters given (at least one): a task name,
-- a queue, tags it contains. Returns the ids asked to stop or cancelled.
CREATE FUNCTION tasklib.cancel_tasks(
    name   text DEFAULT NULL,
    queue  text DEFAULT NULL,
    tags   jsonb DEFAULT NULL,
    reason text DEFAULT NULL
) RETURNS SETOF uuid
LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid;
BEGIN
    IF name IS NULL AND queue IS NULL AND (tags IS NULL OR tags = '{}') THEN
        RAISE EXCEPTION 'cancel_tasks needs a filter: name, queue or tags' USING ERRCODE = 'TL002';
    END IF;
    FOR v_id IN
        SELECT t.id FROM tasklib.tasks t
         WHERE NOT t.terminal
           AND (cancel_tasks.name IS NULL OR t.name = cancel_tasks.name)
           AND (cancel_tasks.queue IS NULL OR t.queue = cancel_tasks.queue)
           AND (cancel_tasks.tags IS NULL OR cancel_tasks.tags = '{}' OR (t.tags <> '{}' AND t.tags @> cancel_tasks.tags))
         ORDER BY t.id
    LOOP
        PERFORM tasklib.cancel(v_id, cancel_tasks.reason);
        RETURN NEXT v_id;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION tasklib.cancel_tasks IS
    'Cancel (as cancel does) every unfinished task matching all filters given: name, queue, tags (containment); at least one is required. Returns their ids.';

-- The running tasks of worker whose cancellation was asked for: how a worker that cannot LISTEN
-- (or missed a NOTIFY tasklib_cancel while reconnecting) finds out.
CREATE FUNCTION tasklib.cancel_requests(worker text) RETURNS SETOF uuid
LANGUAGE sql STABLE AS $$
    SELECT t.id FROM tasklib.tasks t
     WHERE t.state = 'running' AND t.worker_id = cancel_requests.worker AND t.cancel_requested_at IS NOT NULL
$$;
COMMENT ON FUNCTION tasklib.cancel_requests IS
    'The running tasks of worker whose cancellation was asked for (what NOTIFY tasklib_cancel announces), for a worker that polls.';

-- Run a finished failure (or a cancelled task) again, with its retries restored.
CREATE FUNCTION tasklib.retry(id uuid, delay_seconds double precision DEFAULT 0) RETURNS tasklib.tasks
LANGUAGE plpgsql AS $$
DECLARE
    v_task tasklib.tasks;
BEGIN
    -- NaN sorts above Infinity in PostgreSQL, so this rejects it too.
    IF delay_seconds IS NULL OR NOT (delay_seconds >= 0 AND delay_seconds <= 3155760000) THEN
        RAISE EXCEPTION 'delay_seconds must be a number from 0 to 3155760000 (100 years), got %', delay_seconds USING ERRCODE = 'TL002';
    END IF;
    SELECT * INTO v_task FROM tasklib.tasks t WHERE t.id = retry.id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % not found', retry.id USING ERRCODE = 'TL003';
    END IF;
    IF NOT v_task.terminal OR v_task.state = 'completed' THEN
        RAISE EXCEPTION 'task % is %: only a permanently failed or cancelled task can be retried',
            retry.id, CASE WHEN v_task.state = 'failed' THEN 'waiting for a retry' ELSE v_task.state END
            USING ERRCODE = 'TL004';
    END IF;
    -- Unfinished again, the task takes its unique key back, unless another unfinished task of
    -- its name holds it now (tasks_unique_idx).
    BEGIN
        UPDATE tasklib.tasks t
           SET state = 'pending',
               retry_count = 0,
               -- A non-retryable failure spent the retries; a retry asked for by hand gets them back.
               max_retries = coalesce(t.max_retries_submitted, t.max_retries),
               max_retries_submitted = NULL,
               scheduled_at = now() + make_interval(secs => retry.delay_seconds),
               next_retry_at = NULL,
               completed_at = NULL,
               started_at = NULL,
               worker_id = NULL,
               -- The cancellation that ended the last run must not stop the next one: a running
               -- task with cancel_requested_at set is stopped by its worker (cancel_requests)
               -- and ends cancelled whatever fail says.
               cancel_requested_at = NULL,
               cancelled_by = NULL,
               cancel_reason = NULL
         WHERE t.id = retry.id
        RETURNING t.* INTO v_task;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'task % cannot be retried: another unfinished task of % holds its unique key %',
            retry.id, v_task.name, v_task.unique_key USING ERRCODE = 'TL007';
    END;
    IF retry.delay_seconds = 0 THEN
        PERFORM pg_notify('tasklib_submitted', v_task.queue);
    END IF;
    RETURN v_task;
END;
$$;
COMMENT ON FUNCTION tasklib.retry IS
    'Queue a permanently failed or cancelled task again with retry_count reset; raises TL003 if unknown, TL004 if it is not finished.';

-- Delete finished tasks older than older_than, at most batch_size rows per call so that no
-- call holds many row locks for long; call it until it returns 0 (tasklib purge does).
CREATE FUNCTION tasklib.purge(
    older_than interval DEFAULT '7 days',
    batch_size integer DEFAULT 10000,
    states     text[] DEFAULT ARRAY['completed', 'failed', 'cancelled']
) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_count integer;
    v_soonest interval;
BEGIN
    IF older_than IS NULL OR older_than < interval '0' THEN
        RAISE EXCEPTION 'older_than must be an interval >= 0, got %', older_than USING ERRCODE = 'TL002';
    END IF;
    IF batch_size IS NULL OR batch_size <= 0 THEN
        RAISE EXCEPTION 'batch_size must be > 0, got %', batch_size USING ERRCODE = 'TL002';
    END IF;
    -- A task type's result_ttl_seconds replaces older_than for its tasks. The shortest of them
    -- bounds the range of the completed_at index to read; each row then meets its own.
    SELECT least(purge.older_than, min(make_interval(secs => tt.result_ttl_seconds)))
      INTO v_soonest FROM tasklib.task_types tt;
    WITH doomed AS (
        SELECT t.id FROM tasklib.tasks t
          LEFT JOIN tasklib.task_types tt ON tt.name = t.name
         WHERE t.completed_at < now() - v_soonest
           AND t.completed_at < now() - coalesce(make_interval(secs => tt.result_ttl_seconds), purge.older_than)
           AND t.state = ANY (purge.states)
           -- A failure waiting for its retry is not finished, whatever its age.
           AND t.terminal
         LIMIT purge.batch_size
           FOR UPDATE OF t SKIP LOCKED
    )
    DELETE FROM tasklib.tasks t USING doomed WHERE t.id = doomed.id;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$$;
COMMENT ON FUNCTION tasklib.purge IS
    'Delete up to batch_size finished tasks (completed, permanently failed, cancelled) that finished more than older_than ago (for a task type with result_ttl_seconds, more than that ago); returns how many. Call until 0.';

COMMIT;
