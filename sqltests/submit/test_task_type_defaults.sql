-- Options left NULL take the registered task type's defaults; explicit options win.
BEGIN;
SELECT plan(3);

INSERT INTO tasklib.task_types (name, queue, priority, max_retries, timeout_seconds,
                                backoff_base_seconds, backoff_max_seconds)
VALUES ('sqltest.submit.typed', 'reports', 4, 9, 30, 2, 60);

DO $$ BEGIN PERFORM tasklib.submit('sqltest.submit.typed', args => '{"n": 1}'); END $$;
SELECT results_eq(
    $$SELECT queue, priority, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds
        FROM tasklib.tasks WHERE name = 'sqltest.submit.typed' AND args = '{"n": 1}'$$,
    $$VALUES ('reports'::text, 4, 9, 30::double precision, 2::double precision, 60::double precision)$$,
    'a submission without options inherits the task type''s defaults');

DO $$ BEGIN
    PERFORM tasklib.submit('sqltest.submit.typed', args => '{"n": 2}', priority => -1, max_retries => 0,
                           timeout_seconds => 5, queue => 'urgent', backoff_base_seconds => 7);
END $$;
SELECT results_eq(
    $$SELECT queue, priority, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds
        FROM tasklib.tasks WHERE name = 'sqltest.submit.typed' AND args = '{"n": 2}'$$,
    $$VALUES ('urgent'::text, -1, 0, 5::double precision, 7::double precision, 60::double precision)$$,
    'explicit options override the task type''s defaults');

DO $$ BEGIN PERFORM tasklib.submit('sqltest.submit.untyped'); END $$;
SELECT results_eq(
    $$SELECT queue, priority, max_retries, backoff_base_seconds FROM tasklib.tasks
       WHERE name = 'sqltest.submit.untyped'$$,
    $$VALUES ('default'::text, 0, 3, 5::double precision)$$,
    'a name with no task type gets the global defaults');

SELECT * FROM finish();
ROLLBACK;
