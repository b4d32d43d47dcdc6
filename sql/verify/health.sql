-- Verify tasklib:health
BEGIN;

SELECT queue, due, oldest_due_seconds, running, scheduled FROM tasklib.queue_depth WHERE false;
SELECT pid, application_name, transaction_age, xmin_age FROM tasklib.health_sessions WHERE false;
SELECT kind, holder, detail, xmin_age, age FROM tasklib.health_xmin_holders WHERE false;
SELECT live_rows, dead_rows, estimated_bloat_bytes FROM tasklib.health_tasks_table WHERE false;
SELECT index_name, index_bytes, entries, estimated_bloat_bytes FROM tasklib.health_tasks_indexes WHERE false;
SELECT worker_id, last_seen_at, stale, running_tasks FROM tasklib.health_workers WHERE false;
SELECT queue, name, tasks, longest_past_lease, workers FROM tasklib.health_expired_leases WHERE false;

ROLLBACK;
