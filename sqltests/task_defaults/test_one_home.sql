-- Redefining task_defaults() changes what every path gives a task that sets no option: a plain
-- INSERT (column defaults), submit and submit_many (no other copy of the values exists), while
-- options set by a task type or by the call still win.
BEGIN;
SELECT plan(5);

SELECT tasklib.register_task_type('sqltest.home.typed', max_retries => 9);
-- Plans cached before the change must not keep the old values.
SELECT tasklib.submit('sqltest.home.warmup');
SELECT tasklib.submit_many('[{"name": "sqltest.home.warmup"}]');

CREATE OR REPLACE FUNCTION tasklib.task_defaults() RETURNS tasklib.task_options
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ROW('elsewhere', 2, 1, 0.5, 7)::tasklib.task_options;

INSERT INTO tasklib.tasks (name) VALUES ('sqltest.home.insert');
SELECT tasklib.submit('sqltest.home.submit');
SELECT tasklib.submit_many('[{"name": "sqltest.home.many"}]');
SELECT tasklib.submit('sqltest.home.typed');
SELECT tasklib.submit('sqltest.home.submit', priority => -5, args => '{"explicit": true}');

SELECT results_eq(
    $$SELECT queue, priority, max_retries, backoff_base_seconds, backoff_max_seconds FROM tasklib.tasks
       WHERE name IN ('sqltest.home.insert', 'sqltest.home.submit', 'sqltest.home.many') AND args = '{}'
       ORDER BY name$$,
    $$VALUES ('elsewhere'::text, 2, 1, 0.5::double precision, 7::double precision),
             ('elsewhere', 2, 1, 0.5, 7), ('elsewhere', 2, 1, 0.5, 7)$$,
    'a plain INSERT, submit and submit_many all take the new defaults');
SELECT results_eq(
    $$SELECT queue, priority, max_retries FROM tasklib.tasks WHERE name = 'sqltest.home.typed'$$,
    $$VALUES ('elsewhere'::text, 2, 9)$$,
    'an option the task type sets wins over the defaults; the others follow them');
SELECT is((SELECT priority FROM tasklib.tasks WHERE args = '{"explicit": true}'), -5,
    'an option the call sets wins over both');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE name = 'sqltest.home.warmup' AND queue = 'default'), 2,
    'tasks submitted before keep what they were given');
SELECT is((SELECT queue FROM tasklib.task_types WHERE name = 'sqltest.home.typed'), NULL,
    'the task type still stores no queue: the default is applied at submit, not at registration');

SELECT * FROM finish();
ROLLBACK;
