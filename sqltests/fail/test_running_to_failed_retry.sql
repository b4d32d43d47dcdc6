-- A retryable failure with retries left: state failed, the error stored, the lease ended, and
-- the next attempt due after the backoff.
BEGIN;
SELECT plan(4);

DELETE FROM tasklib.tasks;
DO $$ BEGIN PERFORM tasklib.submit('sqltest.fail.one', max_retries => 2); PERFORM tasklib.claim('sqltest-worker', 1); END $$;

SELECT results_eq(
    $$SELECT * FROM tasklib.fail('sqltest-worker', ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'sqltest.fail.one'), ARRAY(SELECT lease_token FROM tasklib.tasks WHERE name = 'sqltest.fail.one'),
                                 ARRAY[E'Traceback (most recent call last):\n  ValueError: boom'])$$,
    $$SELECT id, 'failed'::text, now() + interval '5 seconds' FROM tasklib.tasks WHERE name = 'sqltest.fail.one'$$,
    'fail returns (id, state, next_retry_at)');
SELECT results_eq(
    $$SELECT state, error, retry_count, max_retries, next_retry_at, run_at, locked_until, completed_at
        FROM tasklib.tasks WHERE name = 'sqltest.fail.one'$$,
    $$VALUES ('failed'::text, E'Traceback (most recent call last):\n  ValueError: boom'::text, 0, 2,
              now() + interval '5 seconds', now() + interval '5 seconds', NULL::timestamptz, NULL::timestamptz)$$,
    'the task waits for its retry: not finished, not leased');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE state = 'failed' AND retry_count < max_retries), 1,
    'the seed''s failed_retrying query counts it');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE state = 'failed' AND retry_count >= max_retries), 0,
    'the seed''s failed_permanent query does not');

SELECT * FROM finish();
ROLLBACK;
