-- Each option resolves to the call's value, else the task type's, else task_defaults(): for a
-- registered task type without options and an unregistered name alike. submit and submit_many
-- (options left out, or given as JSON null) store the same option columns for the same input.
BEGIN;
SELECT plan(8);

SELECT tasklib.register_task_type('opt.full', max_retries => 7, timeout_seconds => 30, priority => 4,
                                  queue => 'reports', backoff_base_seconds => 2, backoff_max_seconds => 60);
SELECT tasklib.register_task_type('opt.partial', max_retries => 0, queue => 'mail');
SELECT tasklib.register_task_type('opt.bare', args_schema => '{"type": "object"}');
-- opt.none is not registered.

CREATE TEMP TABLE cases (n int, name text, priority int, max_retries int, timeout_seconds double precision,
                         queue text, backoff_base_seconds double precision);
INSERT INTO cases
SELECT row_number() OVER (ORDER BY t.i, o.j), t.name, o.priority, o.max_retries, o.timeout_seconds, o.queue,
       o.backoff_base_seconds
  FROM unnest(ARRAY['opt.full', 'opt.partial', 'opt.bare', 'opt.none']) WITH ORDINALITY AS t(name, i)
 CROSS JOIN (VALUES (NULL::int, NULL::int, NULL::double precision, NULL::text, NULL::double precision, 1),
                    (-1, 1, 5, 'urgent', 0.5, 2),
                    (NULL, 2, NULL, NULL, 9, 3)) AS o(priority, max_retries, timeout_seconds, queue, backoff_base_seconds, j)
 ORDER BY t.i, o.j;

SELECT count(*) FROM cases c,
       tasklib.submit(c.name, args => jsonb_build_object('n', c.n, 'via', 'submit'), priority => c.priority,
                      max_retries => c.max_retries, timeout_seconds => c.timeout_seconds, queue => c.queue,
                      backoff_base_seconds => c.backoff_base_seconds);
-- Options left out of the element.
SELECT count(*) FROM tasklib.submit_many((
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'name', c.name, 'args', jsonb_build_object('n', c.n, 'via', 'many'), 'priority', c.priority,
               'max_retries', c.max_retries, 'timeout_seconds', c.timeout_seconds, 'queue', c.queue,
               'backoff_base_seconds', c.backoff_base_seconds)) ORDER BY c.n)
      FROM cases c));
-- Options given as JSON null.
SELECT count(*) FROM tasklib.submit_many((
    SELECT jsonb_agg(jsonb_build_object(
               'name', c.name, 'args', jsonb_build_object('n', c.n, 'via', 'many_null'), 'priority', c.priority,
               'max_retries', c.max_retries, 'timeout_seconds', c.timeout_seconds, 'queue', c.queue,
               'backoff_base_seconds', c.backoff_base_seconds) ORDER BY c.n)
      FROM cases c));

CREATE TEMP VIEW stored AS
SELECT args->>'via' AS via, (args->>'n')::int AS n, name, queue, priority, max_retries, timeout_seconds,
       backoff_base_seconds, backoff_max_seconds
  FROM tasklib.tasks WHERE name LIKE 'opt.%';

SELECT is((SELECT count(*)::int FROM stored), 36, 'twelve cases, each submitted three ways');
SELECT results_eq(
    $$SELECT n, name, queue, priority, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds
        FROM stored WHERE via = 'many' ORDER BY n$$,
    $$SELECT n, name, queue, priority, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds
        FROM stored WHERE via = 'submit' ORDER BY n$$,
    'submit_many with the options left out stores what submit stores');
SELECT results_eq(
    $$SELECT n, name, queue, priority, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds
        FROM stored WHERE via = 'many_null' ORDER BY n$$,
    $$SELECT n, name, queue, priority, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds
        FROM stored WHERE via = 'submit' ORDER BY n$$,
    'submit_many with the options given as null stores what submit stores');

SELECT results_eq(
    $$SELECT name, queue, priority, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds
        FROM stored WHERE via = 'submit' AND name IN ('opt.bare', 'opt.none') AND n IN (7, 10) ORDER BY name$$,
    $$SELECT n, d.queue, d.priority, d.max_retries, NULL::double precision, d.backoff_base_seconds, d.backoff_max_seconds
        FROM unnest(ARRAY['opt.bare', 'opt.none']) n, tasklib.task_defaults() d ORDER BY n$$,
    'without options, a registered type that sets none and an unregistered name both get task_defaults()');
SELECT results_eq(
    $$SELECT queue, priority, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds
        FROM stored WHERE via = 'submit' AND n = 7$$,
    $$VALUES ('default'::text, 0, 3, NULL::double precision, 5::double precision, 3600::double precision)$$,
    'which today are queue default, priority 0, 3 retries, no timeout, backoff 5 s up to 3600 s');
SELECT results_eq(
    $$SELECT queue, priority, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds
        FROM stored WHERE via = 'submit' AND n = 1$$,
    $$VALUES ('reports'::text, 4, 7, 30::double precision, 2::double precision, 60::double precision)$$,
    'a task type that sets every option gives them all');
SELECT results_eq(
    $$SELECT queue, priority, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds
        FROM stored WHERE via = 'submit' AND n IN (2, 4) ORDER BY n$$,
    $$VALUES ('urgent'::text, -1, 1, 5::double precision, 0.5::double precision, 60::double precision),
             ('mail', 0, 0, NULL, 5, 3600)$$,
    'the call''s options win over the task type''s; a task type''s 0 is kept, its NULLs take the defaults');
SELECT results_eq(
    $$SELECT queue, priority, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds
        FROM stored WHERE via = 'submit' AND n = 12$$,
    $$VALUES ('default'::text, 0, 2, NULL::double precision, 9::double precision, 3600::double precision)$$,
    'an unregistered name mixes the call''s options with the defaults');

SELECT * FROM finish();
ROLLBACK;
