-- resume_schedule lets a paused schedule fire again from now on: the fire times that passed
-- while it was paused do not run. Resuming a schedule that is not paused changes nothing.
BEGIN;
SELECT plan(6);

DELETE FROM tasklib.schedules;
SELECT 1 FROM tasklib.create_schedule('sqltest.r', 'x', '* * * * * *');
UPDATE tasklib.schedules SET starts_after = now() - interval '1 hour', paused = true;

SELECT ok((SELECT NOT paused FROM tasklib.resume_schedule('sqltest.r')), 'resume_schedule returns the resumed schedule');
SELECT is((SELECT starts_after FROM tasklib.schedules), now(), 'its fire times start after now');
SELECT is_empty($$SELECT * FROM tasklib.fire_schedule('sqltest.r', date_trunc('second', now()) - interval '10 seconds')$$,
    'a fire time of the pause does not fire');

UPDATE tasklib.schedules SET starts_after = now() - interval '1 hour', updated_at = now() - interval '1 minute';
SELECT row_eq($$SELECT starts_after, updated_at FROM tasklib.resume_schedule('sqltest.r')$$,
    ROW(now() - interval '1 hour', now() - interval '1 minute'),
    'resuming a running schedule changes nothing (its missed fire times stay due)');
SELECT is((SELECT count(*)::int FROM tasklib.fire_schedule('sqltest.r', date_trunc('second', now()) - interval '10 seconds')), 1,
    'and it fires');
SELECT is_empty($$SELECT * FROM tasklib.resume_schedule('sqltest.unknown')$$, 'an unknown name returns no row');

SELECT * FROM finish();
ROLLBACK;
