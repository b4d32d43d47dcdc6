"""Client: the synchronous client, one pool of its own, every call one statement."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool

from tasklib import tracing
from tasklib.client import _core
from tasklib.client._core import ClientCore, Row, Statement
from tasklib.client._listener import FinishedListener
from tasklib.config import Config
from tasklib.db import connections, statements
from tasklib.errors import ConfigurationError, translate
from tasklib.models import Task, TaskState, is_terminal
from tasklib.queues import Queue, RateLimit
from tasklib.registry import OnConflict, PreparedTask, TaskDefinition
from tasklib.schedules import CatchUp, Schedule, ScheduleDefinition, declared_schedules
from tasklib.task_types import registration

R = TypeVar("R")
SyncConnection = psycopg.Connection[Any]


class Client:
    """Submit, inspect and wait for tasks from synchronous code (Django, Flask, scripts).

    Owns a connection pool, opened on first use; use it as a context manager or call
    ``close()``. Thread-safe. ``connection=`` on a call runs it on the caller's connection,
    inside the caller's transaction, instead of the pool.
    """

    def __init__(self, config: Config | None = None) -> None:
        self._core = ClientCore(config if config is not None else Config())
        self._core.config.require_database_url()
        self._lock = threading.Lock()
        self._pool: ConnectionPool[SyncConnection] | None = None
        self._listener = FinishedListener(self._core.config)
        self._closed = False

    @property
    def config(self) -> Config:
        """The Config this client was made with."""
        return self._core.config

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the pool and the listener; a later call opens them again."""
        self._listener.close()
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close(timeout=5.0)

    # -- submit ----------------------------------------------------------------------------

    def submit_task(
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
        connection: SyncConnection | None = None,
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
            value: UUID = _core.first_value(self._one(statement, connection))
        return value

    def submit_many(
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
        connection: SyncConnection | None = None,
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
            return [row[0] for row in self._all(statement, connection)]

    # -- inspect and administer ------------------------------------------------------------

    def get_task(self, task_id: UUID | str, *, connection: SyncConnection | None = None) -> Task:
        """The task with that id, every column; TaskNotFoundError if there is none."""
        statement, task_uuid = self._core.get(task_id)
        return _core.task_or_not_found(self._one(statement, connection), task_uuid)

    def list_tasks(
        self,
        *,
        tags: Mapping[str, Any] | None = None,
        state: TaskState | Sequence[TaskState] | None = None,
        name: str | TaskDefinition[..., Any] | None = None,
        queue: str | None = None,
        limit: int = 100,
        offset: int = 0,
        connection: SyncConnection | None = None,
    ) -> list[Task]:
        """Tasks matching every filter given, newest first (see ``tasklib.list_tasks``)."""
        statement = self._core.list(tags, state, name, queue, limit, offset)
        return self.fetch_tasks(statement, connection=connection)

    def fetch_tasks(
        self, statement: Statement, *, connection: SyncConnection | None = None
    ) -> list[Task]:
        """Tasks read by a statement of tasklib.db.statements that selects the task columns."""
        return [_core.task_from_row(row) for row in self._all(statement, connection)]

    def cancel_task(
        self,
        task_id: UUID | str,
        *,
        reason: str | None = None,
        connection: SyncConnection | None = None,
    ) -> Task:
        """Cancel an unfinished task; return its row (see ``tasklib.cancel_task``)."""
        statement = self._core.cancel(task_id, reason)
        return _core.task_from_row(_core.required(self._one(statement, connection)))

    def cancel_tasks(
        self,
        *,
        name: str | TaskDefinition[..., Any] | None = None,
        queue: str | None = None,
        tags: Mapping[str, Any] | None = None,
        reason: str | None = None,
        connection: SyncConnection | None = None,
    ) -> list[UUID]:
        """Cancel the unfinished tasks matching every filter (see ``tasklib.cancel_tasks``)."""
        statement = self._core.cancel_many(name, queue, tags, reason)
        return [row[0] for row in self._all(statement, connection)]

    def retry_task(
        self,
        task_id: UUID | str,
        *,
        delay_seconds: float = 0,
        connection: SyncConnection | None = None,
    ) -> Task:
        """Queue a finished (failed or cancelled) task again; return its row."""
        statement = self._core.retry(task_id, delay_seconds)
        return _core.task_from_row(_core.required(self._one(statement, connection)))

    def status(self, *, connection: SyncConnection | None = None) -> dict[str, Any]:
        """Counts per state overall and per task name, from the monitoring views."""
        rows = self._all(Statement(statements.STATUS, ()), connection)
        return _core.status_from_rows(rows)

    def purge(
        self,
        older_than: timedelta,
        *,
        batch_size: int = 10000,
        connection: SyncConnection | None = None,
    ) -> int:
        """Delete finished tasks older than ``older_than``, a batch per transaction; the count."""
        deleted = 0
        while True:
            batch = int(
                _core.first_value(
                    self._one(Statement(statements.PURGE, (older_than, batch_size)), connection)
                )
            )
            deleted += batch
            if batch == 0:
                return deleted

    def register_task_types(
        self,
        definitions: Iterable[TaskDefinition[..., Any]] | None = None,
        *,
        connection: SyncConnection | None = None,
    ) -> list[str]:
        """Record task definitions (all registered ones when None) in tasklib.task_types."""
        params = registration(definitions, config=self.config)
        if params is None:
            return []
        found = self._all(Statement(statements.REGISTER_TASK_TYPES, params), connection)
        return [str(row[0]) for row in found]

    # -- queues ----------------------------------------------------------------------------

    def set_queue_limits(
        self,
        queue: str,
        *,
        concurrency: int | None = None,
        key_concurrency: int | None = None,
        rate: RateLimit | None = None,
        key_rate: RateLimit | None = None,
        connection: SyncConnection | None = None,
    ) -> Queue:
        """Replace every limit of the queue (one left None is lifted); return the queue."""
        statement = self._core.set_queue_limits(queue, concurrency, key_concurrency, rate, key_rate)
        return self._change_queue(statement, connection)

    def pause_queue(self, queue: str, *, connection: SyncConnection | None = None) -> Queue:
        """Stop starting the queue's tasks (running ones finish); return the queue."""
        return self._change_queue(self._core.pause_queue(queue), connection)

    def resume_queue(self, queue: str, *, connection: SyncConnection | None = None) -> Queue:
        """Lift the queue's pause and every suspension of it and its keys; return the queue."""
        return self._change_queue(self._core.resume_queue(queue), connection)

    def suspend_queue(
        self,
        queue: str,
        *,
        seconds: float | None = None,
        until: datetime | None = None,
        key: str | None = None,
        connection: SyncConnection | None = None,
    ) -> Queue:
        """Start no task of the queue (of one limit key, with ``key``) for a while."""
        statement = self._core.suspend_queue(queue, seconds, until, key)
        return self._change_queue(statement, connection)

    def get_queue(self, queue: str, *, connection: SyncConnection | None = None) -> Queue:
        """The queue's limits, pause, suspensions and load; QueueNotFoundError if unknown."""
        return _core.queue_or_not_found(self._one(self._core.get_queue(queue), connection), queue)

    def list_queues(self, *, connection: SyncConnection | None = None) -> list[Queue]:
        """Every queue, by name."""
        rows = self._all(self._core.list_queues(), connection)
        return [_core.queue_from_row(row) for row in rows]

    def _change_queue(self, statement: Statement, connection: SyncConnection | None) -> Queue:
        name = str(_core.first_value(self._one(statement, connection)))
        return self.get_queue(name, connection=connection)

    # -- cron schedules --------------------------------------------------------------------

    def create_schedule(
        self,
        task: TaskDefinition[..., Any] | str,
        /,
        *,
        cron: str,
        name: str | None = None,
        args: Mapping[str, Any] | None = None,
        timezone: str = "UTC",
        catch_up: CatchUp = "one",
        connection: SyncConnection | None = None,
    ) -> Schedule:
        """Create a schedule, or replace the one of that name; return it (see docs/cron.md)."""
        statement = self._core.create_schedule(task, cron, name, args, timezone, catch_up)
        return self._change_schedule(statement, connection)

    def apply_schedules(
        self,
        definitions: Iterable[ScheduleDefinition] | None = None,
        *,
        connection: SyncConnection | None = None,
    ) -> list[str]:
        """Create or replace each declared schedule (all of this process's when None); return
        the names of those this call created or changed."""
        chosen = declared_schedules() if definitions is None else definitions
        statement = self._core.apply_schedules(chosen)
        if statement is None:
            return []
        return [str(name) for name, changed in self._all(statement, connection) if changed]

    def get_schedule(self, name: str, *, connection: SyncConnection | None = None) -> Schedule:
        """The schedule of that name; ScheduleNotFoundError if there is none."""
        row = self._one(self._core.get_schedule(name), connection)
        return _core.schedule_or_not_found(row, name)

    def list_schedules(self, *, connection: SyncConnection | None = None) -> list[Schedule]:
        """Every schedule, by name."""
        rows = self._all(self._core.list_schedules(), connection)
        return [_core.schedule_from_row(row) for row in rows]

    def pause_schedule(self, name: str, *, connection: SyncConnection | None = None) -> Schedule:
        """Stop the schedule from firing until ``resume_schedule``; return it."""
        return self._change_schedule(self._core.pause_schedule(name), connection, name)

    def resume_schedule(self, name: str, *, connection: SyncConnection | None = None) -> Schedule:
        """Let a paused schedule fire again from its next fire time; return it."""
        return self._change_schedule(self._core.resume_schedule(name), connection, name)

    def remove_schedule(self, name: str, *, connection: SyncConnection | None = None) -> None:
        """Delete the schedule and its fire history (its tasks stay)."""
        _core.changed_schedule(self._one(self._core.remove_schedule(name), connection), name)

    def _change_schedule(
        self, statement: Statement, connection: SyncConnection | None, name: str | None = None
    ) -> Schedule:
        row = self._one(statement, connection)
        changed = _core.changed_schedule(
            row, name if name is not None else str(statement.params[0])
        )
        return self.get_schedule(changed, connection=connection)

    # -- wait ------------------------------------------------------------------------------

    def wait_for_task(self, task_id: UUID | str, *, timeout: float | None = None) -> Task:
        """Wait until the task is terminal and return it (see ``tasklib.wait_for_task``)."""
        statement, task_uuid = self._core.get(task_id)
        end = _core.deadline(timeout)
        woken = self._listener.subscribe(task_uuid)
        try:
            # Read only once listening, so a finish between the two is not missed.
            task = _core.task_or_not_found(self._one(statement, None), task_uuid)
            while not is_terminal(task):
                left = _core.remaining(end, task_uuid, timeout)
                recheck = self._listener.recheck_seconds()
                woken.wait(recheck if left is None else min(left, recheck))
                woken.clear()
                task = _core.task_or_not_found(self._one(statement, None), task_uuid)
            return task
        finally:
            self._listener.unsubscribe(task_uuid, woken)

    def wait_for_result(
        self, fn: TaskDefinition[..., R], task_id: UUID | str, *, timeout: float | None = None
    ) -> R:
        """Wait for the task, then return its result parsed into ``fn``'s return type."""
        _core.definition_of(fn)
        return _core.result_of(fn, self.wait_for_task(task_id, timeout=timeout))

    # -- one statement on the pool or the caller's connection ------------------------------

    def _one(self, statement: Statement, connection: SyncConnection | None) -> Row | None:
        try:
            if connection is not None:
                return _fetch_one(_caller_connection(connection), statement, caller=True)
            with self._connection() as conn:
                return _fetch_one(conn, statement)
        except psycopg.Error as error:
            raise translate(error) from error

    def _all(self, statement: Statement, connection: SyncConnection | None) -> list[Row]:
        try:
            if connection is not None:
                return _execute(_caller_connection(connection), statement, caller=True)
            with self._connection() as conn:
                return _execute(conn, statement)
        except psycopg.Error as error:
            raise translate(error) from error

    def _connection(self) -> Any:
        return self.pool().connection()

    def pool(self) -> ConnectionPool[SyncConnection]:
        """The client's pool, opened on first use."""
        pool = self._pool
        if pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = connections.open_pool(self.config)
                pool = self._pool
        return pool


# A caller's connection may have any row factory (dict_row, class_row...): ask for tuples.
# It may also load json as text (Django's does): caller=True asks for psycopg's own loaders.
def _execute(conn: SyncConnection, statement: Statement, *, caller: bool = False) -> list[Row]:
    with conn.cursor(row_factory=tuple_row) as cursor:
        if caller:
            _core.default_json_loaders(cursor.adapters)
        cursor.execute(statement.query, statement.params)
        return cursor.fetchall()


def _fetch_one(conn: SyncConnection, statement: Statement, *, caller: bool = False) -> Row | None:
    with conn.cursor(row_factory=tuple_row) as cursor:
        if caller:
            _core.default_json_loaders(cursor.adapters)
        cursor.execute(statement.query, statement.params)
        return cursor.fetchone()


def _caller_connection(connection: object) -> SyncConnection:
    if isinstance(connection, psycopg.Connection):
        return connection
    raise ConfigurationError(
        f"connection= of a *_sync call must be a psycopg.Connection, got "
        f"{type(connection).__name__} (use the async form with an AsyncConnection)"
    )
