-- Deploy tasklib:views
-- Monitoring views for operators in psql (and for the tasklib_monitor role, which may read
-- nothing else: counts and metadata, never arguments, results or error text). Each reads tasklib.tasks at query time; nothing is maintained on the write
-- path, so the views cost nothing until someone looks. queue_status, queue_status_by_task and
-- task_performance scan the whole table (history included: purge keeps it short);
-- worker_health, recent_failures and throughput read through the lease, claim and
-- completed_at indexes.
BEGIN;

-- The line of an error worth showing in a list: a Python traceback's last line names the
-- exception ("ValueError: ..."), any other error's first line says what went wrong.
CREATE FUNCTION tasklib._error_line(error text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (
    SELECT CASE WHEN s.lines[1] LIKE 'Traceback (most recent call last)%'
                THEN s.lines[cardinality(s.lines)] ELSE s.lines[1] END
      FROM (SELECT ARRAY(SELECT btrim(l, E' \t\r') FROM unnest(string_to_array(error, E'\n')) l
                          WHERE btrim(l, E' \t\r') <> '') AS lines) s
);
COMMENT ON FUNCTION tasklib._error_line IS
    'Private: the telling line of an error: the last line of a Python traceback, else the first non-empty line.';

CREATE VIEW tasklib.queue_status AS
SELECT count(*) AS total,
       count(*) FILTER (WHERE t.state = 'pending') AS pending,
       count(*) FILTER (WHERE t.state = 'running') AS running,
       count(*) FILTER (WHERE t.state = 'completed') AS completed,
       count(*) FILTER (WHERE t.state = 'failed' AND NOT t.terminal) AS failed_retrying,
       count(*) FILTER (WHERE t.state = 'failed' AND t.terminal) AS failed_permanent,
       count(*) FILTER (WHERE t.state = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE t.run_at <= now()) AS due,
       now() - min(t.run_at) FILTER (WHERE t.run_at <= now()) AS oldest_due_age
  FROM tasklib.tasks t;
COMMENT ON VIEW tasklib.queue_status IS
    'One row: how many tasks are in each state (the Quick Status query), plus due = claimable now and oldest_due_age = how long the oldest claimable task has waited (the queue''s lag).';

-- live_workers: the workers heard from in the last minute that can run the name (workers
-- claim only the names they have code for): 0 beside due tasks means nobody will run them.
CREATE VIEW tasklib.queue_status_by_task AS
SELECT s.*,
       (SELECT count(*) FROM tasklib.workers w
         WHERE w.last_seen_at > now() - interval '1 minute'
           AND (w.task_names IS NULL OR s.name = ANY (w.task_names))) AS live_workers
  FROM (
SELECT t.name,
       count(*) AS total,
       count(*) FILTER (WHERE t.state = 'pending') AS pending,
       count(*) FILTER (WHERE t.state = 'running') AS running,
       count(*) FILTER (WHERE t.state = 'completed') AS completed,
       count(*) FILTER (WHERE t.state = 'failed' AND NOT t.terminal) AS failed_retrying,
       count(*) FILTER (WHERE t.state = 'failed' AND t.terminal) AS failed_permanent,
       count(*) FILTER (WHERE t.state = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE t.run_at <= now()) AS due,
       now() - min(t.run_at) FILTER (WHERE t.run_at <= now()) AS oldest_due_age
  FROM tasklib.tasks t
 GROUP BY t.name) s
 ORDER BY s.name;
COMMENT ON VIEW tasklib.queue_status_by_task IS
    'queue_status per task name: tasks in each state, due now, the age of the oldest due task, and live_workers: the workers seen in the last minute that can run it (0 beside due tasks: nobody will run them).';

CREATE VIEW tasklib.task_performance AS
SELECT t.name,
       count(*) FILTER (WHERE t.state = 'completed') AS executions,
       -- Rounded to the millisecond: more digits than that are noise to a reader in psql.
       round((avg(d.seconds) FILTER (WHERE t.state = 'completed'))::numeric, 3)::double precision AS avg_duration_s,
       round((max(d.seconds) FILTER (WHERE t.state = 'completed'))::numeric, 3)::double precision AS max_duration_s,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY d.seconds) FILTER (WHERE t.state = 'completed'))::numeric, 3)::double precision AS p50_duration_s,
       round((percentile_cont(0.95) WITHIN GROUP (ORDER BY d.seconds) FILTER (WHERE t.state = 'completed'))::numeric, 3)::double precision AS p95_duration_s,
       count(*) FILTER (WHERE t.state = 'failed') AS failed_permanent,
       round(count(*) FILTER (WHERE t.state = 'failed')::numeric / count(*), 4) AS failure_rate
  FROM tasklib.tasks t
 CROSS JOIN LATERAL (SELECT extract(epoch FROM t.completed_at - t.started_at)::double precision AS seconds) d
 -- Finished runs only: completed, or failed with no retry left.
 WHERE t.terminal AND t.state <> 'cancelled'
 GROUP BY t.name
 ORDER BY avg_duration_s DESC NULLS LAST;
