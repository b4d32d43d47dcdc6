-- Deploy tasklib:admin_functions
-- Operator actions: cancel a task that has not started, re-queue a finished failure, and delete
-- old history. Each raises a TL-class error naming what is wrong instead of silently doing nothing.
BEGIN;

-- Cancel a task that is not running: pending, or failed and waiting for its retry.
CREATE FUNCTION tasklib.cancel(id uuid) RETURNS tasklib.tasks
LANGUAGE plpgsql AS $$
DECLARE
    v_task tasklib.tasks;
BEGIN
    SELECT * INTO v_task FROM tasklib.tasks t WHERE t.id = cancel.id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task % not found', cancel.id USING ERRCODE = 'TL003';
    END IF;
    IF v_task.terminal OR v_task.state = 'running' THEN
        RAISE EXCEPTION 'task % is %: only a pending task or one waiting for a retry can be cancelled',
            cancel.id, CASE WHEN v_task.state = 'failed' THEN 'permanently failed' ELSE v_task.state END
            USING ERRCODE = 'TL004';
    END IF;
    UPDATE tasklib.tasks t
       SET state = 'cancelled', completed_at = now(), next_retry_at = NULL
     WHERE t.id = cancel.id
    RETURNING t.* INTO v_task;
    PERFORM pg_notify('tasklib_finished', cancel.id::text);
    RETURN v_task;
END;
$$;
COMMENT ON FUNCTION tasklib.cancel IS
    'Cancel a task that has not started (pending, or failed and waiting to retry); raises TL003 if unknown, TL004 if it is running or finished.';

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
               worker_id = NULL
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
BEGIN
    IF older_than IS NULL OR older_than < interval '0' THEN
        RAISE EXCEPTION 'older_than must be an interval >= 0, got %', older_than USING ERRCODE = 'TL002';
    END IF;
    IF batch_size IS NULL OR batch_size <= 0 THEN
        RAISE EXCEPTION 'batch_size must be > 0, got %', batch_size USING ERRCODE = 'TL002';
    END IF;
    WITH doomed AS (
        SELECT t.id FROM tasklib.tasks t
         WHERE t.completed_at < now() - purge.older_than
           AND t.state = ANY (purge.states)
           -- A failure waiting for its retry is not finished, whatever its age.
           AND t.terminal
         LIMIT purge.batch_size
           FOR UPDATE SKIP LOCKED
    )
    DELETE FROM tasklib.tasks t USING doomed WHERE t.id = doomed.id;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$$;
COMMENT ON FUNCTION tasklib.purge IS
    'Delete up to batch_size finished tasks (completed, permanently failed, cancelled) that finished more than older_than ago; returns how many. Call until 0.';

COMMIT;
