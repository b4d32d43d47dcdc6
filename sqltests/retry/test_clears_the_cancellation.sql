-- A cancelled task queued again runs as a new task: the cancellation that ended it (who, why,
-- when) is cleared, so its next run is not stopped by its worker nor ended cancelled by fail.
BEGIN;
SELECT plan(4);

DELETE FROM tasklib.tasks;
DO $$ BEGIN
    PERFORM tasklib.submit('sqltest.retry.recancel');
    PERFORM tasklib.cancel(id, 'not now') FROM tasklib.tasks;
END $$;

SELECT results_eq(
    $$SELECT r.state, r.cancel_requested_at, r.cancelled_by, r.cancel_reason FROM tasklib.tasks t, tasklib.retry(t.id) r$$,
    $$VALUES ('pending'::text, NULL::timestamptz, NULL::text, NULL::text)$$,
    'retry clears the cancellation');
SELECT is((SELECT count(*)::int FROM tasklib.claim('w', 1, lease_token => '00000000-0000-4000-8000-0000000000d1')), 1,
    'the task runs again');
SELECT is_empty($$SELECT * FROM tasklib.cancel_requests('w')$$, 'its worker is not asked to stop it');
SELECT results_eq(
    $$SELECT state, next_retry_at IS NOT NULL FROM tasklib.fail('w', ARRAY(SELECT id FROM tasklib.tasks),
                                     ARRAY['00000000-0000-4000-8000-0000000000d1'::uuid], ARRAY['boom'])$$,
    $$VALUES ('failed'::text, true)$$, 'a failure of the new run is retried, not ended cancelled');

SELECT * FROM finish();
ROLLBACK;
