-- worker_heartbeat announces a worker, then refreshes it; NULL options keep what was said.
BEGIN;
SELECT plan(8);

DELETE FROM tasklib.workers;
SELECT is(tasklib.worker_heartbeat('wh1', '00000000-0000-4000-8000-00000000a001', queues => ARRAY['a', 'b'],
                                   concurrency => 4, info => '{"host": "h1"}'),
    now(), 'returns the time recorded');
UPDATE tasklib.workers SET last_seen_at = now() - interval '1 minute', started_at = now() - interval '1 hour';
SELECT tasklib.worker_heartbeat('wh1', '00000000-0000-4000-8000-00000000a001');
SELECT results_eq(
    $$SELECT queues, concurrency, info, last_seen_at, started_at FROM tasklib.workers WHERE worker = 'wh1'$$,
    $$VALUES (ARRAY['a', 'b'], 4, '{"host": "h1"}'::jsonb, now(), now() - interval '1 hour')$$,
    'a bare heartbeat refreshes last_seen_at and keeps the rest');
SELECT tasklib.worker_heartbeat('wh1', '00000000-0000-4000-8000-00000000a001', concurrency => 8);
SELECT is((SELECT concurrency FROM tasklib.workers WHERE worker = 'wh1'), 8, 'a given option replaces the old one');
SELECT throws_ok($$SELECT tasklib.worker_heartbeat('', gen_random_uuid())$$, 'TL002', NULL, 'empty worker name');
SELECT throws_ok($$SELECT tasklib.worker_heartbeat('wh1', NULL)$$, 'TL002',
    'registration of worker wh1 must be the uuid the worker process chose at start, got NULL', 'NULL registration');
SELECT throws_ok($$SELECT tasklib.worker_heartbeat('wh1', '00000000-0000-4000-8000-00000000a001', concurrency => 0)$$,
    'TL002', NULL, 'zero concurrency');
SELECT throws_ok($$SELECT tasklib.worker_heartbeat('wh1', '00000000-0000-4000-8000-00000000a001', info => '[]')$$,
    'TL002', NULL, 'info not an object');
SELECT has_function('tasklib', 'worker_heartbeat', ARRAY['text', 'uuid', 'text[]', 'integer', 'jsonb', 'text[]', 'double precision'],
    'worker_heartbeat(worker, registration, queues, concurrency, info, task_names, alive_seconds)');

SELECT * FROM finish();
ROLLBACK;
