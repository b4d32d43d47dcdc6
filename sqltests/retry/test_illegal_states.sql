-- Only a permanently failed or cancelled task can be retried: the rest raise TL004, an unknown
-- id TL003, a bad delay TL002.
BEGIN;
SELECT plan(10);

DELETE FROM tasklib.tasks;
INSERT INTO tasklib.tasks (id, name, state, retry_count, max_retries, worker_id, locked_until, next_retry_at, completed_at, lease_token)
VALUES ('00000000-0000-4000-8000-000000000001', 'pending',   'pending',   0, 3, NULL, NULL, NULL, NULL, NULL),
       ('00000000-0000-4000-8000-000000000002', 'running',   'running',   0, 3, 'w', now() + interval '1 minute', NULL, NULL, gen_random_uuid()),
       ('00000000-0000-4000-8000-000000000003', 'completed', 'completed', 0, 3, 'w', NULL, NULL, now(), NULL),
       ('00000000-0000-4000-8000-000000000004', 'waiting',   'failed',    1, 3, 'w', NULL, now() + interval '10 seconds', NULL, NULL);

SELECT throws_ok($$SELECT tasklib.retry('00000000-0000-4000-8000-000000000001')$$, 'TL004',
    'task 00000000-0000-4000-8000-000000000001 is pending: only a permanently failed or cancelled task can be retried',
    'a pending task cannot be retried');
SELECT throws_ok($$SELECT tasklib.retry('00000000-0000-4000-8000-000000000002')$$, 'TL004', NULL, 'a running task cannot be retried');
SELECT throws_ok($$SELECT tasklib.retry('00000000-0000-4000-8000-000000000003')$$, 'TL004', NULL, 'a completed task cannot be retried');
SELECT throws_ok($$SELECT tasklib.retry('00000000-0000-4000-8000-000000000004')$$, 'TL004',
    'task 00000000-0000-4000-8000-000000000004 is waiting for a retry: only a permanently failed or cancelled task can be retried',
    'a failed task still waiting for its retry cannot be retried');
SELECT throws_ok($$SELECT tasklib.retry('00000000-0000-4000-8000-0000000000ff')$$, 'TL003',
    'task 00000000-0000-4000-8000-0000000000ff not found', 'an unknown id raises TL003');
SELECT throws_ok($$SELECT tasklib.retry('00000000-0000-4000-8000-000000000001', 'NaN')$$, 'TL002', NULL, 'a NaN delay raises TL002');
SELECT throws_ok($$SELECT tasklib.retry('00000000-0000-4000-8000-000000000001', 'Infinity')$$, 'TL002', NULL, 'an infinite delay raises TL002');
SELECT throws_ok($$SELECT tasklib.retry('00000000-0000-4000-8000-000000000001', NULL)$$, 'TL002', NULL, 'a NULL delay raises TL002');

SELECT results_eq(
    $$SELECT name, state, retry_count FROM tasklib.tasks ORDER BY id$$,
    $$VALUES ('pending'::text, 'pending'::text, 0), ('running', 'running', 0), ('completed', 'completed', 0), ('waiting', 'failed', 1)$$,
    'no task changed');
SELECT is((SELECT next_retry_at FROM tasklib.tasks WHERE name = 'waiting'), now() + interval '10 seconds',
    'the waiting retry keeps its schedule');

SELECT * FROM finish();
ROLLBACK;
