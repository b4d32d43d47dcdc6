-- A permanently failed task is queued again: pending, due now, retry_count back to 0, so it
-- gets all its retries again.
BEGIN;
SELECT plan(5);

DELETE FROM tasklib.tasks;
DO $$
DECLARE
    v_id uuid;
BEGIN
    PERFORM tasklib.submit('sqltest.retry.exhausted', max_retries => 1);
    FOR i IN 1 .. 2 LOOP
        UPDATE tasklib.tasks SET next_retry_at = now() WHERE next_retry_at IS NOT NULL;
        SELECT id INTO v_id FROM tasklib.claim('sqltest-worker', 1);
        PERFORM tasklib.fail('sqltest-worker', ARRAY[v_id], ARRAY[(SELECT lease_token FROM tasklib.tasks WHERE id = v_id)], ARRAY['boom ' || i]);
    END LOOP;
END $$;
SELECT is((SELECT state || ' ' || retry_count || '/' || max_retries FROM tasklib.tasks), 'failed 1/1', 'the task failed for good');

SELECT results_eq(
    $$SELECT r.state, r.retry_count FROM tasklib.tasks t, tasklib.retry(t.id) r$$,
    $$VALUES ('pending'::text, 0)$$,
    'retry returns it pending with retry_count 0');
SELECT results_eq(
    $$SELECT state, retry_count, max_retries, scheduled_at, run_at, next_retry_at, completed_at, started_at, worker_id
        FROM tasklib.tasks$$,
    $$VALUES ('pending'::text, 0, 1, now(), now(), NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::text)$$,
    'it is due now, with no trace of the finished run but its last error');
SELECT is((SELECT retry_count FROM tasklib.claim('sqltest-worker', 1)), 0, 'a worker claims it as a first attempt');
SELECT isnt((SELECT f.next_retry_at FROM tasklib.tasks t, tasklib.fail('sqltest-worker', ARRAY[t.id], ARRAY[t.lease_token], ARRAY['again']) f), NULL,
    'and its retries are available again');

SELECT * FROM finish();
ROLLBACK;
