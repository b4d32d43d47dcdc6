"""Every SQL statement the dashboard sends that tasklib.db.statements does not already hold.

The pages read the monitoring views (so psql and the dashboard agree) and the tasks table
through its primary key; actions call the SQL API's functions. The task list pages by id: a
task id begins with its submit time in milliseconds (UUIDv7 layout, see tasklib._uuid_v7), so
"newest first" is a backward walk of the primary key, and a time range is a range of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from tasklib.db.statements import STATUS_COUNTS, TASK_COLUMNS

_COLUMNS = ", ".join(f"t.{column}" for column in TASK_COLUMNS)

# -- overview ------------------------------------------------------------------------------------

# One scan of tasks for every count on the overview: the per-name rows of queue_status_by_task,
# whose sums are queue_status's counts (the two views count with the same filters), so the
# page does not scan the table twice for the total row.
COUNTS_BY_NAME = (
    f"SELECT name, {', '.join(STATUS_COUNTS)}, due,"
    " extract(epoch FROM oldest_due_age)::float8 AS oldest_due_seconds"
    " FROM tasklib.queue_status_by_task"
)
THROUGHPUT = "SELECT minute, completed, failed, cancelled FROM tasklib.throughput"
RECENT_FAILURES = (
    "SELECT id, name, queue, retry_state, failed_at, attempts, max_attempts, next_retry_at,"
    " error_line, worker_id FROM tasklib.recent_failures LIMIT %s::int8"
)

# -- workers, schedules --------------------------------------------------------------------------

WORKERS = (
    "SELECT worker_id, locked_tasks, earliest_lock_expires, expired_leases, last_heartbeat,"
    " extract(epoch FROM since_last_heartbeat)::float8 AS seconds_since_heartbeat,"
    " completed_last_hour, failed_last_hour, concurrency, queues, started_at, info"
    " FROM tasklib.worker_health"
)
# The running tasks of every worker, through the lease index (state = 'running' only).
RUNNING_TASKS = (
    "SELECT t.id, t.name, t.queue, t.worker_id, t.started_at, t.locked_until"
    " FROM tasklib.tasks t WHERE t.state = 'running'"
    " ORDER BY t.worker_id, t.started_at LIMIT %s::int8"
)
# Cron schedules arrive with the schedules migration; until then the page is not shown.
HAS_SCHEDULES = "SELECT to_regclass('tasklib.schedule_status') IS NOT NULL"
SCHEDULES = (
    "SELECT name, task_name, cron, timezone, paused, next_fire_at, last_fire_at, last_task_id,"
    " last_task_state, last_fire_refused FROM tasklib.schedule_status"
)

# -- task pages ----------------------------------------------------------------------------------

# Names for the filter's suggestions: the registered types (a small table), not a scan of tasks.
TASK_NAMES = "SELECT name FROM tasklib.task_types ORDER BY name LIMIT 500"
# Who cancelled a task and why: columns the Task model does not carry.
CANCELLATION = (
    "SELECT cancel_requested_at, cancelled_by, cancel_reason FROM tasklib.tasks WHERE id = %s::uuid"
)
CANCEL_WITH_REASON = "SELECT id FROM tasklib.cancel(id => %s::uuid, reason => %s::text)"


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """What the task list shows: every condition given must hold.

    ``state`` is a column of queue_status (``retrying`` and ``failed`` split the failed state
    as it does); ``tag_groups`` are lists of JSON objects (as text), any of which the task's
    tags must contain, one group per key=value given; ``since``/``until`` bound the id, and so
    the submit time.
    """

    state: str | None = None
    name: str | None = None
    queue: str | None = None
    tag_groups: tuple[tuple[str, ...], ...] = ()
    since: UUID | None = None
    until: UUID | None = None

    def is_empty(self) -> bool:
        return not (
            self.state or self.name or self.queue or self.tag_groups or self.since or self.until
        )


# The SQL condition of each state of the filter: the terminal column says which failures are
# final (the one rule, tasklib.is_terminal), as queue_status counts them.
STATE_CONDITIONS = {
    "pending": "t.state = 'pending'",
    "running": "t.state = 'running'",
    "retrying": "t.state = 'failed' AND NOT t.terminal",
    "failed": "t.state = 'failed' AND t.terminal",
    "completed": "t.state = 'completed'",
    "cancelled": "t.state = 'cancelled'",
}


def _where(task_filter: TaskFilter) -> tuple[list[str], list[Any]]:
    # Only the conditions given appear, as in statements.list_tasks, so that each shape gets a
    # plan of its own (the tags index is used only when the query says tags <> '{}').
    conditions: list[str] = []
    params: list[Any] = []
    if task_filter.state is not None:
        conditions.append(STATE_CONDITIONS[task_filter.state])
    if task_filter.name is not None:
        conditions.append("t.name = %s::text")
        params.append(task_filter.name)
    if task_filter.queue is not None:
        conditions.append("t.queue = %s::text")
        params.append(task_filter.queue)
    for group in task_filter.tag_groups:
        tests = " OR ".join("t.tags @> %s::jsonb" for _ in group)
        conditions.append(f"t.tags <> '{{}}' AND ({tests})")
        params.extend(group)
    if task_filter.since is not None:
        conditions.append("t.id >= %s::uuid")
        params.append(task_filter.since)
    if task_filter.until is not None:
        conditions.append("t.id < %s::uuid")
        params.append(task_filter.until)
    return conditions, params


def task_page(
    task_filter: TaskFilter, *, before: UUID | None, after: UUID | None, limit: int
) -> tuple[str, tuple[Any, ...]]:
    """One page of the task list as (query, parameters): ``limit`` rows of the task columns.

    Newest first below ``before`` (the first page without it); with ``after``, the page just
    above it, oldest first (the caller reverses it). Either way a walk of the primary key that
    stops after ``limit`` matches: no sort, no offset.
    """
    conditions, params = _where(task_filter)
    if before is not None:
        conditions.append("t.id < %s::uuid")
        params.append(before)
    order = "DESC"
    if after is not None:
        conditions.append("t.id > %s::uuid")
        params.append(after)
        order = "ASC"
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    query = f"SELECT {_COLUMNS} FROM tasklib.tasks t{where} ORDER BY t.id {order} LIMIT %s::int8"
    return query, (*params, limit)


def bulk_retry(task_filter: TaskFilter, limit: int) -> tuple[str, tuple[Any, ...]]:
    """Retry (tasklib.retry) up to ``limit`` finished failures or cancellations the filter shows."""
    conditions, params = _where(task_filter)
    conditions.append("t.terminal AND t.state IN ('failed', 'cancelled')")
    return (
        "SELECT r.id FROM (SELECT t.id FROM tasklib.tasks t"
        f" WHERE {' AND '.join(conditions)} ORDER BY t.id LIMIT %s::int8) s,"
        " LATERAL tasklib.retry(s.id) r",
        (*params, limit),
    )


def bulk_cancel(
    task_filter: TaskFilter, reason: str | None, limit: int
) -> tuple[str, tuple[Any, ...]]:
    """Cancel (tasklib.cancel, with the reason) up to ``limit`` unfinished tasks the filter shows.

    tasklib.cancel_tasks filters by name, queue and tags only; calling cancel per task keeps
    every condition of the list (state, time range) exactly as the operator saw it.
    """
    conditions, params = _where(task_filter)
    conditions.append("NOT t.terminal")
    return (
        "SELECT c.id FROM (SELECT t.id FROM tasklib.tasks t"
        f" WHERE {' AND '.join(conditions)} ORDER BY t.id LIMIT %s::int8) s,"
        " LATERAL tasklib.cancel(id => s.id, reason => %s::text) c",
        (*params, limit, reason),
    )


def tag_groups(candidates: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    """Tag groups as TaskFilter keeps them (a group that matches every task is dropped)."""
    return tuple(tuple(group) for group in candidates if "{}" not in group)
