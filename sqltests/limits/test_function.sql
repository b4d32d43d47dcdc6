-- limits() is the one home of the bounds on what callers pass: public, documented, IMMUTABLE (the
-- planner folds it into constants), readable by every TaskLib role, and the tables' CHECKs agree.
BEGIN;
SELECT plan(8);

SELECT has_function('tasklib', 'limits', ARRAY[]::text[], 'tasklib.limits() exists');
SELECT volatility_is('tasklib', 'limits', ARRAY[]::text[], 'immutable', 'limits is IMMUTABLE');
SELECT isnt(obj_description('tasklib.limits'::regproc, 'pg_proc'), NULL, 'limits has a comment');
SELECT results_eq($$SELECT * FROM tasklib.limits()$$,
    $$VALUES (100, 0.001::double precision, 86400::double precision, 3155760000::double precision,
              1048576, 10000, 65536, 1000, 64, 1048576, 2000)$$,
    'the documented limits');
SELECT ok(has_function_privilege('tasklib_producer', 'tasklib.limits()', 'EXECUTE')
          AND has_function_privilege('tasklib_worker', 'tasklib.limits()', 'EXECUTE')
          AND has_function_privilege('tasklib_monitor', 'tasklib.limits()', 'EXECUTE')
          AND has_function_privilege('tasklib_admin', 'tasklib.limits()', 'EXECUTE'),
    'every TaskLib role may read them');
SELECT throws_ok($$INSERT INTO tasklib.tasks (name, max_retries) VALUES ('limits.x', 101)$$, '23514', NULL,
    'the CHECK of tasks.max_retries is the limit');
SELECT throws_ok($$INSERT INTO tasklib.tasks (name, backoff_base_seconds) VALUES ('limits.x', 0.0009)$$, '23514', NULL,
    'and so is the CHECK of tasks.backoff_base_seconds');
SELECT lives_ok($$INSERT INTO tasklib.tasks (name, max_retries, backoff_base_seconds) VALUES ('limits.x', 100, 0.001)$$,
    'the limits themselves are allowed');

SELECT * FROM finish();
ROLLBACK;
