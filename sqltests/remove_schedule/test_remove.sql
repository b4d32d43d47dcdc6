-- remove_schedule deletes the schedule and its fire history, not the tasks it submitted.
BEGIN;
SELECT plan(5);

DELETE FROM tasklib.schedules;
SELECT 1 FROM tasklib.create_schedule('sqltest.gone', 'x', '* * * * * *');
UPDATE tasklib.schedules SET starts_after = now() - interval '1 hour';
SELECT 1 FROM tasklib.fire_schedule('sqltest.gone', date_trunc('second', now()) - interval '1 second');

SELECT is(tasklib.remove_schedule('sqltest.gone'), true, 'remove_schedule says the schedule existed');
SELECT is_empty($$SELECT 1 FROM tasklib.schedules WHERE name = 'sqltest.gone'$$, 'it is gone');
SELECT is_empty($$SELECT 1 FROM tasklib.schedule_fires WHERE schedule = 'sqltest.gone'$$, 'with its fire history');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE tags @> '{"schedule": "sqltest.gone"}'), 1, 'its task stays');
SELECT is(tasklib.remove_schedule('sqltest.gone'), false, 'removing it again says it did not exist');

SELECT * FROM finish();
ROLLBACK;
