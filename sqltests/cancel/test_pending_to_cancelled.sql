-- A pending task (due or delayed) can be cancelled; it is then finished and never claimed.
BEGIN;
SELECT plan(5);

DELETE FROM tasklib.tasks;
DO $$ BEGIN
    PERFORM tasklib.submit('sqltest.cancel.due');
    PERFORM tasklib.submit('sqltest.cancel.later', delay_seconds => 3600);
END $$;

SELECT results_eq(
    $$SELECT c.name, c.state FROM tasklib.tasks t, tasklib.cancel(t.id) c WHERE t.name = 'sqltest.cancel.due'$$,
    $$VALUES ('sqltest.cancel.due'::text, 'cancelled'::text)$$,
    'cancel returns the task, now cancelled');
SELECT results_eq(
    $$SELECT state, completed_at, run_at FROM tasklib.tasks WHERE name = 'sqltest.cancel.due'$$,
    $$VALUES ('cancelled'::text, now(), NULL::timestamptz)$$,
    'the stored task is cancelled, finished now, not claimable');
SELECT is((SELECT c.state FROM tasklib.tasks t, tasklib.cancel(t.id) c WHERE t.name = 'sqltest.cancel.later'), 'cancelled',
    'a delayed task can be cancelled before it is due');
UPDATE tasklib.tasks SET scheduled_at = now() - interval '1 second';
SELECT is_empty($$SELECT * FROM tasklib.claim('sqltest-worker', 10)$$, 'cancelled tasks are not claimed, even once due');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE state = 'cancelled'), 2, 'both stay cancelled');

SELECT * FROM finish();
ROLLBACK;
