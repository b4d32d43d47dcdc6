"""Every SQL statement the Python side of TaskLib sends, by name.

Each state change is a call of a tasklib.* SQL function; the texts here only call them, read the
tasks table, or LISTEN. Grouped by who sends them: client, worker, CLI and task types.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from psycopg import sql as psycopg_sql

from tasklib.models import Task
from tasklib.queues import Queue
from tasklib.schedules import Schedule

# -- client: submit, inspect, administer, wait ---------------------------------------------------

# Columns are listed, not *, so a column added by a later migration cannot break a prepared
# statement ("cached plan must not change result type") in a long-running process.
TASK_COLUMNS: tuple[str, ...] = tuple(Task.model_fields)
_COLUMNS = ", ".join(TASK_COLUMNS)

# Named arguments keep these calls valid if tasklib.submit gains parameters; the casts pin the
# parameter types so that psycopg's automatic prepared statements are reused from call to call.
# Options the caller did not set are sent as NULL: the database's defaults decide them.
SUBMIT = (
    "SELECT tasklib.submit(name => %s::text, args => %s::jsonb, delay_seconds => %s::float8,"
    " priority => %s::int4, tags => %s::jsonb, max_retries => %s::int4,"
    " timeout_seconds => %s::float8, queue => %s::text, backoff_base_seconds => %s::float8,"
    " limit_key => %s::text, unique_key => %s::text, on_conflict => %s::text,"
    " unique_for_seconds => %s::float8, unique_args => %s::text[], traceparent => %s::text)"
)
SUBMIT_MANY = "SELECT id FROM tasklib.submit_many(%s::jsonb) AS id"
# Config(durable_submits=False): the same calls, in a transaction whose commit does not wait
# for the WAL flush. set_config(..., true) lasts until the end of the statement's own
# (autocommit) transaction, so the pooled connection keeps its durable default afterwards.
SUBMIT_UNFLUSHED = SUBMIT + " FROM pg_catalog.set_config('synchronous_commit', 'off', true)"
SUBMIT_MANY_UNFLUSHED = (
    "SELECT id FROM pg_catalog.set_config('synchronous_commit', 'off', true),"
    " LATERAL tasklib.submit_many(%s::jsonb) AS id"
)

GET_TASK = f"SELECT {_COLUMNS} FROM tasklib.tasks WHERE id = %s::uuid"
# A running task comes back still running, its cancel_requested_at set: its worker stops it.
CANCEL_TASK = f"SELECT {_COLUMNS} FROM tasklib.cancel(%s::uuid, %s::text)"
CANCEL_TASKS = (
    "SELECT id FROM tasklib.cancel_tasks(name => %s::text, queue => %s::text, tags => %s::jsonb,"
    " reason => %s::text) AS id"
)
RETRY_TASK = f"SELECT {_COLUMNS} FROM tasklib.retry(%s::uuid, %s::float8)"
PURGE = "SELECT tasklib.purge(older_than => %s::interval, batch_size => %s::int4)"

# The Quick Status counts come from the monitoring views, so psql, the CLI and the demo agree:
# the overall row first (name NULL), then one row per task name.
STATUS_COUNTS = (
    "total",
    "pending",
    "running",
    "completed",
    "failed_retrying",
    "failed_permanent",
    "cancelled",
)
STATUS = (
    f"SELECT NULL::text AS name, {', '.join(STATUS_COUNTS)} FROM tasklib.queue_status"
    f" UNION ALL (SELECT name, {', '.join(STATUS_COUNTS)} FROM tasklib.queue_status_by_task"
    " ORDER BY name)"
)

# -- queues: flow control ------------------------------------------------------------------------

QUEUE_COLUMNS: tuple[str, ...] = tuple(Queue.model_fields)
_QUEUE_COLUMNS = ", ".join(QUEUE_COLUMNS)

GET_QUEUE = f"SELECT {_QUEUE_COLUMNS} FROM tasklib.queue_flow WHERE queue = %s::text"
LIST_QUEUES = f"SELECT {_QUEUE_COLUMNS} FROM tasklib.queue_flow ORDER BY queue"

# Each returns the name of the queue it changed: the caller reads the queue_flow row in a
# statement of its own, since a statement does not see what a function it calls changed.
SET_QUEUE_LIMITS = (
    "SELECT name FROM tasklib.set_queue_limits(queue => %s::text,"
    " concurrency_limit => %s::int4, key_concurrency_limit => %s::int4,"
    " rate_limit => %s::int4, rate_period_seconds => %s::float8, rate_burst => %s::int4,"
    " key_rate_limit => %s::int4, key_rate_period_seconds => %s::float8,"
    " key_rate_burst => %s::int4)"
)
PAUSE_QUEUE = "SELECT name FROM tasklib.pause_queue(%s::text)"
RESUME_QUEUE = "SELECT name FROM tasklib.resume_queue(%s::text)"
# Until a time, or for a number of seconds counted by the database's clock.
SUSPEND_QUEUE = (
    "SELECT name FROM tasklib.suspend_queue(queue => %s::text,"
    " until => coalesce(%s::timestamptz, now() + make_interval(secs => %s::float8)),"
    " limit_key => %s::text)"
)

FINISHED_CHANNEL = "tasklib_finished"
LISTEN_FINISHED = f"LISTEN {FINISHED_CHANNEL}"


def list_tasks(
    *,
    tag_groups: Sequence[Sequence[str]] = (),
    states: Sequence[str] = (),
    names: Sequence[str] = (),
    queue: str | None = None,
    limit: int,
    offset: int = 0,
) -> tuple[str, tuple[Any, ...]]:
    """The newest tasks matching every filter given, as (query, parameters).

    ``tag_groups``: each group is a list of JSON objects (as text), any of which the task's
    tags must contain; every group must match. ``states`` and ``names``: any of them.
    """
    # Only the filters given appear in the SQL: "x IS NULL OR ..." would keep a generic plan
    # from using the tags index, and each shape is prepared once per connection anyway.
    conditions: list[str] = []
    params: list[Any] = []
    for group in tag_groups:
        alternatives = [tags for tags in group if tags != "{}"]
        if len(alternatives) < len(group):
            continue  # every task's tags contain {}
        # Any non-empty containment implies non-empty tags; saying so lets the planner use the
        # tag index, which leaves untagged tasks out.
        tests = " OR ".join("tags @> %s::jsonb" for _ in alternatives)
        conditions.append(f"tags <> '{{}}' AND ({tests})")
        params.extend(alternatives)
    if states:
        conditions.append("state = ANY (%s::text[])")
        params.append(list(states))
    if names:
        conditions.append("name = ANY (%s::text[])")
        params.append(list(names))
    if queue is not None:
        conditions.append("queue = %s::text")
        params.append(queue)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    query = (
        f"SELECT {_COLUMNS} FROM tasklib.tasks{where}"
        " ORDER BY created_at DESC, id LIMIT %s::int8 OFFSET %s::int8"
    )
    return query, (*params, limit, offset)


# -- task types ----------------------------------------------------------------------------------

# One statement for every definition: a process registers all its tasks in one round trip, in
# name order, so that workers starting together upsert (and lock) the rows in the same order.
REGISTER_TASK_TYPES = """
SELECT (tasklib.register_task_type(
            name => d->>'name',
            args_schema => d->'args_schema',
            max_retries => (d->>'max_retries')::integer,
            timeout_seconds => (d->>'timeout_seconds')::double precision,
            priority => (d->>'priority')::integer,
            queue => d->>'queue',
            backoff_base_seconds => (d->>'backoff_base_seconds')::double precision,
            limit_key_arg => d->>'limit_key_arg',
            unique_args => CASE WHEN jsonb_typeof(d->'unique_args') = 'array'
                                THEN ARRAY(SELECT jsonb_array_elements_text(d->'unique_args')) END,
            unique_for_seconds => (d->>'unique_for_seconds')::double precision,
            unique_on_conflict => d->>'unique_on_conflict',
            result_ttl_seconds => (d->>'result_ttl_seconds')::double precision
        )).name
  FROM jsonb_array_elements(%s) AS d
