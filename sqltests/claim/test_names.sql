-- A worker claims only the task names it can run (claim's names): a task nobody can run stays
-- pending, and queue_status_by_task says no live worker can run it.
BEGIN;
SELECT plan(5);

DELETE FROM tasklib.tasks;
DELETE FROM tasklib.workers;
SELECT count(tasklib.submit('sqltest.known')) FROM generate_series(1, 2);
SELECT count(tasklib.submit('sqltest.orphan')) FROM generate_series(1, 3);
SELECT 1 FROM tasklib.worker_heartbeat('w', '00000000-0000-4000-8000-00000000b001', task_names => ARRAY['sqltest.known']);

SELECT bag_eq($$SELECT name FROM tasklib.claim('w', 10, names => ARRAY['sqltest.known'])$$,
    $$VALUES ('sqltest.known'), ('sqltest.known')$$, 'a claim with names takes only those');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE name = 'sqltest.orphan' AND state = 'pending'), 3,
    'the others stay pending, untouched');
SELECT results_eq($$SELECT name, due, live_workers FROM tasklib.queue_status_by_task ORDER BY name$$,
    $$VALUES ('sqltest.known'::text, 0::bigint, 1::bigint), ('sqltest.orphan', 3, 0)$$,
    'queue_status_by_task: due tasks of a name no live worker can run show 0 live workers');
SELECT 1 FROM tasklib.set_queue_limits('default', concurrency_limit => 10);
SELECT is_empty($$SELECT * FROM tasklib.claim('w', 10, names => ARRAY['sqltest.known'])$$,
    'a limited queue''s claim honours names too');
SELECT is((SELECT count(*)::int FROM tasklib.claim('w2', 10)), 3, 'a claim without names takes any');

SELECT * FROM finish();
ROLLBACK;
