-- Running, completed, cancelled and permanently failed tasks are never claimed, nor are
-- pending or failed tasks that are not due yet.
BEGIN;
SELECT plan(2);

DELETE FROM tasklib.tasks;
INSERT INTO tasklib.tasks (name, state, retry_count, max_retries, next_retry_at, scheduled_at, worker_id, locked_until, completed_at, lease_token)
VALUES ('running',          'running',   0, 3, NULL, now() - interval '1 hour', 'w', now() + interval '1 hour', NULL, gen_random_uuid()),
       ('completed',        'completed', 0, 3, NULL, now() - interval '1 hour', 'w', NULL, now(), NULL),
       ('cancelled',        'cancelled', 0, 3, NULL, now() - interval '1 hour', NULL, NULL, now(), NULL),
       ('failed-terminal',  'failed',    3, 3, NULL, now() - interval '1 hour', 'w', NULL, now(), NULL),
       ('failed-no-retry',  'failed',    0, 0, NULL, now() - interval '1 hour', 'w', NULL, now(), NULL),
       ('failed-not-due',   'failed',    1, 3, now() + interval '1 second', now() - interval '1 hour', 'w', NULL, NULL, NULL),
       ('pending-not-due',  'pending',   0, 3, NULL, now() + interval '1 second', NULL, NULL, NULL, NULL);

SELECT is_empty($$SELECT * FROM tasklib.claim('sqltest-worker', 100)$$, 'none of them is claimed');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE run_at IS NULL), 5,
    'run_at is NULL for every task that may not run again');

SELECT * FROM finish();
ROLLBACK;
