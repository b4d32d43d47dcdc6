-- claim first recovers tasks whose lease ran out, so a dead worker's task comes back without
-- any cron: it fails under the retry rule and is claimed again once its retry is due.
BEGIN;
SELECT plan(5);

DELETE FROM tasklib.tasks;
DO $$ BEGIN PERFORM tasklib.submit('sqltest.claim.dead'); PERFORM tasklib.claim('sqltest-dead', 1); END $$;
-- The worker dies: its lease runs out (moved into the past, as now() is frozen here).
UPDATE tasklib.tasks SET locked_until = now() - interval '1 second' WHERE name = 'sqltest.claim.dead';

SELECT is_empty($$SELECT * FROM tasklib.claim('sqltest-alive', 10)$$,
    'the recovered task is not claimable before its retry is due');
SELECT results_eq(
    $$SELECT state, error, next_retry_at, locked_until FROM tasklib.tasks WHERE name = 'sqltest.claim.dead'$$,
    $$VALUES ('failed'::text, 'lease expired: worker sqltest-dead presumed dead'::text,
              now() + interval '5 seconds', NULL::timestamptz)$$,
    'but claim recovered it: failed with the lease error, retry in 5 seconds');

UPDATE tasklib.tasks SET next_retry_at = now() WHERE name = 'sqltest.claim.dead';
SELECT results_eq(
    $$SELECT name, worker_id, retry_count FROM tasklib.claim('sqltest-alive', 10)$$,
    $$VALUES ('sqltest.claim.dead'::text, 'sqltest-alive'::text, 1)$$,
    'once due, another worker takes it as its first retry');

-- A lease still running is left alone.
DO $$ BEGIN PERFORM tasklib.submit('sqltest.claim.alive'); PERFORM tasklib.claim('sqltest-slow', 1); END $$;
UPDATE tasklib.tasks SET locked_until = now() + interval '1 second' WHERE name = 'sqltest.claim.alive';
SELECT is_empty($$SELECT * FROM tasklib.claim('sqltest-alive', 10)$$, 'nothing else to claim');
SELECT is((SELECT state || '/' || worker_id FROM tasklib.tasks WHERE name = 'sqltest.claim.alive'),
    'running/sqltest-slow', 'a task whose lease has not expired keeps running');

SELECT * FROM finish();
ROLLBACK;
