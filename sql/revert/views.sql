-- Revert tasklib:views
BEGIN;

DROP VIEW tasklib.queue_flow;

DROP VIEW tasklib.throughput;
DROP VIEW tasklib.recent_failures;
DROP VIEW tasklib.worker_health;
DROP VIEW tasklib.task_performance;
DROP VIEW tasklib.queue_status_by_task;
DROP VIEW tasklib.queue_status;
DROP FUNCTION tasklib._error_line;

COMMIT;
