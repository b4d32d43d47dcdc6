-- is_terminal is public, documented, and a plain SQL expression: IMMUTABLE (a generated column
-- may use it), PARALLEL SAFE, and inlined where a query calls it.
BEGIN;
SELECT plan(7);

SELECT has_function('tasklib', 'is_terminal', ARRAY['text', 'integer', 'integer'], 'is_terminal exists');
SELECT function_returns('tasklib', 'is_terminal', ARRAY['text', 'integer', 'integer'], 'boolean',
    'is_terminal returns a boolean');
SELECT function_lang_is('tasklib', 'is_terminal', ARRAY['text', 'integer', 'integer'], 'sql',
    'is_terminal is written in SQL, so the planner can inline it');
SELECT volatility_is('tasklib', 'is_terminal', ARRAY['text', 'integer', 'integer'], 'immutable',
    'is_terminal is IMMUTABLE');
SELECT is((SELECT proparallel::text FROM pg_proc WHERE oid = 'tasklib.is_terminal'::regproc), 's',
    'is_terminal is PARALLEL SAFE');
SELECT isnt(obj_description('tasklib.is_terminal'::regproc, 'pg_proc'), NULL, 'is_terminal has a comment');

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
SELECT unalike(pg_temp.plan_of($$SELECT t.id FROM tasklib.tasks t WHERE tasklib.is_terminal(t.state, t.retry_count, t.max_retries)$$),
    '%is_terminal%', 'a query''s call is inlined: the plan holds the expression, not a function call');

SELECT * FROM finish();
ROLLBACK;
