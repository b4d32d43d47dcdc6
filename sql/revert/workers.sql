-- Revert tasklib:workers
BEGIN;

DROP FUNCTION tasklib.unregister_worker;
DROP FUNCTION tasklib.worker_heartbeat;
DROP TABLE tasklib.workers;

COMMIT;
