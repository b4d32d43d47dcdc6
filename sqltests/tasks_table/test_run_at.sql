-- run_at is when a task may next be claimed: scheduled_at while pending, next_retry_at while a
-- failed task has retries left, NULL otherwise.
BEGIN;
SELECT plan(1);

DELETE FROM tasklib.tasks;
INSERT INTO tasklib.tasks (name, state, retry_count, max_retries, scheduled_at, next_retry_at, lease_token)
VALUES ('pending',   'pending',   0, 3, now() + interval '1 minute', NULL, NULL),
       ('running',   'running',   0, 3, now(), NULL, gen_random_uuid()),
       ('waiting',   'failed',    1, 3, now(), now() + interval '2 minutes', NULL),
       ('terminal',  'failed',    3, 3, now(), NULL, NULL),
       ('completed', 'completed', 0, 3, now(), NULL, NULL),
       ('cancelled', 'cancelled', 0, 3, now(), NULL, NULL);

SELECT results_eq(
    $$SELECT name, run_at FROM tasklib.tasks ORDER BY name$$,
    $$VALUES ('cancelled'::text, NULL::timestamptz), ('completed', NULL), ('pending', now() + interval '1 minute'),
             ('running', NULL), ('terminal', NULL), ('waiting', now() + interval '2 minutes')$$,
    'run_at follows the state');

SELECT * FROM finish();
ROLLBACK;
