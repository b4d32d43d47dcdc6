-- tasklib_worker runs tasks and registers task types; it cannot submit or write tables.
BEGIN;
SELECT plan(12);

DELETE FROM tasklib.tasks;
SELECT tasklib.submit('roles.w') FROM generate_series(1, 3);
SET LOCAL ROLE tasklib_worker;
SELECT lives_ok($$SELECT tasklib.register_task_type('roles.w', '{"type": "object"}')$$, 'worker can register task types');
SELECT lives_ok($$SELECT tasklib.worker_heartbeat('rw1', '00000000-0000-4000-8000-0000000000e2', concurrency => 2)$$,
    'worker can announce itself');
SELECT is((SELECT count(*)::int FROM tasklib.claim('rw1', 3, lease_token => '00000000-0000-4000-8000-0000000000e1')), 3,
    'worker can claim');
SELECT is((SELECT count(*)::int FROM tasklib.heartbeat('rw1', ARRAY(SELECT id FROM tasklib.tasks), array_fill('00000000-0000-4000-8000-0000000000e1'::uuid, ARRAY[3]))), 3,
    'worker can heartbeat');
SELECT is((SELECT count(*)::int FROM tasklib.complete('rw1', ARRAY(SELECT id FROM tasklib.tasks LIMIT 1), ARRAY['00000000-0000-4000-8000-0000000000e1'::uuid])), 1,
    'worker can complete');
SELECT is((SELECT count(*)::int FROM tasklib.fail('rw1',
    ARRAY(SELECT id FROM tasklib.tasks WHERE state = 'running' LIMIT 1), ARRAY['00000000-0000-4000-8000-0000000000e1'::uuid], ARRAY['boom'])), 1,
    'worker can fail');
SELECT is((SELECT count(*)::int FROM tasklib.release('rw1', NULL, ARRAY['00000000-0000-4000-8000-0000000000e1'::uuid])), 1,
    'worker can release');
SELECT lives_ok($$SELECT tasklib.recover_expired()$$, 'worker can recover expired leases');
SELECT lives_ok($$SELECT tasklib.unregister_worker('rw1', '00000000-0000-4000-8000-0000000000e2')$$, 'worker can unregister');
SELECT throws_ok($$SELECT tasklib.submit('roles.w')$$, '42501', NULL, 'worker cannot submit (grant tasklib_producer too)');
SELECT throws_ok($$DELETE FROM tasklib.tasks$$, '42501', NULL, 'worker cannot delete tasks');
SELECT throws_ok($$SELECT tasklib.purge('0 seconds')$$, '42501', NULL, 'worker cannot purge');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
