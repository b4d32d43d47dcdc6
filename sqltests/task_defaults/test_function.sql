-- task_defaults is the one home of the global option defaults: public, documented, an IMMUTABLE
-- SQL function the planner folds to constants, read by the column defaults of tasklib.tasks.
BEGIN;
SELECT plan(12);

SELECT has_function('tasklib', 'task_defaults', ARRAY[]::text[], 'task_defaults exists');
SELECT function_returns('tasklib', 'task_defaults', ARRAY[]::text[], 'tasklib.task_options',
    'task_defaults returns the composite tasklib.task_options');
SELECT function_lang_is('tasklib', 'task_defaults', ARRAY[]::text[], 'sql', 'task_defaults is written in SQL');
SELECT volatility_is('tasklib', 'task_defaults', ARRAY[]::text[], 'immutable', 'task_defaults is IMMUTABLE');
SELECT is((SELECT proparallel::text FROM pg_proc WHERE oid = 'tasklib.task_defaults'::regproc), 's',
    'task_defaults is PARALLEL SAFE');
SELECT isnt(obj_description('tasklib.task_defaults'::regproc, 'pg_proc'), NULL, 'task_defaults has a comment');
SELECT isnt(obj_description('tasklib.task_options'::regtype, 'pg_type'), NULL, 'task_options has a comment');

SELECT results_eq(
    $$SELECT queue, priority, max_retries, backoff_base_seconds, backoff_max_seconds FROM tasklib.task_defaults()$$,
    $$VALUES ('default'::text, 0, 3, 5::double precision, 3600::double precision)$$,
    'the global defaults: queue default, priority 0, max_retries 3, backoff 5 s doubling up to 3600 s');

SELECT is(
    (SELECT string_agg(a.attname || ' ' || pg_get_expr(d.adbin, d.adrelid), E'\n' ORDER BY a.attnum)
       FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
      WHERE d.adrelid = 'tasklib.tasks'::regclass
        AND a.attname IN ('queue', 'priority', 'max_retries', 'backoff_base_seconds', 'backoff_max_seconds')),
    'queue (tasklib.task_defaults()).queue
priority (tasklib.task_defaults()).priority
max_retries (tasklib.task_defaults()).max_retries
backoff_base_seconds (tasklib.task_defaults()).backoff_base_seconds
backoff_max_seconds (tasklib.task_defaults()).backoff_max_seconds',
    'the option columns of tasks default to task_defaults()');
SELECT is_empty(
    $$SELECT a.attname FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
       WHERE d.adrelid = 'tasklib.task_types'::regclass AND a.attname <> 'updated_at' AND a.attgenerated = ''$$,
    'the option columns of task_types have no defaults of their own (NULL: not set)');

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
SELECT unalike(pg_temp.plan_of($$INSERT INTO tasklib.tasks (name) VALUES ('sqltest.defaults')$$),
    '%task_defaults%', 'an INSERT''s defaults are folded into constants: no call is left in the plan');
SELECT unalike(pg_temp.plan_of($$SELECT coalesce(tt.max_retries, (tasklib.task_defaults()).max_retries)
                                    FROM tasklib.task_types tt$$),
    '%task_defaults%', 'so is a coalesce() that falls back to one of them');

SELECT * FROM finish();
ROLLBACK;
