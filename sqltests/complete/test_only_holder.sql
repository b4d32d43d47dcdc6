-- Only the worker running a task can complete it: another worker, or a task that is not
-- running, changes nothing.
BEGIN;
SELECT plan(4);

DELETE FROM tasklib.tasks;
DO $$ BEGIN
    PERFORM tasklib.submit('sqltest.complete.held');
    PERFORM tasklib.claim('sqltest-holder', 1);
    PERFORM tasklib.submit('sqltest.complete.pending', delay_seconds => 60);
END $$;

SELECT is_empty(
    $$SELECT * FROM tasklib.complete('sqltest-other', ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'sqltest.complete.held'), ARRAY(SELECT lease_token FROM tasklib.tasks WHERE name = 'sqltest.complete.held'))$$,
    'another worker cannot complete a task it does not hold');
SELECT is((SELECT state || '/' || worker_id FROM tasklib.tasks WHERE name = 'sqltest.complete.held'),
    'running/sqltest-holder', 'the task still runs under its holder');
SELECT is_empty(
    $$SELECT * FROM tasklib.complete('sqltest-holder', ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'sqltest.complete.pending'), ARRAY(SELECT lease_token FROM tasklib.tasks WHERE name = 'sqltest.complete.pending'))$$,
    'a pending task cannot be completed');
SELECT is((SELECT state FROM tasklib.tasks WHERE name = 'sqltest.complete.pending'), 'pending', 'it stays pending');

SELECT * FROM finish();
ROLLBACK;
