-- set_schedule_next_fire records the schedulers' next fire time for schedule_status: only when
-- it changes, never at or before the latest fire, never for a paused schedule.
BEGIN;
SELECT plan(6);

DELETE FROM tasklib.schedules;
SELECT 1 FROM tasklib.create_schedule('sqltest.n', 'sqltest.job', '0 * * * *');
SELECT is(tasklib.set_schedule_next_fire('sqltest.n', date_trunc('hour', now()) + interval '1 hour'), true,
    'a first next fire time is recorded');
SELECT is((SELECT next_fire_at FROM tasklib.schedule_status WHERE name = 'sqltest.n'), date_trunc('hour', now()) + interval '1 hour',
    'schedule_status shows it');
SELECT is(tasklib.set_schedule_next_fire('sqltest.n', date_trunc('hour', now()) + interval '1 hour'), false,
    'the same time again writes nothing');
UPDATE tasklib.schedules SET last_fire_at = date_trunc('hour', now());
SELECT is(tasklib.set_schedule_next_fire('sqltest.n', date_trunc('hour', now())), false,
    'a time at or before the latest fire is not recorded (a late scheduler''s)');
SELECT 1 FROM tasklib.pause_schedule('sqltest.n');
SELECT is(tasklib.set_schedule_next_fire('sqltest.n', date_trunc('hour', now()) + interval '2 hours'), false,
    'a paused schedule has none');
SELECT is(tasklib.set_schedule_next_fire('sqltest.unknown', now()), false, 'an unknown schedule: false');

SELECT * FROM finish();
ROLLBACK;
