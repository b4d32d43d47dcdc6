-- Verify tasklib:tables
BEGIN;

SELECT id, name, queue, limit_key, unique_key, args, state, priority, tags, traceparent, result, progress, error, failures, retry_count, max_retries, max_retries_submitted,
       timeout_seconds, backoff_base_seconds, backoff_max_seconds, scheduled_at, next_retry_at,
       started_at, completed_at, created_at, submitted_by, worker_id, cancel_requested_at, cancelled_by, cancel_reason, attempt, lease_token, locked_until,
       run_at, terminal
  FROM tasklib.tasks WHERE false;
SELECT name, queue, priority, max_retries, timeout_seconds, backoff_base_seconds,
       backoff_max_seconds, args_schema, limit_key_arg, unique_args, unique_for_seconds, unique_on_conflict, result_ttl_seconds, updated_at
  FROM tasklib.task_types WHERE false;
SELECT name, paused, suspended_until, concurrency_limit, key_concurrency_limit, rate_limit,
       rate_period_seconds, rate_burst, key_rate_limit, key_rate_period_seconds, key_rate_burst,
       tokens, tokens_at, keys_blocked_until, limited, created_at, updated_at
  FROM tasklib.queues WHERE false;
SELECT queue, key, suspended_until, tokens, tokens_at, blocked_until FROM tasklib.queue_keys WHERE false;
SELECT name, key, task_id, until FROM tasklib.unique_windows WHERE false;
SELECT queue, armed FROM tasklib.queue_waits WHERE false;
SELECT 'tasklib.tasks_unique_idx'::regclass;
SELECT 'tasklib._bucket_level(double precision, timestamptz, integer, double precision, integer)'::regprocedure,
       'tasklib._bucket_ready_at(double precision, integer, double precision)'::regprocedure;
SELECT 'tasklib.tasks_claim_idx'::regclass, 'tasklib.tasks_lease_idx'::regclass,
       'tasklib.tasks_tags_idx'::regclass;
SELECT 'tasklib._uuid_v7()'::regprocedure, 'tasklib._uuid_v7_step(uuid, bigint)'::regprocedure,
       'tasklib.is_terminal(text, integer, integer)'::regprocedure, 'tasklib.task_defaults()'::regprocedure,
       'tasklib._state_after_attempt(text, timestamptz)'::regprocedure,
       'tasklib.task_options'::regtype, 'tasklib.limits()'::regprocedure, 'tasklib.limit_values'::regtype;
SELECT 1 / (tasklib.is_terminal('failed', 3, 3) AND NOT tasklib.is_terminal('failed', 2, 3)
            AND (tasklib.task_defaults()).queue IS NOT NULL)::int;
-- terminal is the last column of tasks (claim returns the rows column by column).
SELECT 1 / (SELECT (max(attnum) = (SELECT attnum FROM pg_catalog.pg_attribute
                                     WHERE attrelid = 'tasklib.tasks'::regclass AND attname = 'terminal'))::int
              FROM pg_catalog.pg_attribute
             WHERE attrelid = 'tasklib.tasks'::regclass AND attnum > 0 AND NOT attisdropped);
SELECT 1 / count(*)::int FROM pg_catalog.pg_constraint
 WHERE conrelid = 'tasklib.tasks'::regclass AND conname = 'tasks_terminal_failure_no_retry';
SELECT 1 / count(*)::int FROM pg_catalog.pg_constraint
 WHERE conrelid = 'tasklib.tasks'::regclass AND conname = 'tasks_lease_token_running';

ROLLBACK;
