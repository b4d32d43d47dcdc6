-- What fire_schedule does not fire (no row, no task): an unknown or paused schedule, a fire time
-- at or before starts_after, one more than a day older than the latest fire (its row may have
-- been pruned); and what it refuses with TL002: a fire time in the future, not in whole seconds.
BEGIN;
SELECT plan(9);

DELETE FROM tasklib.schedules;
DELETE FROM tasklib.tasks;
SELECT 1 FROM tasklib.create_schedule('sqltest.f', 'sqltest.job', '* * * * * *');
UPDATE tasklib.schedules SET starts_after = now() - interval '3 days';

SELECT is_empty($$SELECT * FROM tasklib.fire_schedule('sqltest.unknown', date_trunc('second', now()))$$,
    'an unknown schedule does not fire');
SELECT is_empty($$SELECT * FROM tasklib.fire_schedule('sqltest.f', date_trunc('second', now() - interval '3 days'))$$,
    'nor a fire time at or before starts_after');
SELECT is((SELECT count(*)::int FROM tasklib.fire_schedule('sqltest.f', date_trunc('second', now()))), 1,
    'a fire time of now fires');
SELECT is_empty($$SELECT * FROM tasklib.fire_schedule('sqltest.f', date_trunc('second', now()) - interval '1 day 1 second')$$,
    'a fire time more than a day before the latest fire is stale');
SELECT throws_ok($$SELECT * FROM tasklib.fire_schedule('sqltest.f', date_trunc('second', now()) + interval '1 minute')$$,
    'TL002', NULL, 'a fire time in the future is refused');
SELECT throws_ok($$SELECT * FROM tasklib.fire_schedule('sqltest.f', now() - interval '0.5 seconds')$$,
    'TL002', NULL, 'a fire time with a fraction of a second is refused');
SELECT throws_ok($$SELECT * FROM tasklib.fire_schedule('sqltest.f', NULL)$$,
    'TL002', 'fire_at must be a finite time in whole seconds, got NULL', 'NULL is refused');
SELECT 1 FROM tasklib.pause_schedule('sqltest.f');
SELECT is_empty($$SELECT * FROM tasklib.fire_schedule('sqltest.f', date_trunc('second', now()) - interval '1 second')$$,
    'a paused schedule does not fire');
SELECT is((SELECT count(*)::int FROM tasklib.tasks), 1, 'one task in all');

SELECT * FROM finish();
ROLLBACK;
