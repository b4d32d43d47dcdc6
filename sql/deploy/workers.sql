-- Deploy tasklib:workers
-- tasklib.workers: one row per live worker process, refreshed by worker_heartbeat, so operators
-- see idle workers and the time of each worker's last sign of life (tasks alone only show
-- workers that hold a task, and their lease end, not when the worker last spoke).
-- Cheap: a new small table; a heartbeat is one upsert of one row.
BEGIN;

CREATE TABLE tasklib.workers (
    worker       text PRIMARY KEY CHECK (worker <> '' AND length(worker) <= 255),
    -- A random uuid the worker process chose when it started, the proof that it is the process
    -- that registered this name: refreshing and unregistering the row need it, so one worker
    -- cannot unregister or rewrite another. Secret: no TaskLib role may read this column.
    registration uuid NOT NULL,
    queues       text[],
    concurrency  integer CHECK (concurrency > 0),
    info         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(info) = 'object'),
    -- The task names the worker can run, which its claims ask for; NULL: any.
    task_names   text[],
    started_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
)
-- Heartbeats rewrite every row every few seconds: leave room for HOT updates.
WITH (fillfactor = 50);
COMMENT ON TABLE tasklib.workers IS
    'One row per worker process that announced itself with worker_heartbeat; removed by unregister_worker at shutdown or by purge_all when stale.';
COMMENT ON COLUMN tasklib.workers.registration IS 'The uuid the worker process registered with; refreshing or removing the row needs it. Readable by the owner only.';
COMMENT ON COLUMN tasklib.workers.queues IS 'The queues the worker claims from; NULL means every queue.';
COMMENT ON COLUMN tasklib.workers.task_names IS 'The task names the worker can run (its claims take no other); NULL means any.';
COMMENT ON COLUMN tasklib.workers.info IS 'Free-form facts the worker reports (host, pid, version, ...).';
COMMENT ON COLUMN tasklib.workers.last_seen_at IS 'Time of the worker''s latest worker_heartbeat call.';

-- Announce a worker, or refresh its last_seen_at. Call at start and with each lease heartbeat,
-- always with the registration uuid the process chose at start.
--   - no row of that name: one is made, held by this registration;
--   - the row's registration: it is refreshed (NULL options keep what was said before);
--   - another registration's row: nothing changes and the answer is NULL (another live process
--     uses this name); a row silent for longer than alive_seconds is taken over: the process
--     that held it is taken to be dead. A worker heartbeats well within its lease, so its
--     lease length is the right window: a crashed worker's name is free again as soon as its
--     tasks are recoverable, and a second process started with a live worker's name is refused.
CREATE FUNCTION tasklib.worker_heartbeat(
    worker        text,
    registration  uuid,
    queues        text[] DEFAULT NULL,
    concurrency   integer DEFAULT NULL,
    info          jsonb DEFAULT NULL,
    task_names    text[] DEFAULT NULL,
    alive_seconds double precision DEFAULT 3600
) RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
    v_seen timestamptz;
BEGIN
    IF worker IS NULL OR worker = '' OR length(worker) > 255 THEN
        RAISE EXCEPTION 'worker must be a non-empty string of at most 255 characters' USING ERRCODE = 'TL002';
    END IF;
    IF registration IS NULL THEN
        RAISE EXCEPTION 'registration of worker % must be the uuid the worker process chose at start, got NULL', worker
            USING ERRCODE = 'TL002';
    END IF;
    IF concurrency <= 0 THEN
        RAISE EXCEPTION 'concurrency of worker % must be > 0, got %', worker, concurrency USING ERRCODE = 'TL002';
    END IF;
    IF info IS NOT NULL AND jsonb_typeof(info) <> 'object' THEN
        RAISE EXCEPTION 'info of worker % must be a JSON object, got %', worker, jsonb_typeof(info)
            USING ERRCODE = 'TL002';
    END IF;
    IF alive_seconds IS NULL OR NOT (alive_seconds > 0 AND alive_seconds <= 86400) THEN
        RAISE EXCEPTION 'alive_seconds of worker % must be a number of seconds > 0 and at most 86400, got %',
            worker, alive_seconds USING ERRCODE = 'TL002';
    END IF;
    INSERT INTO tasklib.workers AS w (worker, registration, queues, concurrency, info, task_names)
    VALUES (worker_heartbeat.worker, worker_heartbeat.registration, worker_heartbeat.queues,
            worker_heartbeat.concurrency, coalesce(worker_heartbeat.info, '{}'), worker_heartbeat.task_names)
    ON CONFLICT ON CONSTRAINT workers_pkey DO UPDATE
       SET last_seen_at = now(),
           -- The same process keeps what it said before for a NULL option; a process taking a
           -- silent name over starts afresh.
           queues = CASE WHEN w.registration = excluded.registration THEN coalesce(excluded.queues, w.queues)
                         ELSE excluded.queues END,
           concurrency = CASE WHEN w.registration = excluded.registration
                              THEN coalesce(excluded.concurrency, w.concurrency) ELSE excluded.concurrency END,
           info = CASE WHEN w.registration = excluded.registration AND worker_heartbeat.info IS NULL
                       THEN w.info ELSE excluded.info END,
           task_names = CASE WHEN w.registration = excluded.registration
                             THEN coalesce(excluded.task_names, w.task_names) ELSE excluded.task_names END,
           started_at = CASE WHEN w.registration = excluded.registration THEN w.started_at ELSE now() END,
           registration = excluded.registration
     WHERE w.registration = excluded.registration
        OR w.last_seen_at < now() - make_interval(secs => worker_heartbeat.alive_seconds)
    RETURNING w.last_seen_at INTO v_seen;
    RETURN v_seen;
END;
$$;
COMMENT ON FUNCTION tasklib.worker_heartbeat IS
    'Announce a worker or refresh its last_seen_at (NULL options keep their previous values), presenting the registration uuid its process chose at start; returns the time recorded, or NULL when another registration holds the name (a name silent for longer than alive_seconds, by default an hour, is taken over: workers pass their lease length). Workers call it at start and with each lease heartbeat.';

-- Forget a worker that is shutting down cleanly: only the process that registered it can.
CREATE FUNCTION tasklib.unregister_worker(worker text, registration uuid) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF registration IS NULL THEN
        RAISE EXCEPTION 'registration of worker % must be the uuid the worker process chose at start, got NULL', worker
            USING ERRCODE = 'TL002';
    END IF;
    DELETE FROM tasklib.workers w
     WHERE w.worker = unregister_worker.worker AND w.registration = unregister_worker.registration;
    RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION tasklib.unregister_worker IS
    'Remove a worker from tasklib.workers at graceful shutdown, presenting the registration uuid it registered with; returns whether it was removed (false: unknown name or another registration). Its running tasks are untouched (release them first).';

COMMIT;
