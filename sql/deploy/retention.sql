-- Deploy tasklib:retention
-- What operators run on a schedule to keep history short: purge_all deletes every finished
-- task older than a given age in batches, committing between batches so that no transaction
-- holds many row locks or a long snapshot; purge_workers forgets workers that went silent.
-- Cheap: defines a function and a procedure.
BEGIN;

-- Forget workers whose last heartbeat is older than not_seen_for (crashed without unregistering).
CREATE FUNCTION tasklib.purge_workers(not_seen_for interval DEFAULT '1 hour') RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_count integer;
BEGIN
    IF not_seen_for IS NULL OR not_seen_for < interval '0' THEN
        RAISE EXCEPTION 'not_seen_for must be an interval >= 0, got %', not_seen_for USING ERRCODE = 'TL002';
    END IF;
    DELETE FROM tasklib.workers w WHERE w.last_seen_at < now() - purge_workers.not_seen_for;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$$;
COMMENT ON FUNCTION tasklib.purge_workers IS
    'Delete workers whose last heartbeat is older than not_seen_for from tasklib.workers; returns how many. Their tasks are recovered by lease expiry, not here.';

-- Call with CALL outside a transaction block (psql, cron, pg_cron): it commits after each batch.
-- It is SECURITY INVOKER because PostgreSQL forbids COMMIT in a SECURITY DEFINER procedure;
-- the work itself happens in purge and purge_workers.
CREATE PROCEDURE tasklib.purge_all(
    older_than              interval DEFAULT '7 days',
    batch_size              integer DEFAULT 10000,
    states                  text[] DEFAULT ARRAY['completed', 'failed', 'cancelled'],
    forget_workers_after    interval DEFAULT '1 hour',
    pause_seconds           double precision DEFAULT 0
)
LANGUAGE plpgsql AS $$
DECLARE
    v_batch integer;
    v_tasks bigint := 0;
    v_workers integer;
    v_keys integer;
BEGIN
    IF pause_seconds IS NULL OR NOT (pause_seconds >= 0 AND pause_seconds < 'Infinity') THEN
        RAISE EXCEPTION 'pause_seconds must be a finite number >= 0, got %', pause_seconds USING ERRCODE = 'TL002';
    END IF;
    LOOP
        v_batch := tasklib.purge(older_than => purge_all.older_than, batch_size => purge_all.batch_size,
                                 states => purge_all.states);
        v_tasks := v_tasks + v_batch;
        COMMIT;
        -- A short batch means nothing unlocked is left; rows skipped because another
        -- transaction held them wait for the next run.
        EXIT WHEN v_batch < purge_all.batch_size;
        IF pause_seconds > 0 THEN
            PERFORM pg_catalog.pg_sleep(pause_seconds);
        END IF;
    END LOOP;
    v_workers := CASE WHEN forget_workers_after IS NULL THEN 0
                      ELSE tasklib.purge_workers(not_seen_for => forget_workers_after) END;
    v_keys := tasklib.purge_queue_keys();
    COMMIT;
    RAISE NOTICE 'tasklib.purge_all: deleted % tasks and % stale workers (and % idle queue keys)', v_tasks, v_workers, v_keys;
END;
$$;
COMMENT ON PROCEDURE tasklib.purge_all IS
    'Delete every finished task older than older_than, batch_size rows per transaction (optionally sleeping pause_seconds between batches), then workers silent for forget_workers_after (NULL: keep them) and the queue keys that hold no state (purge_queue_keys). Use CALL outside a transaction block.';

COMMIT;
