-- heartbeat extends the leases of the worker's running tasks and returns the ids it still
-- holds; ids it does not hold are left out and left alone.
BEGIN;
SELECT plan(5);

DELETE FROM tasklib.tasks;
DO $$ BEGIN
    PERFORM tasklib.submit_many('[{"name": "sqltest.hb.a"}, {"name": "sqltest.hb.b"}]');
    PERFORM tasklib.claim('sqltest-mine', 2, lease_seconds => 10);
    PERFORM tasklib.submit('sqltest.hb.theirs');
    PERFORM tasklib.claim('sqltest-theirs', 1, lease_seconds => 10);
    PERFORM tasklib.submit('sqltest.hb.pending');
END $$;
-- Most of each lease has gone by.
UPDATE tasklib.tasks SET locked_until = now() + interval '1 second' WHERE state = 'running';

SELECT set_eq(
    $$SELECT * FROM tasklib.heartbeat('sqltest-mine', ARRAY(SELECT id FROM tasklib.tasks), ARRAY(SELECT lease_token FROM tasklib.tasks), lease_seconds => 120)$$,
    $$SELECT id FROM tasklib.tasks WHERE name IN ('sqltest.hb.a', 'sqltest.hb.b')$$,
    'heartbeat returns exactly the ids the worker holds');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE worker_id = 'sqltest-mine' AND locked_until = now() + interval '120 seconds'), 2,
    'their leases now end lease_seconds from now');
SELECT is((SELECT locked_until FROM tasklib.tasks WHERE name = 'sqltest.hb.theirs'), now() + interval '1 second',
    'another worker''s lease is untouched');
SELECT is((SELECT state FROM tasklib.tasks WHERE name = 'sqltest.hb.pending'), 'pending', 'a pending task is untouched');

DO $$ BEGIN PERFORM tasklib.heartbeat('sqltest-mine', ARRAY(SELECT id FROM tasklib.tasks WHERE worker_id = 'sqltest-mine'), ARRAY(SELECT lease_token FROM tasklib.tasks WHERE worker_id = 'sqltest-mine')); END $$;
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE worker_id = 'sqltest-mine' AND locked_until = now() + interval '60 seconds'), 2,
    'the default lease is 60 seconds');

SELECT * FROM finish();
ROLLBACK;
