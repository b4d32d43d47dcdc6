-- register_task_type inserts, then replaces; NULL options are stored as NULL (not set).
BEGIN;
SELECT plan(6);

SELECT results_eq(
    $$SELECT name, queue, priority, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds, args_schema
        FROM tasklib.register_task_type('rt.a')$$,
    $$VALUES ('rt.a'::text, NULL::text, NULL::integer, NULL::integer, NULL::double precision, NULL::double precision,
              NULL::double precision, NULL::jsonb)$$,
    'NULL options are stored as NULL: the task type does not set them');
SELECT results_eq(
    $$SELECT queue, priority, max_retries, timeout_seconds, backoff_base_seconds
        FROM tasklib.register_task_type(name => 'rt.a', max_retries => 5, timeout_seconds => 30, priority => 7,
                                        queue => 'mail', backoff_base_seconds => 2,
                                        args_schema => '{"type": "object"}')$$,
    $$VALUES ('mail'::text, 7, 5, 30::double precision, 2::double precision)$$,
    'a second registration replaces the options');
SELECT is((SELECT count(*)::int FROM tasklib.task_types WHERE name = 'rt.a'), 1, 'one row per name');

UPDATE tasklib.task_types SET updated_at = now() - interval '1 day' WHERE name = 'rt.a';
SELECT is((tasklib.register_task_type(name => 'rt.a', max_retries => 5, timeout_seconds => 30, priority => 7,
                                      queue => 'mail', backoff_base_seconds => 2,
                                      args_schema => '{"type": "object"}')).updated_at,
    now() - interval '1 day', 'an unchanged registration does not rewrite the row');

SELECT tasklib.submit('rt.a');
SELECT results_eq(
    $$SELECT queue, priority, max_retries, timeout_seconds, backoff_base_seconds FROM tasklib.tasks WHERE name = 'rt.a'$$,
    $$VALUES ('mail'::text, 7, 5, 30::double precision, 2::double precision)$$,
    'a SQL submission inherits the registered defaults');
SELECT tasklib.submit('rt.a', priority => -1, queue => 'other', max_retries => 0);
SELECT results_eq(
    $$SELECT queue, priority, max_retries FROM tasklib.tasks WHERE name = 'rt.a' AND priority = -1$$,
    $$VALUES ('other'::text, -1, 0)$$,
    'options given at submit win over the registered ones');

SELECT * FROM finish();
ROLLBACK;
