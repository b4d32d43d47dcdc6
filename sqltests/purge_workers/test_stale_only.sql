-- purge_workers forgets only workers silent for longer than asked.
BEGIN;
SELECT plan(3);

DELETE FROM tasklib.workers;
SELECT tasklib.worker_heartbeat('pw.live', gen_random_uuid());
SELECT tasklib.worker_heartbeat('pw.stale', gen_random_uuid());
UPDATE tasklib.workers SET last_seen_at = now() - interval '2 hours' WHERE worker = 'pw.stale';
SELECT is(tasklib.purge_workers('1 hour'), 1, 'one stale worker removed');
SELECT results_eq('SELECT worker FROM tasklib.workers', $$VALUES ('pw.live'::text)$$, 'the live one stays');
SELECT throws_ok($$SELECT tasklib.purge_workers(NULL)$$, 'TL002', NULL, 'NULL interval');

SELECT * FROM finish();
ROLLBACK;
