-- Verify tasklib:workers
BEGIN;

SELECT worker, registration, queues, concurrency, info, task_names, started_at, last_seen_at FROM tasklib.workers WHERE false;
SELECT 'tasklib.worker_heartbeat'::regproc, 'tasklib.unregister_worker'::regproc;

ROLLBACK;
