-- A running task whose lease has passed fails with 'lease expired: worker W presumed dead'
-- and waits for its retry; a task still inside its lease is left alone.
BEGIN;
SELECT plan(5);

DELETE FROM tasklib.tasks;
DO $$ BEGIN
    PERFORM tasklib.submit_many('[{"name": "sqltest.rec.dead"}, {"name": "sqltest.rec.alive"}]');
    PERFORM tasklib.claim('sqltest-w1', 2);
END $$;
UPDATE tasklib.tasks SET locked_until = now() - interval '1 second' WHERE name = 'sqltest.rec.dead';
UPDATE tasklib.tasks SET locked_until = now() WHERE name = 'sqltest.rec.alive';

SELECT is(tasklib.recover_expired(), 1, 'one task is recovered');
SELECT results_eq(
    $$SELECT state, error, retry_count, next_retry_at, run_at, locked_until, completed_at
        FROM tasklib.tasks WHERE name = 'sqltest.rec.dead'$$,
    $$VALUES ('failed'::text, 'lease expired: worker sqltest-w1 presumed dead'::text, 0,
              now() + interval '5 seconds', now() + interval '5 seconds', NULL::timestamptz, NULL::timestamptz)$$,
    'it failed with the lease error and its retry is due after the usual backoff');
SELECT is((SELECT state FROM tasklib.tasks WHERE name = 'sqltest.rec.alive'), 'running',
    'a lease ending exactly now has not expired yet');
SELECT is(tasklib.recover_expired(), 0, 'a second call finds nothing');
SELECT is(tasklib.recover_expired(0), 0, 'max_tasks 0 recovers nothing');

SELECT * FROM finish();
ROLLBACK;
