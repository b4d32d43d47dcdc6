-- Completing a running task stores {"value": result}, completed_at, and ends the lease.
BEGIN;
SELECT plan(6);

DELETE FROM tasklib.tasks;
DO $$ BEGIN PERFORM tasklib.submit('sqltest.complete.one'); PERFORM tasklib.claim('sqltest-worker', 1); END $$;

SELECT results_eq(
    $$SELECT * FROM tasklib.complete('sqltest-worker',
                                     ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'sqltest.complete.one'), ARRAY(SELECT lease_token FROM tasklib.tasks WHERE name = 'sqltest.complete.one'),
                                     ARRAY['{"answer": 42}'::jsonb])$$,
    $$SELECT id FROM tasklib.tasks WHERE name = 'sqltest.complete.one'$$,
    'complete returns the id it completed');
SELECT results_eq(
    $$SELECT state, result, completed_at, locked_until, next_retry_at, error, worker_id, run_at
        FROM tasklib.tasks WHERE name = 'sqltest.complete.one'$$,
    $$VALUES ('completed'::text, '{"value": {"answer": 42}}'::jsonb, now(), NULL::timestamptz,
              NULL::timestamptz, NULL::text, 'sqltest-worker'::text, NULL::timestamptz)$$,
    'the task is completed with its result wrapped as {"value": ...}, lease ended, worker kept for history');
SELECT is_empty(
    $$SELECT * FROM tasklib.complete('sqltest-worker', ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'sqltest.complete.one'), ARRAY(SELECT lease_token FROM tasklib.tasks WHERE name = 'sqltest.complete.one'),
                                     ARRAY['"again"'::jsonb])$$,
    'completing it twice changes nothing');
SELECT is((SELECT result FROM tasklib.tasks WHERE name = 'sqltest.complete.one'), '{"value": {"answer": 42}}'::jsonb,
    'the first result stays');

-- A retry that succeeds clears the previous attempt's error.
DO $$ BEGIN
    PERFORM tasklib.submit('sqltest.complete.retried');
    PERFORM tasklib.claim('sqltest-worker', 1);
    PERFORM tasklib.fail('sqltest-worker', ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'sqltest.complete.retried'), ARRAY(SELECT lease_token FROM tasklib.tasks WHERE name = 'sqltest.complete.retried'), ARRAY['oops']);
    UPDATE tasklib.tasks SET next_retry_at = now() WHERE name = 'sqltest.complete.retried';
    PERFORM tasklib.claim('sqltest-worker', 1);
    PERFORM tasklib.complete('sqltest-worker', ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'sqltest.complete.retried'), ARRAY(SELECT lease_token FROM tasklib.tasks WHERE name = 'sqltest.complete.retried'));
END $$;
SELECT results_eq(
    $$SELECT state, result, error, retry_count FROM tasklib.tasks WHERE name = 'sqltest.complete.retried'$$,
    $$VALUES ('completed'::text, '{"value": null}'::jsonb, NULL::text, 1)$$,
    'a successful retry is completed, without results it stores {"value": null}, and the old error is cleared');

SELECT is_empty(
    $$SELECT * FROM tasklib.complete('sqltest-worker', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()])$$,
    'an unknown id is ignored');

SELECT * FROM finish();
ROLLBACK;
