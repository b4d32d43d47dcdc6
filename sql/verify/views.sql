-- Verify tasklib:views
BEGIN;

SELECT total, pending, running, completed, failed_retrying, failed_permanent, cancelled, due, oldest_due_age
  FROM tasklib.queue_status WHERE false;
SELECT name, total, due, live_workers FROM tasklib.queue_status_by_task WHERE false;
SELECT name, executions, avg_duration_s, max_duration_s, p50_duration_s, p95_duration_s,
       failed_permanent, failure_rate
  FROM tasklib.task_performance WHERE false;
SELECT worker_id, locked_tasks, earliest_lock_expires, last_heartbeat FROM tasklib.worker_health WHERE false;
SELECT id, retry_state, failed_at, error_line FROM tasklib.recent_failures WHERE false;
SELECT minute, completed, failed, cancelled FROM tasklib.throughput WHERE false;
SELECT queue, paused, suspended_until, running, due, concurrency_limit, key_concurrency_limit, rate_limit,
       rate_period_seconds, rate_burst, tokens_left, key_rate_limit, key_rate_period_seconds, key_rate_burst,
       suspended_keys, updated_at
  FROM tasklib.queue_flow WHERE false;

ROLLBACK;
