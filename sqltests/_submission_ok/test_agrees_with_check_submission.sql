-- _submission_ok is the inlined fast path of _check_submission: for every submission it must be
-- true exactly when _check_submission raises nothing, or a bad task would be stored (or a good
-- one refused with a bug report instead of stored).
BEGIN;
SELECT plan(5);

SELECT has_function('tasklib', '_submission_ok',
    ARRAY['text', 'jsonb', 'double precision', 'jsonb', 'integer', 'double precision', 'text',
          'double precision', 'text', 'boolean', 'jsonpath'],
    '_submission_ok exists');
SELECT isnt(obj_description('tasklib._submission_ok'::regproc, 'pg_proc'), NULL, '_submission_ok has a comment');

SELECT tasklib.register_task_type('sqltest.ok.typed',
    args_schema => '{"type": "object", "properties": {"to": {"type": "string"}}, "required": ["to"],
                     "additionalProperties": false}');

CREATE TEMP TABLE cases (name text, args jsonb, delay_seconds double precision, tags jsonb,
                         max_retries integer, timeout_seconds double precision, queue text,
                         backoff_base_seconds double precision, validation text);
INSERT INTO cases VALUES
    ('sqltest.ok.any', '{}', 0, '{}', NULL, NULL, NULL, NULL, 'known'),
    ('sqltest.ok.any', '{"a": 1}', 3155760000, '{"t": 1}', 0, 0.001, 'q', 0.5, 'known'),
    ('sqltest.ok.typed', '{"to": "x"}', 0, '{}', 3, 10, NULL, 5, 'known'),
    ('sqltest.ok.typed', '{"to": "x"}', 0, '{}', 3, 10, NULL, 5, 'strict'),
    ('sqltest.ok.typed', '{"to": 1}', 0, '{}', NULL, NULL, NULL, NULL, 'off'),
    ('sqltest.ok.any', '{}', 0, '{}', NULL, NULL, NULL, NULL, 'strict'),
    ('sqltest.ok.typed', '{"to": 1}', 0, '{}', NULL, NULL, NULL, NULL, 'known'),
    ('sqltest.ok.typed', '{}', 0, '{}', NULL, NULL, NULL, NULL, 'known'),
    ('sqltest.ok.typed', '{"to": "x", "cc": "y"}', 0, '{}', NULL, NULL, NULL, NULL, 'known'),
    ('', '{}', 0, '{}', NULL, NULL, NULL, NULL, 'known'),
    (NULL, '{}', 0, '{}', NULL, NULL, NULL, NULL, 'known'),
    (repeat('n', 256), '{}', 0, '{}', NULL, NULL, NULL, NULL, 'known'),
    ('sqltest.ok.any', '[]', 0, '{}', NULL, NULL, NULL, NULL, 'known'),
    ('sqltest.ok.any', NULL, 0, '{}', NULL, NULL, NULL, NULL, 'known'),
    ('sqltest.ok.any', '{}', 0, '"x"', NULL, NULL, NULL, NULL, 'known'),
    ('sqltest.ok.any', '{}', -1, '{}', NULL, NULL, NULL, NULL, 'known'),
    ('sqltest.ok.any', '{}', 3155760001, '{}', NULL, NULL, NULL, NULL, 'known'),
    ('sqltest.ok.any', '{}', 'NaN', '{}', NULL, NULL, NULL, NULL, 'known'),
    ('sqltest.ok.any', '{}', NULL, '{}', NULL, NULL, NULL, NULL, 'known'),
    ('sqltest.ok.any', '{}', 0, '{}', -1, NULL, NULL, NULL, 'known'),
    ('sqltest.ok.any', '{}', 0, '{}', NULL, 0, NULL, NULL, 'known'),
    ('sqltest.ok.any', '{}', 0, '{}', NULL, 'Infinity', NULL, NULL, 'known'),
    ('sqltest.ok.any', '{}', 0, '{}', NULL, NULL, '', NULL, 'known'),
    ('sqltest.ok.any', '{}', 0, '{}', NULL, NULL, NULL, 'NaN', 'known'),
    ('sqltest.ok.any', '{}', 0, '{}', NULL, NULL, NULL, 0, 'known'),
    ('sqltest.ok.any', '{}', 0, '{}', NULL, NULL, NULL, NULL, 'sometimes');

-- What _check_submission says of each case: NULL when it passes, else its SQLSTATE.
CREATE FUNCTION pg_temp.check_state(c cases) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('tasklib.submit_validation', c.validation, true);
    PERFORM tasklib._check_submission(c.name, c.args, c.delay_seconds, c.tags, c.max_retries,
                                      c.timeout_seconds, c.queue, c.backoff_base_seconds);
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;

CREATE TEMP TABLE verdicts AS
SELECT c.*, pg_temp.check_state(c) AS raised,
       coalesce(tasklib._submission_ok(c.name, c.args, c.delay_seconds, c.tags, c.max_retries,
                    c.timeout_seconds, c.queue, c.backoff_base_seconds, c.validation,
                    tt.name IS NOT NULL, tt.args_check), false) AS ok
  FROM cases c LEFT JOIN tasklib.task_types tt ON tt.name = c.name;

SELECT is((SELECT count(*)::int FROM verdicts WHERE ok), 5, 'the five good submissions pass');
SELECT is_empty($$SELECT name, args, validation FROM verdicts WHERE ok <> (raised IS NULL)$$,
    '_submission_ok is true exactly when _check_submission raises nothing');
SELECT is_empty($$SELECT name, raised FROM verdicts WHERE NOT ok AND raised NOT IN ('TL001', 'TL002', 'TL005')$$,
    'every refused submission gets a TaskLib error');

SELECT * FROM finish();
ROLLBACK;
