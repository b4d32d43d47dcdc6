"""What each page shows, read through the AsyncClient: its calls, and the dashboard's statements.

Every read is one statement; a page that needs several sends them concurrently on the
client's pool, so it takes as long as its slowest read rather than their sum.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from tasklib.client import AsyncClient
from tasklib.client._core import Statement
from tasklib.dashboard._charts import Minute
from tasklib.dashboard._filters import ListQuery
from tasklib.db import dashboard as _statements
from tasklib.db.statements import STATUS_COUNTS
from tasklib.errors import TaskLibError, translate
from tasklib.models import Task
from tasklib.queues import Queue

Row = dict[str, Any]
RECENT_FAILURES_SHOWN = 10
RUNNING_TASKS_SHOWN = 500
INSUFFICIENT_PRIVILEGE = "42501"


@dataclass(frozen=True)
class Overview:
    """The overview page: counts overall and per task name, queues, the last hour, failures."""

    totals: dict[str, int]
    due: int
    oldest_due_seconds: float | None
    by_name: list[Row]
    queues: list[Queue]
    minutes: list[Minute]
    failures: list[Row]

    @property
    def finished_last_hour(self) -> int:
        return sum(m.completed + m.failed for m in self.minutes)

    @property
    def failure_rate_last_hour(self) -> float | None:
        finished = self.finished_last_hour
        return sum(m.failed for m in self.minutes) / finished if finished else None


@dataclass(frozen=True)
class TaskPage:
    """One page of the task list, newest first, and whether there are pages on either side."""

    tasks: list[Task]
    has_newer: bool
    has_older: bool


@dataclass(frozen=True)
class TaskDetail:
    task: Task
    cancellation: Row


@dataclass(frozen=True)
class Worker:
    """A row of worker_health and the tasks it runs now."""

    row: Row
    running: list[Row] = field(default_factory=list)


class DashboardData:
    """The dashboard's reads and actions on one AsyncClient (and its pool)."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    async def rows(self, query: str, params: tuple[Any, ...] = ()) -> list[Row]:
        """The rows of one statement, as dicts keyed by column name."""
        pool = await self.client.pool()
        try:
            async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
                await cursor.execute(query, params)
                return await cursor.fetchall()
        except psycopg.Error as error:
            raise translate(error) from error

    # -- pages ---------------------------------------------------------------------------------

    async def overview(self) -> Overview:
        by_name, minutes, queues, failures = await asyncio.gather(
            self.rows(_statements.COUNTS_BY_NAME),
            self.rows(_statements.THROUGHPUT),
            self.client.list_queues(),
            self.rows(_statements.RECENT_FAILURES, (RECENT_FAILURES_SHOWN,)),
        )
        totals = {column: sum(int(row[column]) for row in by_name) for column in STATUS_COUNTS}
        ages = [row["oldest_due_seconds"] for row in by_name if row["oldest_due_seconds"]]
        return Overview(
            totals=totals,
            due=sum(int(row["due"]) for row in by_name),
            oldest_due_seconds=max(ages) if ages else None,
            by_name=by_name,
            queues=queues,
            minutes=[Minute(**row) for row in minutes],
            failures=failures,
        )

    async def task_page(self, query: ListQuery) -> TaskPage:
        sql, params = _statements.task_page(
            query.task_filter, before=query.before, after=query.after, limit=query.limit + 1
        )
        found = await self.client.fetch_tasks(Statement(sql, params))
        more = len(found) > query.limit
        found = found[: query.limit]
        if query.after is not None:
            return TaskPage(list(reversed(found)), has_newer=more, has_older=True)
        return TaskPage(found, has_newer=query.before is not None, has_older=more)

    async def task(self, task_id: UUID) -> TaskDetail:
        task, cancellation = await asyncio.gather(
            self.client.get_task(task_id), self.rows(_statements.CANCELLATION, (task_id,))
        )
        return TaskDetail(task, cancellation[0] if cancellation else {})

    async def workers(self) -> list[Worker]:
        rows, running = await asyncio.gather(self.rows(_statements.WORKERS), self._running_tasks())
        by_worker: dict[str, list[Row]] = {}
        for task in running:
            by_worker.setdefault(task["worker_id"], []).append(task)
        return [Worker(row, by_worker.get(row["worker_id"], [])) for row in rows]

    async def _running_tasks(self) -> list[Row]:
        # A tasklib_monitor login reads the views, not the tasks table: it sees the workers
        # without the list of their tasks.
        try:
            return await self.rows(_statements.RUNNING_TASKS, (RUNNING_TASKS_SHOWN,))
        except TaskLibError as error:
            if str(error).startswith(f"database error {INSUFFICIENT_PRIVILEGE}"):
                return []
            raise

    async def queues(self) -> list[Queue]:
        return await self.client.list_queues()

    async def has_schedules(self) -> bool:
        return bool((await self.rows(_statements.HAS_SCHEDULES))[0]["?column?"])

    async def schedules(self) -> list[Row]:
        return await self.rows(_statements.SCHEDULES)

    async def task_names(self) -> list[str]:
        return [row["name"] for row in await self.rows(_statements.TASK_NAMES)]

    # -- actions -------------------------------------------------------------------------------

    async def retry(self, task_id: UUID) -> Task:
        return await self.client.retry_task(task_id)

    async def cancel(self, task_id: UUID, reason: str | None) -> None:
        await self.rows(_statements.CANCEL_WITH_REASON, (task_id, reason))

    async def bulk(self, action: str, query: ListQuery, reason: str | None, limit: int) -> int:
        if action == "retry":
            sql, params = _statements.bulk_retry(query.task_filter, limit)
        else:
            sql, params = _statements.bulk_cancel(query.task_filter, reason, limit)
        return len(await self.rows(sql, params))

    async def pause(self, queue: str) -> Queue:
        return await self.client.pause_queue(queue)

    async def resume(self, queue: str) -> Queue:
        return await self.client.resume_queue(queue)
