-- Only an unfinished task can be cancelled: a finished one raises TL004, an unknown id TL003
-- (a running one is asked to stop: see test_running.sql).
BEGIN;
SELECT plan(8);

DELETE FROM tasklib.tasks;
INSERT INTO tasklib.tasks (id, name, state, retry_count, max_retries, worker_id, locked_until, completed_at, result, lease_token)
VALUES ('00000000-0000-4000-8000-000000000001', 'running',   'running',   0, 3, 'w', now() + interval '1 minute', NULL, NULL, gen_random_uuid()),
       ('00000000-0000-4000-8000-000000000002', 'completed', 'completed', 0, 3, 'w', NULL, now(), '{"value": 1}', NULL),
       ('00000000-0000-4000-8000-000000000003', 'terminal',  'failed',    3, 3, 'w', NULL, now(), NULL, NULL),
       ('00000000-0000-4000-8000-000000000004', 'cancelled', 'cancelled', 0, 3, NULL, NULL, now(), NULL, NULL);

SELECT throws_ok($$SELECT tasklib.cancel('00000000-0000-4000-8000-000000000002')$$, 'TL004', NULL,
    'a completed task cannot be cancelled');
SELECT throws_ok($$SELECT tasklib.cancel('00000000-0000-4000-8000-000000000003')$$, 'TL004',
    'task 00000000-0000-4000-8000-000000000003 is permanently failed: only an unfinished task can be cancelled',
    'a permanently failed task cannot be cancelled');
SELECT throws_ok($$SELECT tasklib.cancel('00000000-0000-4000-8000-000000000004')$$, 'TL004', NULL,
    'a cancelled task cannot be cancelled again');
SELECT throws_ok($$SELECT tasklib.cancel('00000000-0000-4000-8000-0000000000ff')$$, 'TL003',
    'task 00000000-0000-4000-8000-0000000000ff not found', 'an unknown id raises TL003');
SELECT throws_ok($$SELECT tasklib.cancel(NULL)$$, 'TL003', NULL, 'a NULL id raises TL003');

SELECT results_eq(
    $$SELECT name, state FROM tasklib.tasks ORDER BY id$$,
    $$VALUES ('running'::text, 'running'::text), ('completed', 'completed'), ('terminal', 'failed'), ('cancelled', 'cancelled')$$,
    'no task changed (the running one was not touched)');
SELECT is((SELECT result FROM tasklib.tasks WHERE name = 'completed'), '{"value": 1}'::jsonb, 'the completed result is intact');
SELECT is((SELECT worker_id FROM tasklib.tasks WHERE name = 'running'), 'w', 'the running task keeps its worker');

SELECT * FROM finish();
ROLLBACK;
