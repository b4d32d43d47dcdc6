-- A worker's row belongs to the process that registered it (its registration uuid): another
-- worker, connected as tasklib_worker too, can neither unregister it nor rewrite it. A name whose
-- row has been silent for an hour is taken over by a new process.
BEGIN;
SELECT plan(12);

DELETE FROM tasklib.workers;
SELECT tasklib.worker_heartbeat('victim', '00000000-0000-4000-8000-0000000000a1', queues => ARRAY['billing'],
                                concurrency => 4, info => '{"host": "h1"}');
UPDATE tasklib.workers SET last_seen_at = now() - interval '10 minutes', started_at = now() - interval '1 day';

SET LOCAL ROLE tasklib_worker;
SELECT is(tasklib.unregister_worker('victim', '00000000-0000-4000-8000-0000000000b2'), false,
    'another worker cannot unregister it: false, nothing removed');
SELECT is(tasklib.worker_heartbeat('victim', '00000000-0000-4000-8000-0000000000b2', queues => ARRAY['evil'],
                                   concurrency => 1, info => '{"host": "forged"}'),
    NULL, 'nor rewrite it with a heartbeat of its own: the answer is NULL');
SELECT throws_ok($$SELECT registration FROM tasklib.workers$$, '42501', NULL,
    'a worker cannot read the registrations');
RESET ROLE;
SELECT results_eq(
    $$SELECT queues, concurrency, info, started_at, last_seen_at FROM tasklib.workers WHERE worker = 'victim'$$,
    $$VALUES (ARRAY['billing'], 4, '{"host": "h1"}'::jsonb, now() - interval '1 day', now() - interval '10 minutes')$$,
    'the row is as its own process left it');

SET LOCAL ROLE tasklib_worker;
SELECT is(tasklib.worker_heartbeat('victim', '00000000-0000-4000-8000-0000000000a1'), now(),
    'its own process refreshes it');
SELECT is(tasklib.unregister_worker('victim', '00000000-0000-4000-8000-0000000000a1'), true,
    'and unregisters it');
RESET ROLE;
SELECT is_empty($$SELECT 1 FROM tasklib.workers WHERE worker = 'victim'$$, 'it is gone');
SELECT throws_ok($$SELECT tasklib.unregister_worker('victim', NULL)$$, 'TL002', NULL, 'a NULL registration is refused');

-- A crashed process never unregisters: after an hour of silence its name is free again.
SELECT tasklib.worker_heartbeat('crashed', '00000000-0000-4000-8000-0000000000c1', queues => ARRAY['a'], concurrency => 2);
UPDATE tasklib.workers SET last_seen_at = now() - interval '59 minutes' WHERE worker = 'crashed';
SELECT is(tasklib.worker_heartbeat('crashed', '00000000-0000-4000-8000-0000000000c2', concurrency => 3), NULL,
    'a name silent for less than an hour is not taken over');
UPDATE tasklib.workers SET last_seen_at = now() - interval '61 minutes' WHERE worker = 'crashed';
SELECT is(tasklib.worker_heartbeat('crashed', '00000000-0000-4000-8000-0000000000c2', concurrency => 3), now(),
    'after an hour a new process takes the name over');
SELECT results_eq(
    $$SELECT registration, queues, concurrency, started_at FROM tasklib.workers WHERE worker = 'crashed'$$,
    $$VALUES ('00000000-0000-4000-8000-0000000000c2'::uuid, NULL::text[], 3, now())$$,
    'with what the new process said, nothing kept from the dead one');
SELECT is(tasklib.unregister_worker('crashed', '00000000-0000-4000-8000-0000000000c1'), false,
    'the dead process''s registration no longer counts');

SELECT * FROM finish();
ROLLBACK;
