-- A worker name is held while its process heartbeats: another registration is refused (NULL)
-- unless the holder has been silent for longer than alive_seconds (workers pass their lease).
BEGIN;
SELECT plan(4);

DELETE FROM tasklib.workers;
SELECT isnt(tasklib.worker_heartbeat('dup', '00000000-0000-4000-8000-00000000c001', task_names => ARRAY['a'], alive_seconds => 30), NULL,
    'the first process registers the name');
SELECT is(tasklib.worker_heartbeat('dup', '00000000-0000-4000-8000-00000000c002', alive_seconds => 30), NULL,
    'a second process with the name while the first is alive: refused');
UPDATE tasklib.workers SET last_seen_at = now() - interval '31 seconds';
SELECT isnt(tasklib.worker_heartbeat('dup', '00000000-0000-4000-8000-00000000c002', alive_seconds => 30), NULL,
    'silent past its lease, the name is taken over');
SELECT throws_ok($$SELECT tasklib.worker_heartbeat('dup', '00000000-0000-4000-8000-00000000c002', alive_seconds => 0)$$,
    'TL002', NULL, 'alive_seconds must be positive');

SELECT * FROM finish();
ROLLBACK;
