-- submit_many accepts and rejects exactly what submit does, with the same error after the
-- position of the element ("tasks[0]: "), and names the first bad task of a batch (it checks a batch without a PL/pgSQL call per task, so this pins
-- that shortcut to _check_submission).
BEGIN;
SELECT plan(24);

SELECT tasklib.register_task_type('sm.typed', '{"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"], "additionalProperties": false}');
SELECT tasklib.register_task_type('sm.free', NULL);

-- The error of a statement as "SQLSTATE: message", or 'ok'.
CREATE FUNCTION pg_temp.outcome(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE p_sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END;
$$;

-- One task as submit's named arguments and as a submit_many element.
CREATE FUNCTION pg_temp.same(p_task jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_single text;
    v_many text;
BEGIN
    v_single := pg_temp.outcome(format('SELECT tasklib.submit(%s)',
        (SELECT string_agg(format('%I => %L::%s', k,
                  CASE WHEN jsonb_typeof(v) = 'string' THEN v #>> '{}' ELSE v::text END,
                  CASE k WHEN 'name' THEN 'text' WHEN 'queue' THEN 'text' WHEN 'args' THEN 'jsonb'
                         WHEN 'tags' THEN 'jsonb' WHEN 'priority' THEN 'integer'
                         WHEN 'max_retries' THEN 'integer' ELSE 'double precision' END), ', ')
           FROM jsonb_each(p_task) AS e(k, v))));
    v_many := pg_temp.outcome(format('SELECT tasklib.submit_many(%L)', jsonb_build_array(p_task)));
    IF v_single IS DISTINCT FROM regexp_replace(v_many, '^(TL00[0-9]: )tasks\[0\]: ', '\1')
       -- Every problem of an element names it; a bad setting is no element's.
       OR (v_many <> 'ok' AND v_many !~ '^TL00[0-9]: tasks\[0\]: ' AND v_many !~ 'submit_validation must be') THEN
        RETURN format('submit: %s / submit_many: %s', v_single, v_many);
    END IF;
    RETURN v_single;
END;
$$;

SELECT is(pg_temp.same('{"name": "sm.typed", "args": {"x": 1}}'), 'ok', 'valid arguments');
SELECT is(pg_temp.same('{"name": "sm.free", "args": {"anything": [1]}}'), 'ok', 'a type without a schema');
SELECT is(pg_temp.same('{"name": "sm.unregistered"}'), 'ok', 'known mode: an unregistered name');
SELECT matches(pg_temp.same('{"name": "sm.typed", "args": {}}'), '^TL005: .*missing required key "x"', 'a missing key');
SELECT matches(pg_temp.same('{"name": "sm.typed", "args": {"x": "1"}}'), '^TL005: .*key "x" must be integer', 'a wrong type');
SELECT matches(pg_temp.same('{"name": "sm.typed", "args": {"x": 1, "y": 2}}'), '^TL005: .*unexpected key "y"', 'an unexpected key');
SELECT matches(pg_temp.same('{"name": ""}'), '^TL002: task name must be a non-empty string', 'an empty name');
SELECT matches(pg_temp.same(jsonb_build_object('name', repeat('n', 256))), '^TL002: task name is longer', 'a long name');
SELECT matches(pg_temp.same('{"name": "sm.free", "delay_seconds": -1}'), '^TL002: delay_seconds', 'a negative delay');
SELECT matches(pg_temp.same('{"name": "sm.free", "delay_seconds": "Infinity"}'), '^TL002: delay_seconds', 'an infinite delay');
SELECT matches(pg_temp.same('{"name": "sm.free", "delay_seconds": 1e12}'), '^TL002: delay_seconds', 'a delay past 100 years');
SELECT matches(pg_temp.same('{"name": "sm.free", "max_retries": -1}'), '^TL002: max_retries', 'negative retries');
SELECT matches(pg_temp.same('{"name": "sm.free", "timeout_seconds": 0}'), '^TL002: timeout_seconds', 'a zero timeout');
SELECT matches(pg_temp.same('{"name": "sm.free", "timeout_seconds": "NaN"}'), '^TL002: timeout_seconds', 'a NaN timeout');
SELECT matches(pg_temp.same('{"name": "sm.free", "backoff_base_seconds": 0}'), '^TL002: backoff_base_seconds', 'a zero backoff');
SELECT matches(pg_temp.same('{"name": "sm.free", "backoff_base_seconds": "Infinity"}'), '^TL002: backoff_base_seconds', 'an infinite backoff');
SELECT matches(pg_temp.same('{"name": "sm.free", "queue": ""}'), '^TL002: queue', 'an empty queue');
SELECT matches(pg_temp.same('{"name": "sm.free", "tags": []}'), '^TL002: tags', 'tags not an object');

SET LOCAL tasklib.submit_validation = 'strict';
SELECT matches(pg_temp.same('{"name": "sm.unregistered"}'), '^TL001: unknown task', 'strict mode: an unregistered name');
SELECT is(pg_temp.same('{"name": "sm.typed", "args": {"x": 2}}'), 'ok', 'strict mode: a registered name');
SET LOCAL tasklib.submit_validation = 'off';
SELECT is(pg_temp.same('{"name": "sm.typed", "args": {"x": "not checked"}}'), 'ok', 'off: arguments are not checked');
SELECT matches(pg_temp.same('{"name": "sm.free", "queue": ""}'), '^TL002: queue', 'off: options still are');
SET LOCAL tasklib.submit_validation = 'strcit';
SELECT matches(pg_temp.same('{"name": "sm.free"}'), '^TL002: tasklib.submit_validation must be', 'a misspelt mode');
RESET tasklib.submit_validation;

SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sm.typed", "args": {"x": 1}}, {"name": "sm.free", "queue": ""},
                                               {"name": "sm.typed", "args": {}}]')$$,
    'TL002', 'tasks[1]: queue must be a non-empty string, got '''' (task sm.free)', 'the first bad task of a batch is the one named');

SELECT * FROM finish();
ROLLBACK;
