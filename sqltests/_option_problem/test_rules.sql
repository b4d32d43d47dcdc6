-- _option_problem is the one statement of the option rules: it names the first bad option and
-- its value, passes NULL (unset) options except delay_seconds, holds them to the bounds of
-- limits(), and is inlined where it is used.
BEGIN;
SELECT plan(28);

SELECT has_function('tasklib', '_option_problem',
    ARRAY['integer', 'double precision', 'text', 'double precision', 'double precision', 'double precision',
          'double precision'],
    '_option_problem exists');
SELECT volatility_is('tasklib', '_option_problem',
    ARRAY['integer', 'double precision', 'text', 'double precision', 'double precision', 'double precision',
          'double precision'],
    'immutable', '_option_problem is IMMUTABLE, so it is inlined and folded where it is used');
SELECT function_lang_is('tasklib', '_option_problem',
    ARRAY['integer', 'double precision', 'text', 'double precision', 'double precision', 'double precision',
          'double precision'],
    'sql', '_option_problem is written in SQL');
SELECT isnt(obj_description('tasklib._option_problem'::regproc, 'pg_proc'), NULL, '_option_problem has a comment');

SELECT is(tasklib._option_problem(NULL, NULL, NULL, NULL), NULL, 'unset options pass (the delay defaults to 0)');
SELECT is(tasklib._option_problem(0, 0.001, 'q', 0.001, 0.001, 0), NULL, 'the smallest good values pass');
SELECT is(tasklib._option_problem(100, 1e300, 'q', 1e300, 1e300, 3155760000, 86400), NULL, 'the largest good values pass');

SELECT is(tasklib._option_problem(-1, NULL, NULL, NULL), 'max_retries must be an integer from 0 to 100, got -1', 'negative max_retries');
SELECT is(tasklib._option_problem(101, NULL, NULL, NULL), 'max_retries must be an integer from 0 to 100, got 101',
    'more than 100 retries');
SELECT is(tasklib._option_problem(2147483647, NULL, NULL, NULL), 'max_retries must be an integer from 0 to 100, got 2147483647',
    'max_retries 2147483647 (was accepted)');
SELECT is(tasklib._option_problem(NULL, NULL, NULL, 1e-300), 'backoff_base_seconds must be a finite number >= 0.001, got 1e-300',
    'a backoff base of 1e-300 s (was accepted: a retry storm with a first delay of 0)');
SELECT is(tasklib._option_problem(NULL, NULL, NULL, 0.0009), 'backoff_base_seconds must be a finite number >= 0.001, got 0.0009',
    'a backoff base under a millisecond');
SELECT is(tasklib._option_problem(lease_seconds => 86400.5), 'lease_seconds must be a number > 0 and at most 86400 (1 day), got 86400.5',
    'a lease longer than a day');
SELECT is(tasklib._option_problem(lease_seconds => 0), 'lease_seconds must be a number > 0 and at most 86400 (1 day), got 0',
    'a zero lease');
SELECT is(tasklib._option_problem(lease_seconds => 'NaN'), 'lease_seconds must be a number > 0 and at most 86400 (1 day), got NaN',
    'a NaN lease');
SELECT is(tasklib._option_problem(NULL, 0, NULL, NULL), 'timeout_seconds must be a finite number > 0, got 0', 'zero timeout');
SELECT is(tasklib._option_problem(NULL, 'NaN', NULL, NULL), 'timeout_seconds must be a finite number > 0, got NaN', 'NaN timeout');
SELECT is(tasklib._option_problem(NULL, '-Infinity', NULL, NULL),
    'timeout_seconds must be a finite number > 0, got -Infinity', '-Infinity timeout');
SELECT is(tasklib._option_problem(NULL, NULL, NULL, 'Infinity'),
    'backoff_base_seconds must be a finite number >= 0.001, got Infinity', 'infinite backoff base');
SELECT is(tasklib._option_problem(NULL, NULL, NULL, NULL, -2.5),
    'backoff_max_seconds must be a finite number > 0, got -2.5', 'negative backoff cap');
SELECT is(tasklib._option_problem(NULL, NULL, '', NULL), 'queue must be a non-empty string, got ''''', 'empty queue');
SELECT is(tasklib._option_problem(NULL, NULL, NULL, NULL, delay_seconds => -1),
    'delay_seconds must be a number from 0 to 3155760000 (100 years), got -1', 'negative delay');
SELECT is(tasklib._option_problem(NULL, NULL, NULL, NULL, delay_seconds => 3155760001),
    'delay_seconds must be a number from 0 to 3155760000 (100 years), got 3155760001', 'a delay past 100 years');
SELECT is(tasklib._option_problem(NULL, NULL, NULL, NULL, delay_seconds => NULL),
    'delay_seconds must be a number from 0 to 3155760000 (100 years), got NULL', 'a NULL delay (a submission must give one)');
SELECT is(tasklib._option_problem(-1, 0, '', 0, 0, -1),
    'delay_seconds must be a number from 0 to 3155760000 (100 years), got -1',
    'the first bad option is the one named');

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
CREATE TEMP TABLE options (max_retries int, timeout_seconds double precision, queue text, backoff_base_seconds double precision);
SELECT unalike(pg_temp.plan_of($$SELECT tasklib._option_problem(o.max_retries, o.timeout_seconds, o.queue, o.backoff_base_seconds)
                                    FROM options o$$),
    '%_option_problem%', 'a call is inlined');
SELECT unalike(pg_temp.plan_of($$SELECT tasklib._submission_ok('n', '{}', 0, '{}', o.max_retries, o.timeout_seconds, o.queue,
                                                              o.backoff_base_seconds, 'known', true, NULL)
                                    FROM options o$$),
    '%_option_problem%', 'and inlined again inside _submission_ok, which submit and submit_many inline');
SELECT unalike(pg_temp.plan_of($$SELECT tasklib._submission_ok('n', '{}', 0, '{}', o.max_retries, o.timeout_seconds, o.queue,
                                                              o.backoff_base_seconds, 'known', true, NULL)
                                    FROM options o$$),
    '%limits%', 'the bounds of limits() are folded into constants');

SELECT * FROM finish();
ROLLBACK;
