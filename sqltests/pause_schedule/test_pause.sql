-- pause_schedule stops a schedule from firing; it returns the row (no row for an unknown name),
-- and pausing twice changes nothing.
BEGIN;
SELECT plan(6);

DELETE FROM tasklib.schedules;
SELECT 1 FROM tasklib.create_schedule('sqltest.p', 'x', '* * * * * *');
UPDATE tasklib.schedules SET starts_after = now() - interval '1 hour', next_fire_at = now() + interval '1 second';

SELECT ok((SELECT paused FROM tasklib.pause_schedule('sqltest.p')), 'pause_schedule returns the paused schedule');
SELECT is((SELECT next_fire_at FROM tasklib.schedules), NULL, 'a paused schedule has no next fire time');
SELECT is_empty($$SELECT * FROM tasklib.fire_schedule('sqltest.p', date_trunc('second', now()))$$,
    'it does not fire');
UPDATE tasklib.schedules SET updated_at = now() - interval '1 minute';
SELECT is((SELECT updated_at FROM tasklib.pause_schedule('sqltest.p')), now() - interval '1 minute',
    'pausing a paused schedule changes nothing');
SELECT is_empty($$SELECT * FROM tasklib.pause_schedule('sqltest.unknown')$$, 'an unknown name returns no row');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE tags @> '{"schedule": "sqltest.p"}'), 0, 'no task was submitted');

SELECT * FROM finish();
ROLLBACK;
