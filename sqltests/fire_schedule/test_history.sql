-- schedule_fires keeps a day of history behind the latest fire: each fire prunes its schedule's
-- older rows, and fire_schedule refuses fire times that old, so a pruned row can never let a
-- fire time run twice.
BEGIN;
SELECT plan(4);

DELETE FROM tasklib.schedules;
SELECT 1 FROM tasklib.create_schedule('sqltest.h', 'sqltest.job', '0 * * * *');
SELECT 1 FROM tasklib.create_schedule('sqltest.other', 'sqltest.job', '0 * * * *');
UPDATE tasklib.schedules SET starts_after = now() - interval '3 days';
SELECT count(f.*) FROM generate_series(47, 1, -1) AS h,
       LATERAL tasklib.fire_schedule('sqltest.h', date_trunc('hour', now()) - make_interval(hours => h)) AS f;
SELECT count(*) FROM tasklib.fire_schedule('sqltest.other', date_trunc('hour', now()) - interval '40 hours');
SELECT is((SELECT count(*)::int FROM tasklib.schedule_fires WHERE schedule = 'sqltest.h'), 25,
    'the fires of the last day before the latest (and the latest) are kept');
SELECT is((SELECT min(fire_at) FROM tasklib.schedule_fires WHERE schedule = 'sqltest.h'),
    date_trunc('hour', now()) - interval '25 hours', 'the oldest kept is a day before the latest');
SELECT is_empty($$SELECT * FROM tasklib.fire_schedule('sqltest.h', date_trunc('hour', now()) - interval '40 hours')$$,
    'a pruned fire time does not fire again');
SELECT is((SELECT count(*)::int FROM tasklib.schedule_fires WHERE schedule = 'sqltest.other'), 1,
    'another schedule''s history is its own');

SELECT * FROM finish();
ROLLBACK;
