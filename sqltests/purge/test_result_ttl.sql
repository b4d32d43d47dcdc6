-- A task type's result_ttl_seconds is how long purge keeps its finished tasks, shorter or longer
-- than purge's older_than; other types follow older_than.
BEGIN;
SELECT plan(4);

DELETE FROM tasklib.tasks;
SELECT 1 FROM tasklib.register_task_type('sqltest.short', result_ttl_seconds => 60);
SELECT 1 FROM tasklib.register_task_type('sqltest.long', result_ttl_seconds => 30 * 86400);
INSERT INTO tasklib.tasks (name, state, result, completed_at)
SELECT n, 'completed', '{"value": null}', now() - age
  FROM unnest(ARRAY['sqltest.short', 'sqltest.long', 'sqltest.plain']) AS n,
       unnest(ARRAY[interval '5 minutes', interval '10 days', interval '40 days']) AS age;

SELECT is(tasklib.purge(older_than => '7 days'), 6, 'six tasks are past their retention');
SELECT bag_eq($$SELECT name, date_part('day', now() - completed_at)::int FROM tasklib.tasks$$,
    $$VALUES ('sqltest.long', 0), ('sqltest.long', 10), ('sqltest.plain', 0)$$,
    'a 60 s TTL drops even the 5-minute-old task; a 30-day TTL keeps the 10-day-old one; the rest follow older_than');
SELECT throws_ok($$SELECT tasklib.register_task_type('sqltest.bad', result_ttl_seconds => -1)$$, 'TL002', NULL,
    'a negative TTL is refused');
SELECT is((tasklib.register_task_type('sqltest.short', result_ttl_seconds => 60)).result_ttl_seconds, 60::float8,
    'the TTL is stored with the task type');

SELECT * FROM finish();
ROLLBACK;
