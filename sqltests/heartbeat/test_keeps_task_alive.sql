-- A task whose lease is renewed is not recovered; once the heartbeats stop it is.
BEGIN;
SELECT plan(3);

DELETE FROM tasklib.tasks;
DO $$ BEGIN PERFORM tasklib.submit('sqltest.hb.long'); PERFORM tasklib.claim('sqltest-worker', 1, lease_seconds => 5); END $$;
-- The first lease would have run out, but a heartbeat came first.
DO $$ BEGIN PERFORM tasklib.heartbeat('sqltest-worker', ARRAY(SELECT id FROM tasklib.tasks), ARRAY(SELECT lease_token FROM tasklib.tasks), lease_seconds => 5); END $$;
SELECT is(tasklib.recover_expired(), 0, 'a renewed lease is not recovered');
SELECT is((SELECT state FROM tasklib.tasks), 'running', 'the task keeps running');

UPDATE tasklib.tasks SET locked_until = now() - interval '1 second';
SELECT is(tasklib.recover_expired(), 1, 'once the lease passes without a heartbeat, the task is recovered');

SELECT * FROM finish();
ROLLBACK;