COMMENT ON VIEW tasklib.task_performance IS
    'Per task name, over finished tasks still in the table: executions (completed), average, max, p50 and p95 duration in seconds (to the millisecond) of the last attempt, permanent failures and failure_rate = permanent failures / finished (4 decimals).';

CREATE VIEW tasklib.worker_health AS
WITH running AS (
    SELECT t.worker_id,
           count(*) AS locked_tasks,
           min(t.locked_until) AS earliest_lock_expires,
           count(*) FILTER (WHERE t.locked_until < now()) AS expired_leases
      FROM tasklib.tasks t
     WHERE t.state = 'running' AND t.worker_id IS NOT NULL
     GROUP BY t.worker_id
),
finished AS (
    SELECT t.worker_id,
           count(*) FILTER (WHERE t.state = 'completed') AS completed_last_hour,
           count(*) FILTER (WHERE t.state = 'failed') AS failed_last_hour
      FROM tasklib.tasks t
     WHERE t.completed_at > now() - interval '1 hour' AND t.worker_id IS NOT NULL
     GROUP BY t.worker_id
)
SELECT coalesce(w.worker, r.worker_id) AS worker_id,
       coalesce(r.locked_tasks, 0) AS locked_tasks,
       r.earliest_lock_expires,
       coalesce(r.expired_leases, 0) AS expired_leases,
       w.last_seen_at AS last_heartbeat,
       now() - w.last_seen_at AS since_last_heartbeat,
       coalesce(f.completed_last_hour, 0) AS completed_last_hour,
       coalesce(f.failed_last_hour, 0) AS failed_last_hour,
       w.concurrency,
       w.queues,
       w.started_at,
       w.info
  FROM tasklib.workers w
  FULL JOIN running r ON r.worker_id = w.worker
  LEFT JOIN finished f ON f.worker_id = coalesce(w.worker, r.worker_id)
 ORDER BY 1;
COMMENT ON VIEW tasklib.worker_health IS
    'One row per worker that announced itself (tasklib.workers) or holds running tasks: locked_tasks, earliest_lock_expires and expired_leases (the Worker Health query), last_heartbeat from worker_heartbeat (NULL if it never called it), and tasks it finished in the last hour.';

CREATE VIEW tasklib.recent_failures AS
SELECT t.id,
       t.name,
       t.queue,
       CASE WHEN t.terminal THEN 'permanent' ELSE 'retrying' END AS retry_state,
       -- A retrying task does not store when it failed, but fail scheduled its retry exactly
       -- one backoff_delay after that moment.
       coalesce(t.completed_at,
                t.next_retry_at - tasklib.backoff_delay(t.backoff_base_seconds, t.retry_count, t.backoff_max_seconds))
           AS failed_at,
       t.retry_count + 1 AS attempts,
       t.max_retries + 1 AS max_attempts,
       t.next_retry_at,
       -- Error text and arguments can hold secrets (a password in a traceback, a card number in
       -- the arguments): a reader sees them only if it may read those columns of tasks itself (a
       -- worker, tasklib_admin, the owner, a superuser, or a role granted SELECT (error, args) ON
       -- tasklib.tasks); tasklib_monitor sees NULL. In a view, current_user is the reader. The
       -- uncorrelated subqueries run once per query, not per row.
       CASE WHEN (SELECT pg_catalog.has_column_privilege('tasklib.tasks', 'error', 'SELECT'))
            THEN tasklib._error_line(t.error) END AS error_line,
       t.worker_id,
       CASE WHEN (SELECT pg_catalog.has_column_privilege('tasklib.tasks', 'error', 'SELECT'))
            THEN t.error END AS error,
       CASE WHEN (SELECT pg_catalog.has_column_privilege('tasklib.tasks', 'args', 'SELECT'))
            THEN t.args END AS args
  FROM tasklib.tasks t
 WHERE t.state = 'failed'
   AND (t.run_at IS NOT NULL OR t.completed_at > now() - interval '24 hours')
 ORDER BY failed_at DESC;
