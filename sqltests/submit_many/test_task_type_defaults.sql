-- Options a batch element leaves out take its registered task type's defaults.
BEGIN;
SELECT plan(2);

INSERT INTO tasklib.task_types (name, queue, priority, max_retries, timeout_seconds,
                                backoff_base_seconds, backoff_max_seconds)
VALUES ('sqltest.many.typed', 'reports', 4, 9, 30, 2, 60);

CREATE TEMP TABLE submitted AS
SELECT id FROM tasklib.submit_many($$[
    {"name": "sqltest.many.typed", "args": {"n": 1}},
    {"name": "sqltest.many.typed", "args": {"n": 2}, "priority": -1, "max_retries": 0,
     "timeout_seconds": 5, "queue": "urgent", "backoff_base_seconds": 7},
    {"name": "sqltest.many.untyped", "args": {"n": 3}}
]$$) AS id;

SELECT results_eq(
    $$SELECT queue, priority, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds
        FROM tasklib.tasks WHERE name = 'sqltest.many.typed' ORDER BY args->>'n'$$,
    $$VALUES ('reports'::text, 4, 9, 30::double precision, 2::double precision, 60::double precision),
             ('urgent', -1, 0, 5, 7, 60)$$,
    'defaults come from the task type; explicit options win');
SELECT results_eq(
    $$SELECT queue, priority, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds
        FROM tasklib.tasks WHERE name = 'sqltest.many.untyped'$$,
    $$VALUES ('default'::text, 0, 3, NULL::double precision, 5::double precision, 3600::double precision)$$,
    'an unregistered name gets the global defaults');

SELECT * FROM finish();
ROLLBACK;
