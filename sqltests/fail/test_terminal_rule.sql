-- A task runs at most max_retries + 1 times: drive claim and fail until nothing is claimable
-- and count the runs. Its last failure is terminal: retry_count = max_retries, no retry due.
BEGIN;
SELECT plan(10);

DELETE FROM tasklib.tasks;
CREATE FUNCTION pg_temp.runs_until_exhausted(p_max_retries int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
    v_runs int := 0;
    v_id uuid;
BEGIN
    DELETE FROM tasklib.tasks;
    PERFORM tasklib.submit('sqltest.fail.terminal', max_retries => p_max_retries);
    LOOP
        -- Make any waiting retry due now, as if its backoff had passed.
        UPDATE tasklib.tasks SET next_retry_at = now() WHERE next_retry_at IS NOT NULL;
        SELECT c.id INTO v_id FROM tasklib.claim('sqltest-worker', 1) c;
        EXIT WHEN v_id IS NULL;
        v_runs := v_runs + 1;
        PERFORM tasklib.fail('sqltest-worker', ARRAY[v_id], ARRAY[(SELECT lease_token FROM tasklib.tasks WHERE id = v_id)], ARRAY['attempt ' || v_runs || ' failed']);
        EXIT WHEN v_runs > 100;
    END LOOP;
    RETURN v_runs;
END;
$$;

SELECT is(pg_temp.runs_until_exhausted(0), 1, 'max_retries 0: runs once');
SELECT is(pg_temp.runs_until_exhausted(1), 2, 'max_retries 1: runs twice');
SELECT is(pg_temp.runs_until_exhausted(3), 4, 'max_retries 3: runs four times');
SELECT results_eq(
    $$SELECT state, retry_count, max_retries, next_retry_at, run_at, completed_at, error
        FROM tasklib.tasks WHERE name = 'sqltest.fail.terminal'$$,
    $$VALUES ('failed'::text, 3, 3, NULL::timestamptz, NULL::timestamptz, now(), 'attempt 4 failed'::text)$$,
    'the last failure is terminal: retry_count = max_retries, no retry due, finished now');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE state = 'failed' AND retry_count >= max_retries), 1,
    'the seed''s failed_permanent query counts it');
SELECT is(pg_temp.runs_until_exhausted(7), 8, 'max_retries 7: runs eight times');

-- The terminal failure is reported as such by fail itself.
DELETE FROM tasklib.tasks;
DO $$ BEGIN PERFORM tasklib.submit('sqltest.fail.last', max_retries => 1); PERFORM tasklib.claim('sqltest-worker', 1); END $$;
SELECT isnt((SELECT f.next_retry_at FROM tasklib.tasks t, tasklib.fail('sqltest-worker', ARRAY[t.id], ARRAY[t.lease_token], ARRAY['first']) f),
    NULL, 'the first failure of a task with one retry schedules it');
UPDATE tasklib.tasks SET next_retry_at = now();
DO $$ BEGIN PERFORM tasklib.claim('sqltest-worker', 1); END $$;
SELECT results_eq(
    $$SELECT f.state, f.next_retry_at FROM tasklib.tasks t, tasklib.fail('sqltest-worker', ARRAY[t.id], ARRAY[t.lease_token], ARRAY['second']) f$$,
    $$VALUES ('failed'::text, NULL::timestamptz)$$,
    'the second returns no next_retry_at: it is terminal');
SELECT is_empty($$SELECT * FROM tasklib.claim('sqltest-worker', 1)$$, 'and it is never claimed again');
SELECT is((SELECT retry_count FROM tasklib.tasks), 1, 'after exactly one retry');

SELECT * FROM finish();
ROLLBACK;