"""


# -- cron schedules: the client and the CLI ------------------------------------------------------

SCHEDULE_COLUMNS: tuple[str, ...] = tuple(Schedule.model_fields)
_SCHEDULE_COLUMNS = ", ".join(SCHEDULE_COLUMNS)

GET_SCHEDULE = f"SELECT {_SCHEDULE_COLUMNS} FROM tasklib.schedule_status WHERE name = %s::text"
LIST_SCHEDULES = f"SELECT {_SCHEDULE_COLUMNS} FROM tasklib.schedule_status ORDER BY name"
# Each returns the name of the schedule it changed (no row: unknown name); the caller reads the
# schedule_status row in a statement of its own, which sees what the function changed.
CREATE_SCHEDULE = (
    "SELECT name FROM tasklib.create_schedule(name => %s::text, task_name => %s::text,"
    " cron => %s::text, args => %s::jsonb, timezone => %s::text, catch_up => %s::text)"
)
PAUSE_SCHEDULE = "SELECT name FROM tasklib.pause_schedule(%s::text)"
RESUME_SCHEDULE = "SELECT name FROM tasklib.resume_schedule(%s::text)"
REMOVE_SCHEDULE = "SELECT tasklib.remove_schedule(%s::text)"

# Every declared schedule in one statement, in name order (workers starting together upsert and
# lock the rows in the same order); says which ones the call created or changed.
APPLY_SCHEDULES = """
SELECT s.name, s.updated_at = now() AS changed
  FROM (SELECT d.* FROM jsonb_to_recordset(%s::jsonb)
                AS d(name text, task_name text, cron text, args jsonb, timezone text, catch_up text)
         ORDER BY d.name) AS d,
       LATERAL tasklib.create_schedule(
           name => d.name, task_name => d.task_name, cron => d.cron, args => d.args,
           timezone => d.timezone, catch_up => d.catch_up) AS s
