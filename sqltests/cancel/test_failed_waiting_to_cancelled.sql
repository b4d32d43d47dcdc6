-- A failed task waiting for its retry can be cancelled, which drops the retry.
BEGIN;
SELECT plan(3);

DELETE FROM tasklib.tasks;
DO $$ BEGIN
    PERFORM tasklib.submit('sqltest.cancel.waiting');
    PERFORM tasklib.claim('sqltest-worker', 1);
    PERFORM tasklib.fail('sqltest-worker', ARRAY(SELECT id FROM tasklib.tasks), ARRAY(SELECT lease_token FROM tasklib.tasks), ARRAY['boom']);
END $$;

SELECT is((SELECT c.state FROM tasklib.tasks t, tasklib.cancel(t.id) c), 'cancelled', 'the waiting retry is cancelled');
SELECT results_eq(
    $$SELECT state, next_retry_at, run_at, completed_at, error FROM tasklib.tasks$$,
    $$VALUES ('cancelled'::text, NULL::timestamptz, NULL::timestamptz, now(), 'boom'::text)$$,
    'its retry is dropped, it is finished, the last error stays');
UPDATE tasklib.tasks SET next_retry_at = now() - interval '1 second';
SELECT is_empty($$SELECT * FROM tasklib.claim('sqltest-worker', 10)$$, 'it is never claimed again');

SELECT * FROM finish();
ROLLBACK;
