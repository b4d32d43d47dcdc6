-- A worker that stalled past its lease, whose task was recovered and re-claimed by another
-- worker, cannot complete, fail or heartbeat that task: nothing it sends overwrites the new run.
BEGIN;
SELECT plan(8);

DELETE FROM tasklib.tasks;
DO $$ BEGIN PERFORM tasklib.submit('sqltest.stale'); PERFORM tasklib.claim('sqltest-stale', 1); END $$;
CREATE TEMP TABLE stale_token AS SELECT lease_token FROM tasklib.tasks WHERE name = 'sqltest.stale';
UPDATE tasklib.tasks SET locked_until = now() - interval '1 second' WHERE name = 'sqltest.stale';
SELECT is(tasklib.recover_expired(), 1, 'the expired lease is recovered');
UPDATE tasklib.tasks SET next_retry_at = now() WHERE name = 'sqltest.stale';
SELECT is((SELECT worker_id FROM tasklib.claim('sqltest-fresh', 1)), 'sqltest-fresh', 'another worker takes the task over');

CREATE TEMP TABLE stale_id AS SELECT id, lease_token FROM tasklib.tasks WHERE name = 'sqltest.stale';

SELECT is_empty($$SELECT * FROM tasklib.complete('sqltest-stale', ARRAY(SELECT id FROM stale_id), ARRAY(SELECT lease_token FROM stale_token), ARRAY['"late"'::jsonb])$$,
    'the stale worker cannot complete it');
SELECT is_empty($$SELECT * FROM tasklib.fail('sqltest-stale', ARRAY(SELECT id FROM stale_id), ARRAY(SELECT lease_token FROM stale_token), ARRAY['late error'])$$,
    'nor fail it');
SELECT is_empty($$SELECT * FROM tasklib.heartbeat('sqltest-stale', ARRAY(SELECT id FROM stale_id), ARRAY(SELECT lease_token FROM stale_token))$$,
    'nor extend its lease: the empty answer tells it the task was lost');
SELECT is_empty($$SELECT * FROM tasklib.release('sqltest-stale', NULL, ARRAY(SELECT lease_token FROM stale_token))$$, 'nor hand it back');
SELECT results_eq(
    $$SELECT state, worker_id, retry_count, result, locked_until FROM tasklib.tasks WHERE name = 'sqltest.stale'$$,
    $$VALUES ('running'::text, 'sqltest-fresh'::text, 1, NULL::jsonb, now() + interval '60 seconds')$$,
    'the new run is untouched');
SELECT results_eq(
    $$SELECT * FROM tasklib.complete('sqltest-fresh', ARRAY(SELECT id FROM stale_id), ARRAY(SELECT lease_token FROM stale_id), ARRAY['"ok"'::jsonb])$$,
    $$SELECT id FROM stale_id$$,
    'the worker that holds it completes it');

SELECT * FROM finish();
ROLLBACK;