COMMENT ON VIEW tasklib.recent_failures IS
    'Failed tasks waiting for a retry, and permanent failures of the last 24 hours, newest first: error_line (a traceback''s last line, else the first line), retry_state (retrying or permanent), attempts so far and the next retry time. error_line, error and args are NULL for a reader who may not read tasks.error / tasks.args (tasklib_monitor).';

CREATE VIEW tasklib.throughput AS
WITH finished AS (
    SELECT date_trunc('minute', t.completed_at) AS minute,
           count(*) FILTER (WHERE t.state = 'completed') AS completed,
           count(*) FILTER (WHERE t.state = 'failed') AS failed,
           count(*) FILTER (WHERE t.state = 'cancelled') AS cancelled
      FROM tasklib.tasks t
     WHERE t.completed_at >= date_trunc('minute', now()) - interval '59 minutes'
     GROUP BY 1
)
SELECT m.minute,
       coalesce(f.completed, 0) AS completed,
       coalesce(f.failed, 0) AS failed,
       coalesce(f.cancelled, 0) AS cancelled
  FROM generate_series(date_trunc('minute', now()) - interval '59 minutes', date_trunc('minute', now()),
                       interval '1 minute') AS m(minute)
  LEFT JOIN finished f ON f.minute = m.minute
 ORDER BY m.minute;
COMMENT ON VIEW tasklib.throughput IS
    'Tasks finished per minute over the last hour (60 rows, the current minute last, zeros included): completed, permanently failed, cancelled.';

-- One row per queue: its flow control and how much of it is in use now. Reads tasklib.queues,
-- the running tasks (lease index) and each queue's due tasks (its range of the claim index).
CREATE VIEW tasklib.queue_flow AS
SELECT q.name AS queue,
       q.paused,
       CASE WHEN q.suspended_until > now() THEN q.suspended_until END AS suspended_until,
       coalesce(r.running, 0) AS running,
       d.due,
       q.concurrency_limit,
       q.key_concurrency_limit,
       q.rate_limit,
       q.rate_period_seconds,
       q.rate_burst,
       CASE WHEN q.rate_limit IS NOT NULL
            THEN tasklib._bucket_level(q.tokens, q.tokens_at, q.rate_limit, q.rate_period_seconds, q.rate_burst) END
           AS tokens_left,
       q.key_rate_limit,
       q.key_rate_period_seconds,
       q.key_rate_burst,
       coalesce(k.suspended_keys, '{}') AS suspended_keys,
       q.updated_at
  FROM tasklib.queues q
  LEFT JOIN (SELECT t.queue, count(*) AS running FROM tasklib.tasks t WHERE t.state = 'running' GROUP BY t.queue) r
    ON r.queue = q.name
 CROSS JOIN LATERAL (SELECT count(*) AS due FROM tasklib.tasks t WHERE t.queue = q.name AND t.run_at <= now()) d
  LEFT JOIN LATERAL (SELECT jsonb_object_agg(qk.key, qk.suspended_until ORDER BY qk.key) AS suspended_keys
                       FROM tasklib.queue_keys qk
                      WHERE qk.queue = q.name AND qk.suspended_until > now()) k ON true
 ORDER BY q.name;
COMMENT ON VIEW tasklib.queue_flow IS
    'One row per queue: paused, suspended until, running tasks against concurrency_limit, due tasks, the limits, the rate bucket''s tokens left now, and the keys suspended now (key -> until).';

COMMIT;
