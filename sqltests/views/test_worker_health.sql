-- worker_health: the seed's Worker Health plus the last heartbeat and idle workers.
BEGIN;
SELECT plan(6);

DELETE FROM tasklib.tasks;
DELETE FROM tasklib.workers;
SELECT tasklib.worker_heartbeat('w-busy', gen_random_uuid(), queues => ARRAY['default'], concurrency => 4);
SELECT tasklib.worker_heartbeat('w-idle', '00000000-0000-4000-8000-0000000000d1', concurrency => 2);
UPDATE tasklib.workers SET last_seen_at = now() - interval '30 seconds' WHERE worker = 'w-idle';
INSERT INTO tasklib.tasks (name, state, started_at, worker_id, locked_until, lease_token)
VALUES ('h', 'running', now(), 'w-busy', now() + interval '60 seconds', gen_random_uuid()),
       ('h', 'running', now(), 'w-busy', now() + interval '30 seconds', gen_random_uuid()),
       -- A worker that never called worker_heartbeat, its lease already expired.
       ('h', 'running', now(), 'w-silent', now() - interval '5 seconds', gen_random_uuid());
INSERT INTO tasklib.tasks (name, state, started_at, completed_at, worker_id)
VALUES ('h', 'completed', now(), now() - interval '10 minutes', 'w-busy'),
       ('h', 'completed', now(), now() - interval '2 hours', 'w-busy');

SELECT results_eq(
    'SELECT worker_id, locked_tasks, earliest_lock_expires, expired_leases FROM tasklib.worker_health',
    $$VALUES ('w-busy'::text, 2::bigint, now() + interval '30 seconds', 0::bigint),
             ('w-idle', 0, NULL, 0),
             ('w-silent', 1, now() - interval '5 seconds', 1)$$,
    'running tasks per worker, earliest lease end and expired leases; idle workers included');
SELECT results_eq(
    'SELECT last_heartbeat, since_last_heartbeat FROM tasklib.worker_health ORDER BY worker_id',
    $$VALUES (now(), interval '0'), (now() - interval '30 seconds', interval '30 seconds'), (NULL, NULL)$$,
    'last heartbeat comes from worker_heartbeat; NULL for a worker that never sent one');
SELECT is((SELECT completed_last_hour FROM tasklib.worker_health WHERE worker_id = 'w-busy'), 1::bigint,
    'tasks finished in the last hour are counted per worker');
SELECT results_eq(
    'SELECT concurrency, queues FROM tasklib.worker_health WHERE worker_id = ''w-busy''',
    $$VALUES (4, ARRAY['default'])$$, 'what the worker announced is shown');

SET LOCAL search_path = tasklib, public;
-- bag_eq: the seed's GROUP BY has no ORDER BY, so its row order is the plan's to choose.
SELECT bag_eq(
    $$SELECT
  worker_id,
  COUNT(*) as locked_tasks,
  MIN(locked_until) as earliest_lock_expires
FROM tasks
WHERE state = 'running'
AND worker_id IS NOT NULL
GROUP BY worker_id;$$,
    $$SELECT worker_id, locked_tasks, earliest_lock_expires FROM worker_health WHERE locked_tasks > 0$$,
    'the seed''s Worker Health runs verbatim and agrees with worker_health');
RESET search_path;

SELECT is(tasklib.unregister_worker('w-idle', '00000000-0000-4000-8000-0000000000d1'), true, 'unregister_worker removes an idle worker');

SELECT * FROM finish();
ROLLBACK;
