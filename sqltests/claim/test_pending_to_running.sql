-- Claiming a due pending task makes it running under the worker with a lease.
BEGIN;
SELECT plan(8);

DELETE FROM tasklib.tasks;
DO $$ BEGIN PERFORM tasklib.submit('sqltest.claim.one', args => '{"k": "v"}'); END $$;

CREATE TEMP TABLE claimed AS SELECT * FROM tasklib.claim('sqltest-worker', 1, lease_seconds => 45);

SELECT is((SELECT count(*)::int FROM claimed), 1, 'claim returns the task');
SELECT results_eq(
    $$SELECT name, args, state, worker_id FROM claimed$$,
    $$VALUES ('sqltest.claim.one'::text, '{"k": "v"}'::jsonb, 'running'::text, 'sqltest-worker'::text)$$,
    'the returned row is the task as it now is: running under the worker');
SELECT results_eq(
    $$SELECT state, worker_id, started_at, locked_until, retry_count FROM tasklib.tasks
       WHERE name = 'sqltest.claim.one'$$,
    $$VALUES ('running'::text, 'sqltest-worker'::text, now(), now() + interval '45 seconds', 0)$$,
    'the stored task is running, started now, leased for lease_seconds, retry_count unchanged');
SELECT is((SELECT run_at FROM tasklib.tasks WHERE name = 'sqltest.claim.one'), NULL,
    'a running task is not claimable');
SELECT is_empty($$SELECT * FROM tasklib.claim('sqltest-other', 10)$$,
    'another worker cannot claim it again');
SELECT is((SELECT locked_until FROM tasklib.tasks WHERE name = 'sqltest.claim.one'),
          now() + interval '45 seconds', 'the default lease is not applied when one is given');

DO $$ BEGIN PERFORM tasklib.submit('sqltest.claim.two'); END $$;
SELECT is((SELECT locked_until FROM tasklib.claim('sqltest-worker')), now() + interval '60 seconds',
    'by default claim takes one task with a 60 second lease');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE state = 'running'), 2, 'both tasks now run');

SELECT * FROM finish();
ROLLBACK;
