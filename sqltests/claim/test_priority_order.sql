-- Claims take the highest priority first, then the earliest due (scheduled_at for a pending
-- task, next_retry_at for a retry), then the oldest; claim returns rows in that order.
BEGIN;
SELECT plan(3);

DELETE FROM tasklib.tasks;
-- One row per case; created_at and due times are set by hand because now() is frozen here.
INSERT INTO tasklib.tasks (name, priority, state, scheduled_at, created_at, retry_count, max_retries, next_retry_at)
VALUES ('low-old',          0, 'pending', now() - interval '1 hour',   now() - interval '2 hours', 0, 3, NULL),
       ('high-late',       10, 'pending', now() - interval '1 minute', now() - interval '1 minute', 0, 3, NULL),
       ('high-early',      10, 'pending', now() - interval '5 minutes', now() - interval '1 minute', 0, 3, NULL),
       ('mid-retry-early',  5, 'failed',  now() - interval '3 hours',  now() - interval '3 hours', 1, 3, now() - interval '10 minutes'),
       ('mid-retry-late',   5, 'failed',  now() - interval '6 hours',  now() - interval '6 hours', 2, 3, now() - interval '1 minute'),
       ('mid-pending',      5, 'pending', now() - interval '5 minutes', now() - interval '4 hours', 0, 3, NULL),
       ('mid-same-due-new', 5, 'pending', now() - interval '2 minutes', now() - interval '30 seconds', 0, 3, NULL),
       ('mid-same-due-old', 5, 'pending', now() - interval '2 minutes', now() - interval '50 minutes', 0, 3, NULL),
       ('negative',        -5, 'pending', now() - interval '1 day',    now() - interval '1 day', 0, 3, NULL),
       ('high-future',    100, 'pending', now() + interval '1 minute', now() - interval '1 day', 0, 3, NULL);

CREATE TEMP TABLE one_by_one (position serial, name text);
DO $$
DECLARE
    v_name text;
BEGIN
    LOOP
        SELECT c.name INTO v_name FROM tasklib.claim('sqltest-worker', 1) c;
        EXIT WHEN v_name IS NULL;
        INSERT INTO one_by_one (name) VALUES (v_name);
    END LOOP;
END $$;

SELECT results_eq(
    $$SELECT name FROM one_by_one ORDER BY position$$,
    ARRAY['high-early', 'high-late', 'mid-retry-early', 'mid-pending', 'mid-same-due-old',
          'mid-same-due-new', 'mid-retry-late', 'low-old', 'negative'],
    'single claims follow priority, then due time, then age; a future task is never taken');

UPDATE tasklib.tasks SET state = 'pending', worker_id = NULL, locked_until = NULL, lease_token = NULL, started_at = NULL
 WHERE name NOT LIKE 'mid-retry-%' AND name <> 'high-future';
UPDATE tasklib.tasks SET state = 'failed', retry_count = 1, worker_id = NULL, locked_until = NULL, lease_token = NULL,
                         next_retry_at = CASE name WHEN 'mid-retry-early' THEN now() - interval '10 minutes'
                                                   ELSE now() - interval '1 minute' END
 WHERE name LIKE 'mid-retry-%';
SELECT results_eq(
    $$SELECT name FROM tasklib.claim('sqltest-worker', 100)$$,
    ARRAY['high-early', 'high-late', 'mid-retry-early', 'mid-pending', 'mid-same-due-old',
          'mid-same-due-new', 'mid-retry-late', 'low-old', 'negative'],
    'one claim of many returns its rows in the same order');

UPDATE tasklib.tasks SET state = 'pending', worker_id = NULL, locked_until = NULL, lease_token = NULL WHERE name <> 'high-future';
SELECT results_eq(
    $$SELECT name FROM tasklib.claim('sqltest-worker', 2)$$,
    ARRAY['high-early', 'high-late'],
    'a partial claim takes the first tasks in that order');

SELECT * FROM finish();
ROLLBACK;
