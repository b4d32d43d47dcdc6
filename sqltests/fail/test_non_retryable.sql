-- A failure marked not retryable is terminal at once, whatever retries were left; it spends
-- them (max_retries = retry_count) so the terminal test stays retry_count >= max_retries.
BEGIN;
SELECT plan(5);

DELETE FROM tasklib.tasks;
DO $$ BEGIN PERFORM tasklib.submit('sqltest.fail.fatal', max_retries => 5); PERFORM tasklib.claim('sqltest-worker', 1); END $$;

SELECT results_eq(
    $$SELECT f.state, f.next_retry_at FROM tasklib.tasks t,
             tasklib.fail('sqltest-worker', ARRAY[t.id], ARRAY[t.lease_token], ARRAY['unknown task sqltest.fail.fatal'], ARRAY[false]) f$$,
    $$VALUES ('failed'::text, NULL::timestamptz)$$,
    'a non-retryable failure schedules no retry');
SELECT results_eq(
    $$SELECT state, retry_count, max_retries, next_retry_at, run_at, completed_at FROM tasklib.tasks$$,
    $$VALUES ('failed'::text, 0, 0, NULL::timestamptz, NULL::timestamptz, now())$$,
    'it is terminal: max_retries lowered to retry_count, finished now');
SELECT is_empty($$SELECT * FROM tasklib.claim('sqltest-worker', 1)$$, 'it is not claimed again');

-- During a retry: the retries already spent stay counted.
DELETE FROM tasklib.tasks;
DO $$ BEGIN
    PERFORM tasklib.submit('sqltest.fail.fatal-later', max_retries => 5);
    PERFORM tasklib.claim('sqltest-worker', 1);
    PERFORM tasklib.fail('sqltest-worker', ARRAY(SELECT id FROM tasklib.tasks), ARRAY(SELECT lease_token FROM tasklib.tasks), ARRAY['transient']);
    UPDATE tasklib.tasks SET next_retry_at = now();
    PERFORM tasklib.claim('sqltest-worker', 1);
    PERFORM tasklib.fail('sqltest-worker', ARRAY(SELECT id FROM tasklib.tasks), ARRAY(SELECT lease_token FROM tasklib.tasks), ARRAY['fatal'], ARRAY[false]);
END $$;
SELECT results_eq(
    $$SELECT state, retry_count, max_retries, next_retry_at FROM tasklib.tasks$$,
    $$VALUES ('failed'::text, 1, 1, NULL::timestamptz)$$,
    'a non-retryable failure on the first retry ends with retry_count = max_retries = 1');

-- retryable => true behaves like the default.
DELETE FROM tasklib.tasks;
DO $$ BEGIN PERFORM tasklib.submit('sqltest.fail.flagged', max_retries => 2); PERFORM tasklib.claim('sqltest-worker', 1); END $$;
SELECT is((SELECT f.next_retry_at FROM tasklib.tasks t,
                  tasklib.fail('sqltest-worker', ARRAY[t.id], ARRAY[t.lease_token], ARRAY['transient'], ARRAY[true]) f),
          now() + interval '5 seconds', 'retryable = true schedules the retry as usual');

SELECT * FROM finish();
ROLLBACK;
