-- The first fire_schedule of a (schedule, fire time) records the fire and submits the task in
-- the same transaction; every later call for that fire time finds the row and does nothing. The
-- task carries the schedule and the fire time in its tags, and the schedule its latest fire.
BEGIN;
SELECT plan(10);

DELETE FROM tasklib.schedules;
DELETE FROM tasklib.tasks;
SELECT 1 FROM tasklib.create_schedule('sqltest.every', 'sqltest.job', '* * * * * *', '{"n": 7}');
UPDATE tasklib.schedules SET starts_after = now() - interval '1 hour';
CREATE TEMP TABLE fire_time AS SELECT date_trunc('second', now()) - interval '5 seconds' AS at;

CREATE TEMP TABLE first_fire AS
SELECT * FROM tasklib.fire_schedule('sqltest.every', (SELECT at FROM fire_time), (SELECT at FROM fire_time) + interval '1 second');
SELECT is((SELECT count(*)::int FROM first_fire), 1, 'the first call fires: it returns the fire''s row');
SELECT row_eq($$SELECT t.name, t.args, t.tags FROM tasklib.tasks t JOIN first_fire f ON f.task_id = t.id$$,
    ROW('sqltest.job'::text, '{"n": 7}'::jsonb,
        jsonb_build_object('schedule', 'sqltest.every',
                           'fire_at', to_char((SELECT at FROM fire_time) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))),
    'it submitted the schedule''s task with its args, tagged with the schedule and the fire time (UTC)');
SELECT row_eq($$SELECT schedule, fire_at, fired_at, error FROM tasklib.schedule_fires$$,
    ROW('sqltest.every'::text, (SELECT at FROM fire_time), now(), NULL::text),
    'schedule_fires holds the fire time and when it fired');

SELECT is_empty($$SELECT * FROM tasklib.fire_schedule('sqltest.every', (SELECT at FROM fire_time))$$,
    'a second call for the same fire time returns no row');
SELECT is_empty($$SELECT f.* FROM generate_series(1, 5), LATERAL tasklib.fire_schedule('sqltest.every', (SELECT at FROM fire_time)) AS f$$,
    'nor do five more');
SELECT is((SELECT count(*)::int FROM tasklib.tasks), 1, 'one task in all');

SELECT row_eq($$SELECT last_fire_at, last_task_id, next_fire_at, last_error FROM tasklib.schedules$$,
    ROW((SELECT at FROM fire_time), (SELECT task_id FROM first_fire), (SELECT at FROM fire_time) + interval '1 second', NULL::text),
    'the schedule records its latest fire, its task and the next fire time');

SELECT is((SELECT count(*)::int FROM tasklib.fire_schedule('sqltest.every', (SELECT at FROM fire_time) + interval '1 second')), 1,
    'the next fire time fires');
SELECT is((SELECT count(*)::int FROM tasklib.fire_schedule('sqltest.every', (SELECT at FROM fire_time) - interval '1 second')), 1,
    'so does an earlier fire time not fired yet (a late worker''s)');
SELECT is((SELECT last_fire_at FROM tasklib.schedules), (SELECT at FROM fire_time) + interval '1 second',
    'which does not move the latest fire back');

SELECT * FROM finish();
ROLLBACK;
