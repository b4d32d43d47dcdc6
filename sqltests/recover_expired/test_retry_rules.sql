-- Lease expiry counts as a failed attempt under the usual rules: the backoff grows with
-- retry_count, and a task with no retries left fails for good.
BEGIN;
SELECT plan(4);

DELETE FROM tasklib.tasks;
INSERT INTO tasklib.tasks (name, state, retry_count, max_retries, worker_id, started_at, locked_until, lease_token)
VALUES ('third-retry', 'running', 2, 5, 'sqltest-dead', now() - interval '2 minutes', now() - interval '1 minute', gen_random_uuid()),
       ('last-retry',  'running', 3, 3, 'sqltest-dead', now() - interval '2 minutes', now() - interval '1 minute', gen_random_uuid()),
       ('no-retries',  'running', 0, 0, 'sqltest-dead', now() - interval '2 minutes', now() - interval '1 minute', gen_random_uuid());

SELECT is(tasklib.recover_expired(), 3, 'all three are recovered');
SELECT results_eq(
    $$SELECT state, next_retry_at, completed_at FROM tasklib.tasks WHERE name = 'third-retry'$$,
    $$VALUES ('failed'::text, now() + interval '20 seconds', NULL::timestamptz)$$,
    'retry_count 2: the next attempt waits 20 seconds');
SELECT results_eq(
    $$SELECT name, state, next_retry_at, run_at, completed_at, error FROM tasklib.tasks
       WHERE name <> 'third-retry' ORDER BY name$$,
    $$VALUES ('last-retry'::text, 'failed'::text, NULL::timestamptz, NULL::timestamptz, now(), 'lease expired: worker sqltest-dead presumed dead'::text),
             ('no-retries', 'failed', NULL, NULL, now(), 'lease expired: worker sqltest-dead presumed dead')$$,
    'with no retries left the failure is terminal');
SELECT set_eq($$SELECT name FROM tasklib.claim('sqltest-alive', 10)$$, ARRAY[]::text[], 'nothing is claimable now');

SELECT * FROM finish();
ROLLBACK;
