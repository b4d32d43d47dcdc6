-- _state_after_attempt: a running task whose attempt ends without a result goes to the state
-- its caller names, unless its cancellation was asked for; then it ends cancelled. A plain SQL
-- expression, inlined where fail, recover_expired, release and rate_limited call it.
BEGIN;
SELECT plan(8);

SELECT is(tasklib._state_after_attempt('failed', NULL), 'failed', 'a failure without a cancel request stays a failure');
SELECT is(tasklib._state_after_attempt('pending', NULL), 'pending', 'a hand-back without a cancel request goes back to pending');
SELECT is(tasklib._state_after_attempt('failed', now()), 'cancelled', 'a failure of a task whose cancel was asked for ends it cancelled');
SELECT is(tasklib._state_after_attempt('pending', now()), 'cancelled', 'a hand-back of a task whose cancel was asked for ends it cancelled');
SELECT ok(tasklib.is_terminal(tasklib._state_after_attempt('failed', now()), 0, 5),
    'the cancelled state it gives is terminal, whatever retries are left');
SELECT volatility_is('tasklib', '_state_after_attempt', ARRAY['text', 'timestamp with time zone'], 'immutable',
    '_state_after_attempt is IMMUTABLE');
SELECT isnt(obj_description('tasklib._state_after_attempt'::regproc, 'pg_proc'), NULL, '_state_after_attempt has a comment');

CREATE FUNCTION pg_temp.plan_of(p_query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_plan text := '';
    v_line text;
BEGIN
    FOR v_line IN EXECUTE 'EXPLAIN (VERBOSE) ' || p_query LOOP
        v_plan := v_plan || v_line || E'\n';
    END LOOP;
    RETURN v_plan;
END;
$$;
SELECT unalike(pg_temp.plan_of($$SELECT tasklib._state_after_attempt('failed', t.cancel_requested_at) FROM tasklib.tasks t$$),
    '%_state_after_attempt%', 'a query''s call is inlined: the plan holds the expression, not a function call');

SELECT * FROM finish();
ROLLBACK;
