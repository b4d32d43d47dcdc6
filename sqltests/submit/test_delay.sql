-- A delayed task is scheduled delay_seconds ahead and no worker can claim it before then.
BEGIN;
SELECT plan(5);

DELETE FROM tasklib.tasks;
SELECT lives_ok($$SELECT tasklib.submit('sqltest.submit.delayed', delay_seconds => 30)$$,
    'submit with a delay works');
SELECT is((SELECT scheduled_at FROM tasklib.tasks WHERE name = 'sqltest.submit.delayed'),
          now() + interval '30 seconds', 'scheduled_at is now + delay_seconds');
SELECT is((SELECT count(*)::int FROM tasklib.claim('sqltest-worker', 10)), 0,
    'a task not yet due is not claimed');

-- Time passes: move the schedule into the past instead of sleeping (now() is frozen here).
UPDATE tasklib.tasks SET scheduled_at = now() - interval '1 second' WHERE name = 'sqltest.submit.delayed';
SELECT is((SELECT name FROM tasklib.claim('sqltest-worker', 10)), 'sqltest.submit.delayed',
    'once due, the task is claimed');
SELECT is((SELECT state FROM tasklib.tasks WHERE name = 'sqltest.submit.delayed'), 'running',
    'and it is running');

SELECT * FROM finish();
ROLLBACK;