"""
# What a worker that may not apply its declarations compares them with.
STORED_SCHEDULES = (
    "SELECT name, task_name, cron, args, timezone, catch_up FROM tasklib.schedules"
    " WHERE name = ANY (%s::text[])"
)

# -- cron schedules: the worker's scheduler --------------------------------------------------

SCHEDULES_CHANNEL = "tasklib_schedules"
LISTEN_SCHEDULES = f"LISTEN {SCHEDULES_CHANNEL}"
# The database's clock and every schedule that may fire, in one round trip (one row with NULLs
# when there is none): fire times are computed against the database's time, not the worker's.
DUE_SCHEDULES = """
SELECT c.now, s.name, s.cron, s.timezone, s.catch_up, s.starts_after, s.last_fire_at, s.next_fire_at
  FROM (SELECT clock_timestamp() AS now) c
  LEFT JOIN tasklib.schedules s ON NOT s.paused
 ORDER BY s.name
"""
FIRE_SCHEDULE = (
    "SELECT task_id, error FROM tasklib.fire_schedule(%s::text, %s::timestamptz, %s::timestamptz)"
)
SET_SCHEDULE_NEXT_FIRE = "SELECT tasklib.set_schedule_next_fire(%s::text, %s::timestamptz)"


# -- migrations and the embedded server ---------------------------------------------------------

# Serialises migrators. yoyo commits each change itself, so the lock must outlive those
# transactions: it is taken in a transaction kept open on a connection of its own for the
# whole migration (see migrate._migration_lock), transaction-scoped so that no session state
# is left behind a pooler. That transaction sends nothing while it waits, so the server's
# idle_in_transaction_session_timeout (if any) is lifted for it alone.
MIGRATION_LOCK = (
    "SELECT pg_advisory_xact_lock(%s)"
    " FROM pg_catalog.set_config('idle_in_transaction_session_timeout', '0', true)"
)

DATABASE_EXISTS = "SELECT 1 FROM pg_database WHERE datname = %s"


def create_database(name: str) -> psycopg_sql.Composed:
    """CREATE DATABASE with the name quoted as an identifier."""
    return psycopg_sql.SQL("CREATE DATABASE {}").format(psycopg_sql.Identifier(name))


# -- tasklib.testing ---------------------------------------------------------------------------

SERVER_VERSION = "SHOW server_version"
TASKLIB_TABLES = (
    "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname = 'tasklib'"
)


def drop_database(name: str) -> psycopg_sql.Composed:
    """DROP DATABASE, even with sessions still connected to it."""
    return psycopg_sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
        psycopg_sql.Identifier(name)
    )


def truncate(tables: Sequence[str]) -> psycopg_sql.Composed:
    """TRUNCATE the tables named (already quoted, as TASKLIB_TABLES returns them)."""
    return psycopg_sql.SQL("TRUNCATE {}").format(
        psycopg_sql.SQL(", ").join(psycopg_sql.SQL(table) for table in tables)
    )


# -- worker: claim, report, heartbeat, release -------------------------------------------------

# A task id as the text the database sends. The worker only carries ids from one statement to
# the next and uses them as dict keys, so making UUID objects of them would be wasted work.
TaskId = str


def id_array(ids: Iterable[TaskId]) -> str:
    """The ids as one uuid[] literal: one text parameter instead of a list adapted per item."""
    return "{" + ",".join(ids) + "}"


def json_array(texts: Iterable[str]) -> str:
    """JSON texts (each a valid JSON value) as the text of one JSON array."""
    return "[" + ",".join(texts) + "]"


# Only the columns dispatch and its log lines need, so each claimed row costs little to parse.
# The arguments come as JSON text for pydantic to parse and convert in one pass
# (rebuild_args_json); retry_count and max_retries make the log's "attempt n/max".
# Then the claim's lease token (a uuid the worker draws per claim): every task of the call runs
# under it, and complete / fail / heartbeat / release must present it. Last, the task names the
# worker has code for: it takes no other, so a task nobody here can run waits for a worker that
# can, visible in tasklib.queue_status_by_task (live_workers), instead of failing here.
# After the columns Runner.start takes first: the queue, the pickup latency of a first attempt
# (a retry's due time is cleared by the claim) and the traceparent of the submitter's span
# (tracing), for the metrics and the execution span.
# The claim commits without waiting for the WAL flush, which sits on the path from a submit to
# its task's first line (a disk flush per claim: about a quarter of an idle pickup). A server
# crash can lose only a claim of its last moments: the task is pending again, the attempt that
# ran meanwhile is fenced off (its complete finds no lease), and the task runs again, as after
# a worker crash. What the attempt records (complete, fail) is flushed as before, and with it
# every claim before it.
CLAIM = (
    "SELECT id::text, name, args::text, timeout_seconds, retry_count, max_retries, queue,"
    " CASE WHEN retry_count = 0 THEN extract(epoch FROM started_at - scheduled_at)::float8 END,"
    " traceparent"
    " FROM tasklib.claim(%s, %s, %s::text[], %s, %s::uuid, %s::text[]),"
    " pg_catalog.set_config('synchronous_commit', 'off', true)"
)

# How many tasks complete() completed and, only when that falls short of the batch (tasks this
# worker no longer held: lease lost, or recorded by a first send whose answer was lost), which:
# the common answer costs one count, not a row per task.
# The results travel as one JSON array (see json_array); ORDINALITY keeps them beside their ids.
# ids and tokens are parallel uuid[] literals (see id_array): the token of each id's claim.
COMPLETE = """
SELECT count(*), CASE WHEN count(*) < %(n)s::int8 THEN array_agg(c) END
  FROM tasklib.complete(%(worker)s, %(ids)s::uuid[], %(tokens)s::uuid[], ARRAY(
    SELECT r.value
      FROM jsonb_array_elements(%(results)s::jsonb) WITH ORDINALITY AS r(value, position)
     ORDER BY r.position)) AS c
