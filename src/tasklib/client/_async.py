"""AsyncClient: the asyncio client, one pool of its own on its event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from psycopg.rows import tuple_row
from psycopg_pool import AsyncConnectionPool

from tasklib import tracing
from tasklib.client import _core
from tasklib.client._core import ClientCore, Row, Statement
from tasklib.client._listener import AsyncFinishedListener
from tasklib.config import Config
from tasklib.db import connections, statements
from tasklib.errors import ConfigurationError, translate
from tasklib.models import Task, TaskState, is_terminal
from tasklib.queues import Queue, RateLimit
from tasklib.registry import OnConflict, PreparedTask, TaskDefinition
from tasklib.schedules import CatchUp, Schedule, ScheduleDefinition, declared_schedules
from tasklib.task_types import registration

R = TypeVar("R")
AsyncConnection = psycopg.AsyncConnection[Any]


class AsyncClient:
    """Submit, inspect and wait for tasks from asyncio code (FastAPI, aiohttp, ...).

    Owns a connection pool, opened on first use in the event loop that uses it (an asyncio
    pool belongs to one loop); use it as an async context manager or ``await aclose()``.
    ``connection=`` on a call runs it on the caller's AsyncConnection, in its transaction.
    """

    def __init__(self, config: Config | None = None) -> None:
        self._core = ClientCore(config if config is not None else Config())
        self._core.config.require_database_url()
        self._pool: AsyncConnectionPool[AsyncConnection] | None = None
        self._opening: asyncio.Future[AsyncConnectionPool[AsyncConnection]] | None = None
        self._listener = AsyncFinishedListener(self._core.config)

    @property
    def config(self) -> Config:
        """The Config this client was made with."""
        return self._core.config

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pool and the listener; a later call opens them again."""
        await self._listener.close()
        pool, self._pool, self._opening = self._pool, None, None
        if pool is not None:
            await pool.close(timeout=5.0)

    # -- submit ----------------------------------------------------------------------------

    async def submit_task(
        self,
        fn: TaskDefinition[..., Any],
        /,
        *,
        delay_seconds: float = 0,
        priority: int | None = None,
        tags: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
        queue: str | None = None,
        timeout_seconds: float | None = None,
        backoff_base_seconds: float | None = None,
        limit_key: str | None = None,
        unique_key: str | None = None,
        on_conflict: OnConflict | None = None,
        unique_for_seconds: float | None = None,
        connection: AsyncConnection | None = None,
        **kwargs: Any,
    ) -> UUID:
        """Validate ``kwargs`` against ``fn``'s signature and queue one run; return its id."""
        call = {
            "delay_seconds": delay_seconds,
            "priority": priority,
            "tags": tags,
            "max_retries": max_retries,
            "queue": queue,
            "timeout_seconds": timeout_seconds,
            "backoff_base_seconds": backoff_base_seconds,
            "limit_key": limit_key,
            "unique_key": unique_key,
            "on_conflict": on_conflict,
            "unique_for_seconds": unique_for_seconds,
        }
        with tracing.submit_span(getattr(fn, "name", "?"), queue) as traceparent:
            if traceparent is not None:
                call["traceparent"] = traceparent
            statement = self._core.submit(fn, kwargs, call, own_connection=connection is None)
            value: UUID = _core.first_value(await self._one(statement, connection))
        return value

    async def submit_many(
        self,
        tasks: Iterable[PreparedTask[Any]],
        /,
        *,
        delay_seconds: float | None = None,
        priority: int | None = None,
        tags: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
        queue: str | None = None,
        timeout_seconds: float | None = None,
        backoff_base_seconds: float | None = None,
        limit_key: str | None = None,
        on_conflict: OnConflict | None = None,
        unique_for_seconds: float | None = None,
        connection: AsyncConnection | None = None,
    ) -> list[UUID]:
        """Queue many prepared calls in one round trip and one transaction; ids in input order."""
        call = {
            "delay_seconds": delay_seconds,
            "priority": priority,
            "tags": tags,
            "max_retries": max_retries,
            "queue": queue,
            "timeout_seconds": timeout_seconds,
            "backoff_base_seconds": backoff_base_seconds,
            "limit_key": limit_key,
            "on_conflict": on_conflict,
            "unique_for_seconds": unique_for_seconds,
        }
        with tracing.submit_span("many", queue) as traceparent:
            if traceparent is not None:
                call["traceparent"] = traceparent
            statement = self._core.submit_many(tasks, call, own_connection=connection is None)
            if statement is None:
                return []
            return [row[0] for row in await self._all(statement, connection)]

    # -- inspect and administer ------------------------------------------------------------

    async def get_task(
        self, task_id: UUID | str, *, connection: AsyncConnection | None = None
    ) -> Task:
        """The task with that id, every column; TaskNotFoundError if there is none."""
        statement, task_uuid = self._core.get(task_id)
        return _core.task_or_not_found(await self._one(statement, connection), task_uuid)

    async def list_tasks(
        self,
        *,
        tags: Mapping[str, Any] | None = None,
        state: TaskState | Sequence[TaskState] | None = None,
        name: str | TaskDefinition[..., Any] | None = None,
        queue: str | None = None,
        limit: int = 100,
        offset: int = 0,
        connection: AsyncConnection | None = None,
    ) -> list[Task]:
        """Tasks matching every filter given, newest first (see ``tasklib.list_tasks``)."""
        statement = self._core.list(tags, state, name, queue, limit, offset)
        return await self.fetch_tasks(statement, connection=connection)

    async def fetch_tasks(
        self, statement: Statement, *, connection: AsyncConnection | None = None
    ) -> list[Task]:
        """Tasks read by a statement of tasklib.db.statements that selects the task columns."""
        return [_core.task_from_row(row) for row in await self._all(statement, connection)]

    async def cancel_task(
        self,
        task_id: UUID | str,
        *,
        reason: str | None = None,
        connection: AsyncConnection | None = None,
    ) -> Task:
        """Cancel an unfinished task; return its row (see ``tasklib.cancel_task``)."""
        row = await self._one(self._core.cancel(task_id, reason), connection)
        return _core.task_from_row(_core.required(row))

    async def cancel_tasks(
        self,
        *,
        name: str | TaskDefinition[..., Any] | None = None,
        queue: str | None = None,
        tags: Mapping[str, Any] | None = None,
        reason: str | None = None,
        connection: AsyncConnection | None = None,
    ) -> list[UUID]:
        """Cancel the unfinished tasks matching every filter (see ``tasklib.cancel_tasks``)."""
        statement = self._core.cancel_many(name, queue, tags, reason)
        return [row[0] for row in await self._all(statement, connection)]

    async def retry_task(
        self,
        task_id: UUID | str,
        *,
        delay_seconds: float = 0,
        connection: AsyncConnection | None = None,
    ) -> Task:
        """Queue a finished (failed or cancelled) task again; return its row."""
        row = await self._one(self._core.retry(task_id, delay_seconds), connection)
        return _core.task_from_row(_core.required(row))

    async def status(self, *, connection: AsyncConnection | None = None) -> dict[str, Any]:
        """Counts per state overall and per task name, from the monitoring views."""
        rows = await self._all(Statement(statements.STATUS, ()), connection)
        return _core.status_from_rows(rows)

    async def purge(
        self,
        older_than: timedelta,
        *,
        batch_size: int = 10000,
        connection: AsyncConnection | None = None,
    ) -> int:
        """Delete finished tasks older than ``older_than``, a batch per transaction; the count."""
        deleted = 0
        statement = Statement(statements.PURGE, (older_than, batch_size))
        while True:
            batch = int(_core.first_value(await self._one(statement, connection)))
            deleted += batch
            if batch == 0:
                return deleted

    async def register_task_types(
        self,
        definitions: Iterable[TaskDefinition[..., Any]] | None = None,
        *,
        connection: AsyncConnection | None = None,
    ) -> list[str]:
        """Record task definitions (all registered ones when None) in tasklib.task_types."""
        params = registration(definitions, config=self.config)
        if params is None:
            return []
        statement = Statement(statements.REGISTER_TASK_TYPES, params)
        return [str(row[0]) for row in await self._all(statement, connection)]

    # -- queues ----------------------------------------------------------------------------

    async def set_queue_limits(
        self,
        queue: str,
        *,
        concurrency: int | None = None,
        key_concurrency: int | None = None,
        rate: RateLimit | None = None,
        key_rate: RateLimit | None = None,
        connection: AsyncConnection | None = None,
    ) -> Queue:
        """Replace every limit of the queue (one left None is lifted); return the queue."""
        statement = self._core.set_queue_limits(queue, concurrency, key_concurrency, rate, key_rate)
        return await self._change_queue(statement, connection)

    async def pause_queue(self, queue: str, *, connection: AsyncConnection | None = None) -> Queue:
        """Stop starting the queue's tasks (running ones finish); return the queue."""
        return await self._change_queue(self._core.pause_queue(queue), connection)

    async def resume_queue(self, queue: str, *, connection: AsyncConnection | None = None) -> Queue:
        """Lift the queue's pause and every suspension of it and its keys; return the queue."""
        return await self._change_queue(self._core.resume_queue(queue), connection)

    async def suspend_queue(
        self,
        queue: str,
        *,
        seconds: float | None = None,
        until: datetime | None = None,
        key: str | None = None,
        connection: AsyncConnection | None = None,
    ) -> Queue:
        """Start no task of the queue (of one limit key, with ``key``) for a while."""
        statement = self._core.suspend_queue(queue, seconds, until, key)
        return await self._change_queue(statement, connection)

    async def get_queue(self, queue: str, *, connection: AsyncConnection | None = None) -> Queue:
        """The queue's limits, pause, suspensions and load; QueueNotFoundError if unknown."""
        return _core.queue_or_not_found(
            await self._one(self._core.get_queue(queue), connection), queue
        )

    async def list_queues(self, *, connection: AsyncConnection | None = None) -> list[Queue]:
        """Every queue, by name."""
        rows = await self._all(self._core.list_queues(), connection)
        return [_core.queue_from_row(row) for row in rows]

    async def _change_queue(
        self, statement: Statement, connection: AsyncConnection | None
    ) -> Queue:
        name = str(_core.first_value(await self._one(statement, connection)))
        return await self.get_queue(name, connection=connection)

    # -- cron schedules --------------------------------------------------------------------

    async def create_schedule(
        self,
        task: TaskDefinition[..., Any] | str,
        /,
        *,
        cron: str,
        name: str | None = None,
        args: Mapping[str, Any] | None = None,
        timezone: str = "UTC",
        catch_up: CatchUp = "one",
        connection: AsyncConnection | None = None,
    ) -> Schedule:
        """Create a schedule, or replace the one of that name; return it (see docs/cron.md)."""
        statement = self._core.create_schedule(task, cron, name, args, timezone, catch_up)
        return await self._change_schedule(statement, connection)

    async def apply_schedules(
        self,
        definitions: Iterable[ScheduleDefinition] | None = None,
        *,
        connection: AsyncConnection | None = None,
    ) -> list[str]:
        """Create or replace each declared schedule (all of this process's when None); return
        the names of those this call created or changed."""
        chosen = declared_schedules() if definitions is None else definitions
        statement = self._core.apply_schedules(chosen)
        if statement is None:
            return []
        return [str(name) for name, changed in await self._all(statement, connection) if changed]

    async def get_schedule(
        self, name: str, *, connection: AsyncConnection | None = None
    ) -> Schedule:
        """The schedule of that name; ScheduleNotFoundError if there is none."""
        row = await self._one(self._core.get_schedule(name), connection)
        return _core.schedule_or_not_found(row, name)

    async def list_schedules(self, *, connection: AsyncConnection | None = None) -> list[Schedule]:
        """Every schedule, by name."""
        rows = await self._all(self._core.list_schedules(), connection)
        return [_core.schedule_from_row(row) for row in rows]

    async def pause_schedule(
        self, name: str, *, connection: AsyncConnection | None = None
    ) -> Schedule:
        """Stop the schedule from firing until ``resume_schedule``; return it."""
        return await self._change_schedule(self._core.pause_schedule(name), connection, name)

    async def resume_schedule(
        self, name: str, *, connection: AsyncConnection | None = None
    ) -> Schedule:
        """Let a paused schedule fire again from its next fire time; return it."""
        return await self._change_schedule(self._core.resume_schedule(name), connection, name)

    async def remove_schedule(
        self, name: str, *, connection: AsyncConnection | None = None
    ) -> None:
        """Delete the schedule and its fire history (its tasks stay)."""
        _core.changed_schedule(await self._one(self._core.remove_schedule(name), connection), name)

    async def _change_schedule(
        self, statement: Statement, connection: AsyncConnection | None, name: str | None = None
    ) -> Schedule:
        row = await self._one(statement, connection)
        changed = _core.changed_schedule(
            row, name if name is not None else str(statement.params[0])
        )
        return await self.get_schedule(changed, connection=connection)

    # -- wait ------------------------------------------------------------------------------

    # A timeout parameter (ruff ASYNC109) because waiting for a task is not only an asyncio
    # matter: the sync forms take the same argument, and the deadline also bounds reconnects.
    async def wait_for_task(
        self,
        task_id: UUID | str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> Task:
        """Wait until the task is terminal and return it (see ``tasklib.wait_for_task``)."""
        statement, task_uuid = self._core.get(task_id)
        end = _core.deadline(timeout)
        woken = await self._listener.subscribe(task_uuid)
        try:
            # Read only once listening, so a finish between the two is not missed.
            task = _core.task_or_not_found(await self._one(statement, None), task_uuid)
            while not is_terminal(task):
                left = _core.remaining(end, task_uuid, timeout)
                recheck = self._listener.recheck_seconds()
                wait = recheck if left is None else min(left, recheck)
                try:
                    async with asyncio.timeout(wait):
                        await woken.wait()
                except TimeoutError:
                    pass
                woken.clear()
                task = _core.task_or_not_found(await self._one(statement, None), task_uuid)
            return task
        finally:
            self._listener.unsubscribe(task_uuid, woken)

    async def wait_for_result(
        self,
        fn: TaskDefinition[..., R],
        task_id: UUID | str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> R:
        """Wait for the task, then return its result parsed into ``fn``'s return type."""
        _core.definition_of(fn)
        return _core.result_of(fn, await self.wait_for_task(task_id, timeout=timeout))

    # -- one statement on the pool or the caller's connection ------------------------------

    async def _one(self, statement: Statement, connection: AsyncConnection | None) -> Row | None:
        try:
            if connection is not None:
                return await _fetch_one(_caller_connection(connection), statement, caller=True)
            pool = await self.pool()
            async with pool.connection() as conn:
                return await _fetch_one(conn, statement)
        except psycopg.Error as error:
            raise translate(error) from error

    async def _all(self, statement: Statement, connection: AsyncConnection | None) -> list[Row]:
        try:
            if connection is not None:
                return await _execute(_caller_connection(connection), statement, caller=True)
            pool = await self.pool()
            async with pool.connection() as conn:
                return await _execute(conn, statement)
        except psycopg.Error as error:
            raise translate(error) from error

    async def pool(self) -> AsyncConnectionPool[AsyncConnection]:
        """The client's pool, opened on first use (concurrent first calls share one opening)."""
        if self._pool is not None:
            return self._pool
        if self._opening is None or (self._opening.done() and self._opening.exception()):
            self._opening = asyncio.get_running_loop().create_future()
            opening = self._opening
            try:
                pool = await connections.open_async_pool(self.config)
            except BaseException as error:
                if isinstance(error, Exception):
                    opening.set_exception(error)
                    opening.exception()  # retrieved: there may be no other waiter
                else:
                    self._opening = None
                    opening.cancel()
                raise
            self._pool = pool
            opening.set_result(pool)
            return pool
        return await asyncio.shield(self._opening)


# A caller's connection may have any row factory (dict_row, class_row...): ask for tuples.
# It may also load json as text: caller=True asks for psycopg's own loaders (see _sync).
async def _execute(
    conn: AsyncConnection, statement: Statement, *, caller: bool = False
) -> list[Row]:
    async with conn.cursor(row_factory=tuple_row) as cursor:
        if caller:
            _core.default_json_loaders(cursor.adapters)
        await cursor.execute(statement.query, statement.params)
        return await cursor.fetchall()


async def _fetch_one(
    conn: AsyncConnection, statement: Statement, *, caller: bool = False
) -> Row | None:
    async with conn.cursor(row_factory=tuple_row) as cursor:
        if caller:
            _core.default_json_loaders(cursor.adapters)
        await cursor.execute(statement.query, statement.params)
        return await cursor.fetchone()


def _caller_connection(connection: object) -> AsyncConnection:
    if isinstance(connection, psycopg.AsyncConnection):
        return connection
    raise ConfigurationError(
        f"connection= of an async call must be a psycopg.AsyncConnection, got "
        f"{type(connection).__name__} (use the *_sync form with a Connection)"
    )
