-- A NULL option is stored as NULL (the task does not set it) and a submission then takes the
-- global default; a value that is set, even 0, is kept. A re-registration with NULL forgets
-- an option set before.
BEGIN;
SELECT plan(7);

SELECT results_eq(
    $$SELECT queue, priority, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds
        FROM tasklib.register_task_type('rt.null', max_retries => NULL, timeout_seconds => NULL, priority => NULL,
                                        queue => NULL, backoff_base_seconds => NULL, backoff_max_seconds => NULL)$$,
    $$VALUES (NULL::text, NULL::integer, NULL::integer, NULL::double precision, NULL::double precision,
              NULL::double precision)$$,
    'options passed as NULL are stored as NULL');
SELECT results_eq(
    $$SELECT queue, priority, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds
        FROM tasklib.register_task_type('rt.zero', max_retries => 0, priority => 0)$$,
    $$VALUES (NULL::text, 0, 0, NULL::double precision, NULL::double precision, NULL::double precision)$$,
    'an option set to 0 is kept as 0, the others stay NULL');

SELECT tasklib.submit('rt.null');
SELECT tasklib.submit('rt.zero');
SELECT results_eq(
    $$SELECT t.name, t.queue, t.priority, t.max_retries, t.timeout_seconds, t.backoff_base_seconds, t.backoff_max_seconds
        FROM tasklib.tasks t WHERE t.name IN ('rt.null', 'rt.zero') ORDER BY t.name$$,
    $$SELECT n, d.queue, d.priority, CASE WHEN n = 'rt.zero' THEN 0 ELSE d.max_retries END, NULL::double precision,
             d.backoff_base_seconds, d.backoff_max_seconds
        FROM unnest(ARRAY['rt.null', 'rt.zero']) n, tasklib.task_defaults() d ORDER BY n$$,
    'a submission takes the global default for every option its task type leaves NULL');

SELECT tasklib.register_task_type('rt.null', max_retries => 5, queue => 'mail', backoff_max_seconds => 60);
SELECT results_eq(
    $$SELECT queue, max_retries, backoff_max_seconds FROM tasklib.task_types WHERE name = 'rt.null'$$,
    $$VALUES ('mail'::text, 5, 60::double precision)$$,
    'a later registration sets options');
SELECT results_eq(
    $$SELECT queue, max_retries, backoff_max_seconds FROM tasklib.register_task_type('rt.null')$$,
    $$VALUES (NULL::text, NULL::integer, NULL::double precision)$$,
    'a registration without them makes them NULL again (it describes the task as defined now)');
SELECT tasklib.submit('rt.null', args => '{"after": true}');
SELECT results_eq(
    $$SELECT queue, max_retries, backoff_max_seconds FROM tasklib.tasks WHERE args = '{"after": true}'$$,
    $$SELECT queue, max_retries, backoff_max_seconds FROM tasklib.task_defaults()$$,
    'so its submissions are back to the global defaults');
SELECT is((SELECT count(*)::int FROM tasklib.task_types WHERE name IN ('rt.null', 'rt.zero')), 2, 'one row per name');

SELECT * FROM finish();
ROLLBACK;