"""

COMPLETE_WITHOUT_RESULTS = """
SELECT count(*), CASE WHEN count(*) < %(n)s::int8 THEN array_agg(c) END
  FROM tasklib.complete(%(worker)s, %(ids)s::uuid[], %(tokens)s::uuid[]) AS c
"""

# One row per failure recorded: the state it left the task in and when its retry is due (NULL
# when the failure is terminal). A missing id was no longer held by this worker.
FAIL = (
    "SELECT id::text, state, next_retry_at"
    " FROM tasklib.fail(%s, %s::uuid[], %s::uuid[], %s::text[], %s::boolean[])"
)

HEARTBEAT = "SELECT h::text FROM tasklib.heartbeat(%s, %s::uuid[], %s::uuid[], %s) AS h"

# The latest progress reports of running tasks (tasklib.report_progress from task code), sent
# with a heartbeat round: parallel arrays of ids, their claims' lease tokens and the JSON texts.
REPORT_PROGRESS = (
    "SELECT count(*) FILTER (WHERE tasklib.report_progress(%s, u.id, u.token, u.progress))"
    " FROM unnest(%s::uuid[], %s::uuid[], %s::jsonb[]) AS u(id, token, progress)"
)

# The tasks running under the worker with one of the claim tokens given (only those ids, unless
# ids is NULL): graceful shutdown, and the tasks of a claim whose answer was lost with the
# connection (they never started here, so they go straight back to pending).
RELEASE = "SELECT count(*) FROM tasklib.release(%s, %s::uuid[], %s::uuid[])"

# A task that raised RateLimited goes back to pending, due after its retry_after, without
# spending a retry; its key (or queue) is suspended until then. Parallel arrays like FAIL's; the
# scopes array is NULL when no task named one. Returns the ids handed back (a missing id was no
# longer held by this worker).
RATE_LIMITED = (
    "SELECT r::text FROM tasklib.rate_limited(%s, %s::uuid[], %s::uuid[], %s::float8[],"
    " %s::text[]) AS r"
)

# Seconds until a claim of these queues (NULL: all) could return a task that flow control lets
# start: 0 when one could now, NULL when none is scheduled.
# What an idle worker asks instead of claiming: seconds until a claim may find work, the
# earliest of seconds_until_claimable and the first lease to expire (a crashed worker's tasks,
# which only a claim recovers; negative once passed). Reads only; NULL when nothing is foreseen.
IDLE_CHECK = """
SELECT least(tasklib.seconds_until_claimable(%(queues)s::text[]),
             (SELECT extract(epoch FROM min(t.locked_until) - now())::float8
                FROM tasklib.tasks t WHERE t.state = 'running'))
