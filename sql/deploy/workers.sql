-- Deploy tasklib:workers
-- tasklib.workers: one row per live worker process, refreshed by worker_heartbeat, so operators
-- see idle workers and the time of each worker's last sign of life (tasks alone only show
-- workers that hold a task, and their lease end, not when the worker last spoke).
-- Cheap: a new small table; a heartbeat is one upsert of one row.
BEGIN;

CREATE TABLE tasklib.workers (
    worker       text PRIMARY KEY CHECK (worker <> '' AND length(worker) <= 255),
    queues       text[],
    concurrency  integer CHECK (concurrency > 0),
    info         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(info) = 'object'),
    started_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
)
-- Heartbeats rewrite every row every few seconds: leave room for HOT updates.
WITH (fillfactor = 50);
COMMENT ON TABLE tasklib.workers IS
    'One row per worker process that announced itself with worker_heartbeat; removed by unregister_worker at shutdown or by purge_all when stale.';
COMMENT ON COLUMN tasklib.workers.queues IS 'The queues the worker claims from; NULL means every queue.';
COMMENT ON COLUMN tasklib.workers.info IS 'Free-form facts the worker reports (host, pid, version, ...).';
COMMENT ON COLUMN tasklib.workers.last_seen_at IS 'Time of the worker''s latest worker_heartbeat call.';

-- Announce a worker, or refresh its last_seen_at. Call at start and with each lease heartbeat.
CREATE FUNCTION tasklib.worker_heartbeat(
    worker      text,
    queues      text[] DEFAULT NULL,
    concurrency integer DEFAULT NULL,
    info        jsonb DEFAULT NULL
) RETURNS timestamptz
LANGUAGE plpgsql AS $$
BEGIN
    IF worker IS NULL OR worker = '' OR length(worker) > 255 THEN
        RAISE EXCEPTION 'worker must be a non-empty string of at most 255 characters' USING ERRCODE = 'TL002';
    END IF;
    IF concurrency <= 0 THEN
        RAISE EXCEPTION 'concurrency of worker % must be > 0, got %', worker, concurrency USING ERRCODE = 'TL002';
    END IF;
    IF info IS NOT NULL AND jsonb_typeof(info) <> 'object' THEN
        RAISE EXCEPTION 'info of worker % must be a JSON object, got %', worker, jsonb_typeof(info)
            USING ERRCODE = 'TL002';
    END IF;
    -- NULL options keep what the worker said before, so a periodic beat can send just its name.
    INSERT INTO tasklib.workers AS w (worker, queues, concurrency, info)
    VALUES (worker_heartbeat.worker, worker_heartbeat.queues, worker_heartbeat.concurrency,
            coalesce(worker_heartbeat.info, '{}'))
    ON CONFLICT ON CONSTRAINT workers_pkey DO UPDATE
       SET last_seen_at = now(),
           queues = coalesce(excluded.queues, w.queues),
           concurrency = coalesce(excluded.concurrency, w.concurrency),
           info = CASE WHEN worker_heartbeat.info IS NULL THEN w.info ELSE excluded.info END;
    RETURN now();
END;
$$;
COMMENT ON FUNCTION tasklib.worker_heartbeat IS
    'Announce a worker or refresh its last_seen_at (NULL options keep their previous values); returns the time recorded. Workers call it at start and with each lease heartbeat.';

-- Forget a worker that is shutting down cleanly.
CREATE FUNCTION tasklib.unregister_worker(worker text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tasklib.workers w WHERE w.worker = unregister_worker.worker;
    RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION tasklib.unregister_worker IS
    'Remove a worker from tasklib.workers at graceful shutdown; returns whether it was there. Its running tasks are untouched (release them first).';

COMMIT;
