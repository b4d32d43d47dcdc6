-- Only the worker running a task can fail it.
BEGIN;
SELECT plan(4);

DELETE FROM tasklib.tasks;
DO $$ BEGIN
    PERFORM tasklib.submit('sqltest.fail.held');
    PERFORM tasklib.claim('sqltest-holder', 1);
    PERFORM tasklib.submit('sqltest.fail.pending', delay_seconds => 60);
END $$;

SELECT is_empty(
    $$SELECT * FROM tasklib.fail('sqltest-other', ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'sqltest.fail.held'), ARRAY(SELECT lease_token FROM tasklib.tasks WHERE name = 'sqltest.fail.held'), ARRAY['x'])$$,
    'another worker cannot fail a task it does not hold');
SELECT is((SELECT state || '/' || worker_id || '/' || coalesce(error, '-') FROM tasklib.tasks WHERE name = 'sqltest.fail.held'),
    'running/sqltest-holder/-', 'the task still runs, with no error');
SELECT is_empty(
    $$SELECT * FROM tasklib.fail('sqltest-holder', ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'sqltest.fail.pending'), ARRAY(SELECT lease_token FROM tasklib.tasks WHERE name = 'sqltest.fail.pending'), ARRAY['x'])$$,
    'a pending task cannot be failed');
SELECT is((SELECT state FROM tasklib.tasks WHERE name = 'sqltest.fail.pending'), 'pending', 'it stays pending');

SELECT * FROM finish();
ROLLBACK;
