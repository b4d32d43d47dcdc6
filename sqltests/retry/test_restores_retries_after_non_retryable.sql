-- A failure marked not retryable lowers max_retries so the task is terminal; retry() by hand
-- gives it back the retries it was submitted with. A task whose retries ran out normally, or
-- that was cancelled, keeps its max_retries.
BEGIN;
SELECT plan(6);

DELETE FROM tasklib.tasks;
DO $$
DECLARE
    v_id uuid;
BEGIN
    PERFORM tasklib.submit('sqltest.retry.final', max_retries => 4);
    -- One ordinary failure first, so the final one happens at retry_count 1.
    SELECT id INTO v_id FROM tasklib.claim('sqltest-worker', 1);
    PERFORM tasklib.fail('sqltest-worker', ARRAY[v_id], ARRAY[(SELECT lease_token FROM tasklib.tasks WHERE id = v_id)], ARRAY['flaky']);
    UPDATE tasklib.tasks SET next_retry_at = now();
    SELECT id INTO v_id FROM tasklib.claim('sqltest-worker', 1);
    PERFORM tasklib.fail('sqltest-worker', ARRAY[v_id], ARRAY[(SELECT lease_token FROM tasklib.tasks WHERE id = v_id)], ARRAY['bad input'], ARRAY[false]);
END $$;

SELECT results_eq(
    $$SELECT state, retry_count, max_retries, max_retries_submitted FROM tasklib.tasks$$,
    $$VALUES ('failed'::text, 1, 1, 4)$$,
    'a non-retryable failure spends the retries and keeps the submitted max_retries');
SELECT results_eq(
    $$SELECT r.state, r.retry_count, r.max_retries, r.max_retries_submitted FROM tasklib.tasks t, tasklib.retry(t.id) r$$,
    $$VALUES ('pending'::text, 0, 4, NULL::integer)$$,
    'retry restores the 4 retries it was submitted with');

-- Fail it for good again, non-retryable at retry_count 0: the submitted value survives twice.
DO $$
DECLARE
    v_id uuid;
BEGIN
    SELECT id INTO v_id FROM tasklib.claim('sqltest-worker', 1);
    PERFORM tasklib.fail('sqltest-worker', ARRAY[v_id], ARRAY[(SELECT lease_token FROM tasklib.tasks WHERE id = v_id)], ARRAY['bad input again'], ARRAY[false]);
END $$;
SELECT results_eq(
    $$SELECT max_retries, max_retries_submitted FROM tasklib.tasks$$,
    $$VALUES (0, 4)$$,
    'a second non-retryable failure still remembers 4');
SELECT is((SELECT r.max_retries FROM tasklib.tasks t, tasklib.retry(t.id) r), 4, 'and retry restores it again');

-- Retries spent the ordinary way: nothing to restore.
DELETE FROM tasklib.tasks;
DO $$
DECLARE
    v_id uuid;
BEGIN
    PERFORM tasklib.submit('sqltest.retry.spent', max_retries => 0);
    SELECT id INTO v_id FROM tasklib.claim('sqltest-worker', 1);
    PERFORM tasklib.fail('sqltest-worker', ARRAY[v_id], ARRAY[(SELECT lease_token FROM tasklib.tasks WHERE id = v_id)], ARRAY['boom'], ARRAY[false]);
END $$;
SELECT results_eq(
    $$SELECT state, max_retries, max_retries_submitted FROM tasklib.tasks$$,
    $$VALUES ('failed'::text, 0, NULL::integer)$$,
    'a non-retryable failure with no retries left records nothing to restore');
SELECT is((SELECT r.max_retries FROM tasklib.tasks t, tasklib.retry(t.id) r), 0, 'retry keeps max_retries 0');

SELECT * FROM finish();
ROLLBACK;