"""

# A listening worker about to wait: from now on a submit to these queues (NULL: all) sends
# NOTIFY tasklib_submitted, which it does only while a worker waits. True: claim once more, then
# wait; false: a submit is in flight that may not notify, so look again soon instead.
# The flag needs no WAL flush before the worker goes on: a commit is visible at once, and a
# server that loses it in a crash loses this worker's LISTEN too, after which it looks again.
WAIT_FOR_TASKS = (
    "SELECT tasklib.wait_for_tasks(%s::text[])"
    " FROM pg_catalog.set_config('synchronous_commit', 'off', true)"
)

LISTEN = "LISTEN tasklib_submitted"
# submit of a delayed task notifies here instead: only a worker that sends no query while idle
# (quiet_idle) listens, and asks when it falls due.
DELAYED_CHANNEL = "tasklib_delayed"
LISTEN_DELAYED = f"LISTEN {DELAYED_CHANNEL}"
# cancel() of a running task notifies its id here; every worker hears it, the one that runs the
# task stops it. CANCEL_REQUESTS is the same news by polling (no LISTEN, or missed meanwhile),
# with who asked and why (the worker role reads tasks).
CANCEL_CHANNEL = "tasklib_cancel"
LISTEN_CANCEL = f"LISTEN {CANCEL_CHANNEL}"
CANCEL_REQUESTS = (
    "SELECT t.id::text, t.cancelled_by, t.cancel_reason"
    " FROM tasklib.cancel_requests(%s) AS r(id) JOIN tasklib.tasks t ON t.id = r.id"
)

# tasklib.workers shows operators every live worker, idle ones included.
# The second parameter is the worker's registration, a uuid drawn once per TaskWorker: the row
# belongs to it. Both answer NULL when another live registration holds the name.
# The last two: the task names the worker runs, and its lease length, the silence after which
# another process may take its name over (a crashed worker's name is free once its tasks are).
ANNOUNCE = (
    "SELECT tasklib.worker_heartbeat(%s, %s::uuid, %s::text[], %s, %s::jsonb, %s::text[],"
    " alive_seconds => %s)"
)

SEEN = "SELECT tasklib.worker_heartbeat(%s, %s::uuid, alive_seconds => %s)"

UNREGISTER = "SELECT tasklib.unregister_worker(%s, %s::uuid)"


# -- health: tasklib doctor and the metrics endpoint (the health change's views) -------------

# One statement per scrape of the queue gauges: tasklib.queue_depth (one row per queue with
# due or running tasks; a row of NULLs when there is none) and the live workers.
QUEUE_DEPTH = """
SELECT q.queue, q.due, q.oldest_due_seconds, q.running, q.scheduled,
       (SELECT count(*) FROM tasklib.health_workers w WHERE NOT w.stale) AS workers_alive
  FROM (SELECT NULL::text AS queue) z
  LEFT JOIN tasklib.queue_depth q ON true
"""

HEALTH_TASKS_TABLE = "SELECT * FROM tasklib.health_tasks_table"
HEALTH_SESSIONS = "SELECT * FROM tasklib.health_sessions"
# Sessions are judged from health_sessions; the other holders (prepared transactions,
# replication slots) from here.
HEALTH_XMIN_HOLDERS = "SELECT * FROM tasklib.health_xmin_holders WHERE kind <> 'session'"
HEALTH_TASKS_INDEXES = "SELECT * FROM tasklib.health_tasks_indexes"
HEALTH_WORKERS = "SELECT * FROM tasklib.health_workers"
HEALTH_EXPIRED_LEASES = "SELECT * FROM tasklib.health_expired_leases"
