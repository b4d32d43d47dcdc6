-- A cancelled task can be queued again, with an optional delay.
BEGIN;
SELECT plan(4);

DELETE FROM tasklib.tasks;
DO $$ BEGIN
    PERFORM tasklib.submit('sqltest.retry.cancelled');
    PERFORM tasklib.cancel(id) FROM tasklib.tasks;
END $$;

SELECT results_eq(
    $$SELECT r.state, r.scheduled_at, r.completed_at FROM tasklib.tasks t, tasklib.retry(t.id, delay_seconds => 90) r$$,
    $$VALUES ('pending'::text, now() + interval '90 seconds', NULL::timestamptz)$$,
    'a cancelled task is pending again, due after the delay');
SELECT is_empty($$SELECT * FROM tasklib.claim('sqltest-worker', 1)$$, 'it is not claimed before the delay');
UPDATE tasklib.tasks SET scheduled_at = now();
SELECT is((SELECT name FROM tasklib.claim('sqltest-worker', 1)), 'sqltest.retry.cancelled', 'then it is');
SELECT throws_ok($$SELECT tasklib.retry(id, -1) FROM tasklib.tasks$$, 'TL002',
    'delay_seconds must be a number from 0 to 3155760000 (100 years), got -1', 'a negative delay is rejected');

SELECT * FROM finish();
ROLLBACK;
