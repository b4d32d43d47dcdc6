"""Submit, inspect, cancel and wait for tasks: validate in Python, then one SQL function call.

Submitting and waiting are async first (``submit_task``, ``submit_many``, ``wait_for_task``,
``wait_for_result``) with ``*_sync`` forms for Django, Flask and scripts; inspection and admin
calls are sync first, as the seed uses ``get_task`` (``get_task``, ``list_tasks``,
``cancel_task``, ``retry_task``) with ``*_async`` forms for async apps.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar, get_args
from uuid import UUID

import psycopg
import pydantic_core
from psycopg.rows import tuple_row

from tasklib import _pool
from tasklib.config import Config
from tasklib.errors import (
    ConfigurationError,
    InvalidArgumentError,
    NotATaskError,
    TaskFailedError,
    TaskNotFoundError,
    TaskTimeoutError,
    translate,
)
from tasklib.models import Task, TaskState, is_completed, is_terminal
from tasklib.registry import PreparedTask, TaskDefinition

R = TypeVar("R")

SyncConnection = psycopg.Connection[Any]
AsyncConnection = psycopg.AsyncConnection[Any]
Row = tuple[Any, ...]

_FIELDS = tuple(Task.model_fields)
_COLUMNS = ", ".join(_FIELDS)
_STATES = frozenset(get_args(TaskState))

# Named arguments keep these calls valid if tasklib.submit gains parameters; the casts pin the
# parameter types so that psycopg's automatic prepared statements are reused from call to call.
_SUBMIT = (
    "SELECT tasklib.submit(name => %s::text, args => %s::jsonb, delay_seconds => %s::float8,"
    " priority => %s::int4, tags => %s::jsonb, max_retries => %s::int4,"
    " timeout_seconds => %s::float8, queue => %s::text, backoff_base_seconds => %s::float8)"
)
_SUBMIT_MANY = "SELECT id FROM tasklib.submit_many(%s::jsonb) AS id"
# Config(durable_submits=False): the same calls, in a transaction whose commit does not wait
# for the WAL flush. set_config(..., true) lasts until the end of the statement's own
# (autocommit) transaction, so the pooled connection keeps its durable default afterwards.
_SUBMIT_UNFLUSHED = _SUBMIT + " FROM pg_catalog.set_config('synchronous_commit', 'off', true)"
_SUBMIT_MANY_UNFLUSHED = (
    "SELECT id FROM pg_catalog.set_config('synchronous_commit', 'off', true),"
    " LATERAL tasklib.submit_many(%s::jsonb) AS id"
)
# Columns are listed, not *, so a column added by a later migration cannot break a prepared
# statement ("cached plan must not change result type") in a long-running process.
_GET = f"SELECT {_COLUMNS} FROM tasklib.tasks WHERE id = %s::uuid"
_CANCEL = f"SELECT {_COLUMNS} FROM tasklib.cancel(%s::uuid)"
_RETRY = f"SELECT {_COLUMNS} FROM tasklib.retry(%s::uuid, %s::float8)"
_FINISHED_CHANNEL = "tasklib_finished"


# -- submit ------------------------------------------------------------------------------------


async def submit_task(
    fn: TaskDefinition[..., Any],
    /,
    *,
    delay_seconds: float = 0,
    priority: int | None = None,
    tags: Mapping[str, Any] | None = None,
    connection: AsyncConnection | None = None,
    **kwargs: Any,
) -> UUID:
    """Validate ``kwargs`` against ``fn``'s signature and queue one run of it; return its id.

    ``priority`` (higher runs first) defaults to the task's, then the Config's. ``tags`` is
    free JSON metadata that ``list_tasks(tags=...)`` filters on. With ``connection``, the task
    is queued inside that connection's current transaction and exists only if it commits.
    """
    params = _submit_params(fn, delay_seconds, priority, tags, kwargs)
    row = await _fetch_one_async(_submit_query(connection), params, connection)
    return _first(row)


def submit_task_sync(
    fn: TaskDefinition[..., Any],
    /,
    *,
    delay_seconds: float = 0,
    priority: int | None = None,
    tags: Mapping[str, Any] | None = None,
    connection: SyncConnection | None = None,
    **kwargs: Any,
) -> UUID:
    """``submit_task`` for synchronous code; ``connection`` is a psycopg (sync) Connection."""
    params = _submit_params(fn, delay_seconds, priority, tags, kwargs)
    row = _fetch_one_sync(_submit_query(connection), params, connection)
    return _first(row)


async def submit_many(
    tasks: Iterable[PreparedTask[Any]],
    /,
    *,
    delay_seconds: float | None = None,
    priority: int | None = None,
    tags: Mapping[str, Any] | None = None,
    connection: AsyncConnection | None = None,
) -> list[UUID]:
    """Queue many prepared calls in one round trip and one transaction; ids in input order.

    Build the calls with ``definition.prepare(...)`` (arguments are validated there). The
    options given here apply to every call that does not set its own with ``with_options``.
    """
    payload = _submit_many_payload(tasks, delay_seconds, priority, tags)
    if payload is None:
        return []
    rows = await _fetch_all_async(_submit_many_query(connection), (payload,), connection)
    return [row[0] for row in rows]


def submit_many_sync(
    tasks: Iterable[PreparedTask[Any]],
    /,
    *,
    delay_seconds: float | None = None,
    priority: int | None = None,
    tags: Mapping[str, Any] | None = None,
    connection: SyncConnection | None = None,
) -> list[UUID]:
    """``submit_many`` for synchronous code."""
    payload = _submit_many_payload(tasks, delay_seconds, priority, tags)
    if payload is None:
        return []
    rows = _fetch_all_sync(_submit_many_query(connection), (payload,), connection)
    return [row[0] for row in rows]


def _unflushed(connection: object) -> bool:
    """Whether this submit commits without waiting for the flush (Config.durable_submits)."""
    # A caller's connection is the caller's transaction: its durability is theirs to choose.
    return connection is None and not _pool.get_config().durable_submits


def _submit_query(connection: object) -> str:
    return _SUBMIT_UNFLUSHED if _unflushed(connection) else _SUBMIT


def _submit_many_query(connection: object) -> str:
    return _SUBMIT_MANY_UNFLUSHED if _unflushed(connection) else _SUBMIT_MANY


def _definition(fn: object) -> TaskDefinition[..., Any]:
    if isinstance(fn, TaskDefinition):
        return fn
    name = getattr(fn, "__qualname__", None) or repr(fn)
    raise NotATaskError(
        f"{name} is not a task: decorate it with @tasklib.task before submitting it"
    )


def _submit_params(
    fn: object,
    delay_seconds: float,
    priority: int | None,
    tags: Mapping[str, Any] | None,
    kwargs: dict[str, Any],
) -> tuple[Any, ...]:
    definition = _definition(fn)
    args_json = definition.validate_args_json(kwargs)
    config = _pool.get_config()
    options = definition.options
    return (
        definition.name,
        args_json,
        _delay(delay_seconds),
        _priority(priority, definition, config),
        _tags_json(tags),
        options.max_retries if options.max_retries is not None else config.max_retries,
        options.timeout_seconds,
        options.queue,
        options.backoff_base_seconds
        if options.backoff_base_seconds is not None
        else config.backoff_base_seconds,
    )


def _submit_many_payload(
    tasks: Iterable[PreparedTask[Any]],
    delay_seconds: float | None,
    priority: int | None,
    tags: Mapping[str, Any] | None,
) -> str | None:
    config = _pool.get_config()
    # Most batches repeat one task with the call's options: encode those options once per task.
    shared: dict[str, str] = {}
    items: list[str] = []
    for position, prepared in enumerate(tasks):
        if not isinstance(prepared, PreparedTask):
            raise InvalidArgumentError(
                f"submit_many takes prepared calls (definition.prepare(...)), "
                f"got {type(prepared).__name__} at position {position}"
            )
        definition = prepared.definition
        own = (
            prepared.delay_seconds is not None
            or prepared.priority is not None
            or prepared.tags is not None
        )
        options = None if own else shared.get(definition.name)
        if options is None:
            options = _many_options(
                definition,
                config,
                prepared.delay_seconds if prepared.delay_seconds is not None else delay_seconds,
                prepared.priority if prepared.priority is not None else priority,
                prepared.tags if prepared.tags is not None else tags,
            )
            if not own:
                shared[definition.name] = options
        items.append('{"args":' + prepared.args_json + "," + options)
    if not items:
        return None
    return "[" + ",".join(items) + "]"


def _many_options(
    definition: TaskDefinition[..., Any],
    config: Config,
    delay_seconds: float | None,
    priority: int | None,
    tags: Mapping[str, Any] | None,
) -> str:
    """One submit_many element's keys after "args", as JSON text without the opening brace."""
    options = definition.options
    values: dict[str, Any] = {
        "name": definition.name,
        "delay_seconds": _delay(delay_seconds or 0),
        "priority": _priority(priority, definition, config),
        "max_retries": options.max_retries
        if options.max_retries is not None
        else config.max_retries,
        "queue": options.queue,
        "backoff_base_seconds": options.backoff_base_seconds
        if options.backoff_base_seconds is not None
        else config.backoff_base_seconds,
    }
    if options.timeout_seconds is not None:
        values["timeout_seconds"] = options.timeout_seconds
    encoded = json.dumps(values, separators=(",", ":"))
    return encoded[1:-1] + ',"tags":' + _tags_json(tags) + "}"


def _delay(delay_seconds: float) -> float:
    # Range checks live in SQL (tasklib.submit); only the type is checked here.
    if isinstance(delay_seconds, bool) or not isinstance(delay_seconds, int | float):
        raise InvalidArgumentError(
            f"delay_seconds must be a number of seconds, got {type(delay_seconds).__name__}"
        )
    return float(delay_seconds)


def _priority(priority: int | None, definition: TaskDefinition[..., Any], config: Config) -> int:
    if priority is None:
        priority = definition.options.priority
        return priority if priority is not None else config.priority
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise InvalidArgumentError(f"priority must be an integer, got {type(priority).__name__}")
    return priority


def _tags_json(tags: Mapping[str, Any] | None) -> str:
    if tags is None:
        return "{}"
    if not isinstance(tags, Mapping):
        raise InvalidArgumentError(f"tags must be a dict, got {type(tags).__name__}")
    problem = _unstorable_json(tags)
    if problem is not None:
        raise InvalidArgumentError(f"tags {problem}")
    try:
        return pydantic_core.to_json(tags).decode()
    except pydantic_core.PydanticSerializationError as error:
        raise InvalidArgumentError(f"tags must be JSON-serializable: {error}") from None


def _unstorable_json(value: object) -> str | None:
    """Why jsonb would refuse ``value`` (a NUL character, NaN or Infinity), or None."""
    found_nul = found_non_finite = False
    pending: list[object] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found_nul = found_nul or "\x00" in item
        elif isinstance(item, float):
            found_non_finite = found_non_finite or not math.isfinite(item)
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    if found_nul:
        return "contain a NUL character (\\u0000), which PostgreSQL's jsonb cannot store"
    if found_non_finite:
        return "contain NaN or Infinity, which JSON cannot represent"
    return None


# -- inspect and administer --------------------------------------------------------------------


def get_task(task_id: UUID | str, *, connection: SyncConnection | None = None) -> Task:
    """The task with that id, every column; TaskNotFoundError if there is none."""
    task_uuid = _uuid(task_id)
    return _task_or_not_found(_fetch_one_sync(_GET, (task_uuid,), connection), task_uuid)


async def get_task_async(task_id: UUID | str, *, connection: AsyncConnection | None = None) -> Task:
    """``get_task`` for async code."""
    task_uuid = _uuid(task_id)
    return _task_or_not_found(await _fetch_one_async(_GET, (task_uuid,), connection), task_uuid)


def list_tasks(
    *,
    tags: Mapping[str, Any] | None = None,
    state: TaskState | Sequence[TaskState] | None = None,
    name: str | TaskDefinition[..., Any] | None = None,
    queue: str | None = None,
    limit: int = 100,
    offset: int = 0,
    connection: SyncConnection | None = None,
) -> list[Task]:
    """Tasks matching every filter given, newest first.

    ``tags`` matches tasks whose tags contain those pairs (JSON containment, indexed);
    ``state`` is one state or several; ``name`` is a task name or its definition.
    """
    query, params = _list_query(tags, state, name, queue, limit, offset)
    return [_task(row) for row in _fetch_all_sync(query, params, connection)]


async def list_tasks_async(
    *,
    tags: Mapping[str, Any] | None = None,
    state: TaskState | Sequence[TaskState] | None = None,
    name: str | TaskDefinition[..., Any] | None = None,
    queue: str | None = None,
    limit: int = 100,
    offset: int = 0,
    connection: AsyncConnection | None = None,
) -> list[Task]:
    """``list_tasks`` for async code."""
    query, params = _list_query(tags, state, name, queue, limit, offset)
    return [_task(row) for row in await _fetch_all_async(query, params, connection)]


def cancel_task(task_id: UUID | str, *, connection: SyncConnection | None = None) -> Task:
    """Cancel a task that has not started (pending, or waiting for a retry); return its row.

    TaskNotFoundError for an unknown id, InvalidStateError if it is running or finished.
    """
    row = _fetch_one_sync(_CANCEL, (_uuid(task_id),), connection)
    return _task(_required(row))


async def cancel_task_async(
    task_id: UUID | str, *, connection: AsyncConnection | None = None
) -> Task:
    """``cancel_task`` for async code."""
    row = await _fetch_one_async(_CANCEL, (_uuid(task_id),), connection)
    return _task(_required(row))


def retry_task(
    task_id: UUID | str, *, delay_seconds: float = 0, connection: SyncConnection | None = None
) -> Task:
    """Queue a permanently failed or cancelled task again, retries restored; return its row.

    TaskNotFoundError for an unknown id, InvalidStateError if it has not finished that way.
    """
    row = _fetch_one_sync(_RETRY, (_uuid(task_id), _delay(delay_seconds)), connection)
    return _task(_required(row))


async def retry_task_async(
    task_id: UUID | str, *, delay_seconds: float = 0, connection: AsyncConnection | None = None
) -> Task:
    """``retry_task`` for async code."""
    row = await _fetch_one_async(_RETRY, (_uuid(task_id), _delay(delay_seconds)), connection)
    return _task(_required(row))


def _list_query(
    tags: Mapping[str, Any] | None,
    state: TaskState | Sequence[TaskState] | None,
    name: str | TaskDefinition[..., Any] | None,
    queue: str | None,
    limit: int,
    offset: int,
) -> tuple[str, tuple[Any, ...]]:
    # Only the filters given appear in the SQL: "x IS NULL OR ..." would keep a generic plan
    # from using the tags index, and each shape is prepared once per connection anyway.
    conditions: list[str] = []
    params: list[Any] = []
    if tags is not None:
        tags_json = _tags_json(tags)
        # Every task's tags contain {}; any other filter implies non-empty tags, and saying
        # so lets the planner use the tag index, which leaves untagged tasks out.
        if tags_json != "{}":
            conditions.append("tags <> '{}' AND tags @> %s::jsonb")
            params.append(tags_json)
    if state is not None:
        states = [state] if isinstance(state, str) else list(state)
        unknown = [s for s in states if s not in _STATES]
        if unknown:
            raise InvalidArgumentError(
                f"unknown state {unknown[0]!r}: expected one of {', '.join(sorted(_STATES))}"
            )
        conditions.append("state = ANY (%s::text[])")
        params.append(states)
    if name is not None:
        conditions.append("name = %s::text")
        params.append(name.name if isinstance(name, TaskDefinition) else name)
    if queue is not None:
        conditions.append("queue = %s::text")
        params.append(queue)
    for label, value in (("limit", limit), ("offset", offset)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidArgumentError(f"{label} must be an integer >= 0, got {value!r}")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    query = (
        f"SELECT {_COLUMNS} FROM tasklib.tasks{where}"
        " ORDER BY created_at DESC, id LIMIT %s::int8 OFFSET %s::int8"
    )
    return query, (*params, limit, offset)


def _uuid(task_id: UUID | str) -> UUID:
    if isinstance(task_id, UUID):
        return task_id
    try:
        return UUID(str(task_id))
    except ValueError:
        raise InvalidArgumentError(f"task id must be a UUID, got {task_id!r}") from None


def _task(row: Row) -> Task:
    return Task.model_validate(dict(zip(_FIELDS, row, strict=True)))


def _task_or_not_found(row: Row | None, task_id: UUID) -> Task:
    if row is None:
        raise TaskNotFoundError(f"task {task_id} not found")
    return _task(row)


def _required(row: Row | None) -> Row:
    if row is None:  # the SQL functions return a row or raise
        raise TaskNotFoundError("the database returned no task")
    return row


def _first(row: Row | None) -> UUID:
    value: UUID = _required(row)[0]
    return value


# -- wait for results --------------------------------------------------------------------------


# A timeout parameter (ruff ASYNC109) because waiting for a task is not only an asyncio
# matter: the sync forms take the same argument, and the deadline also bounds reconnects.
async def wait_for_task(task_id: UUID | str, *, timeout: float | None = None) -> Task:  # noqa: ASYNC109
    """Wait until the task is terminal (completed, permanently failed, cancelled); return it.

    Woken by NOTIFY on ``tasklib_finished``, not by polling; TaskTimeoutError after
    ``timeout`` seconds (None waits as long as it takes). Uses a connection of its own for
    the duration, since a LISTENing connection cannot go back to the pool.
    """
    task_uuid = _uuid(task_id)
    deadline = _deadline(timeout)
    try:
        async with await psycopg.AsyncConnection.connect(**_listen_connection_kwargs()) as conn:
            await conn.execute(f"LISTEN {_FINISHED_CHANNEL}")
            # Read the state only after LISTEN, so a finish between the two is not missed.
            task = _task_or_not_found(await _execute_one(conn, _GET, (task_uuid,)), task_uuid)
            target = str(task_uuid)
            while not is_terminal(task):
                remaining = _remaining(deadline, task_uuid, timeout)
                async for notify in conn.notifies(timeout=remaining):
                    if target in notify.payload:
                        break
                task = _task_or_not_found(await _execute_one(conn, _GET, (task_uuid,)), task_uuid)
            return task
    except psycopg.Error as error:
        raise translate(error) from error


def wait_for_task_sync(task_id: UUID | str, *, timeout: float | None = None) -> Task:
    """``wait_for_task`` for synchronous code."""
    task_uuid = _uuid(task_id)
    deadline = _deadline(timeout)
    try:
        with psycopg.Connection.connect(**_listen_connection_kwargs()) as conn:
            conn.execute(f"LISTEN {_FINISHED_CHANNEL}")
            task = _task_or_not_found(_execute_one_sync(conn, _GET, (task_uuid,)), task_uuid)
            target = str(task_uuid)
            while not is_terminal(task):
                remaining = _remaining(deadline, task_uuid, timeout)
                for notify in conn.notifies(timeout=remaining):
                    if target in notify.payload:
                        break
                task = _task_or_not_found(_execute_one_sync(conn, _GET, (task_uuid,)), task_uuid)
            return task
    except psycopg.Error as error:
        raise translate(error) from error


async def wait_for_result(
    fn: TaskDefinition[..., R],
    task_id: UUID | str,
    *,
    timeout: float | None = None,  # noqa: ASYNC109 (see wait_for_task)
) -> R:
    """Wait for the task, then return its result parsed into ``fn``'s return type.

    TaskFailedError (with the final row in ``.task``) if it failed permanently or was
    cancelled; TaskTimeoutError after ``timeout`` seconds.
    """
    _definition(fn)
    return _result(fn, await wait_for_task(task_id, timeout=timeout))


def wait_for_result_sync(
    fn: TaskDefinition[..., R], task_id: UUID | str, *, timeout: float | None = None
) -> R:
    """``wait_for_result`` for synchronous code."""
    _definition(fn)
    return _result(fn, wait_for_task_sync(task_id, timeout=timeout))


def _result(definition: TaskDefinition[..., R], task: Task) -> R:
    if task.name != definition.name:
        raise InvalidArgumentError(
            f"task {task.id} runs {task.name!r}, not {definition.name!r}: its result has "
            "another type"
        )
    if not is_completed(task):
        reason = (task.error or "").strip().splitlines()
        detail = f": {reason[-1]}" if reason else ""
        state = "was cancelled" if task.state == "cancelled" else "failed permanently"
        raise TaskFailedError(f"task {task.id} ({task.name}) {state}{detail}", task)
    return task.result_as(definition)


def _listen_connection_kwargs() -> dict[str, Any]:
    config = _pool.get_config()
    return {
        "conninfo": config.require_database_url(),
        "autocommit": True,
        "application_name": config.application_name,
    }


def _deadline(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or math.isnan(timeout):
        raise InvalidArgumentError(f"timeout must be a number of seconds, got {timeout!r}")
    return time.monotonic() + max(0.0, float(timeout))


def _remaining(deadline: float | None, task_id: UUID, timeout: float | None) -> float | None:
    if deadline is None:
        return None
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TaskTimeoutError(f"task {task_id} did not finish within {timeout} seconds")
    return remaining


# -- one statement on a pooled or given connection ---------------------------------------------


def _fetch_one_sync(
    query: str, params: Sequence[Any], connection: SyncConnection | None
) -> Row | None:
    try:
        if connection is not None:
            return _execute_one_sync(_sync_connection(connection), query, params)
        with _pool.sync_pool().connection() as conn:
            return _execute_one_sync(conn, query, params)
    except psycopg.Error as error:
        raise translate(error) from error


def _fetch_all_sync(
    query: str, params: Sequence[Any], connection: SyncConnection | None
) -> list[Row]:
    try:
        if connection is not None:
            return _execute_all_sync(_sync_connection(connection), query, params)
        with _pool.sync_pool().connection() as conn:
            return _execute_all_sync(conn, query, params)
    except psycopg.Error as error:
        raise translate(error) from error


async def _fetch_one_async(
    query: str, params: Sequence[Any], connection: AsyncConnection | None
) -> Row | None:
    try:
        if connection is not None:
            return await _execute_one(_async_connection(connection), query, params)
        pool = await _pool.async_pool()
        async with pool.connection() as conn:
            return await _execute_one(conn, query, params)
    except psycopg.Error as error:
        raise translate(error) from error


async def _fetch_all_async(
    query: str, params: Sequence[Any], connection: AsyncConnection | None
) -> list[Row]:
    try:
        if connection is not None:
            return await _execute_all(_async_connection(connection), query, params)
        pool = await _pool.async_pool()
        async with pool.connection() as conn:
            return await _execute_all(conn, query, params)
    except psycopg.Error as error:
        raise translate(error) from error


# A caller's connection may have any row factory (dict_row, class_row...): ask for tuples.


def _execute_one_sync(conn: SyncConnection, query: str, params: Sequence[Any]) -> Row | None:
    with conn.cursor(row_factory=tuple_row) as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()


def _execute_all_sync(conn: SyncConnection, query: str, params: Sequence[Any]) -> list[Row]:
    with conn.cursor(row_factory=tuple_row) as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


async def _execute_one(conn: AsyncConnection, query: str, params: Sequence[Any]) -> Row | None:
    async with conn.cursor(row_factory=tuple_row) as cursor:
        await cursor.execute(query, params)
        return await cursor.fetchone()


async def _execute_all(conn: AsyncConnection, query: str, params: Sequence[Any]) -> list[Row]:
    async with conn.cursor(row_factory=tuple_row) as cursor:
        await cursor.execute(query, params)
        return await cursor.fetchall()


def _sync_connection(connection: object) -> SyncConnection:
    if isinstance(connection, psycopg.Connection):
        return connection
    raise ConfigurationError(
        f"connection= of a *_sync call must be a psycopg.Connection, got "
        f"{type(connection).__name__} (use the async form with an AsyncConnection)"
    )


def _async_connection(connection: object) -> AsyncConnection:
    if isinstance(connection, psycopg.AsyncConnection):
        return connection
    raise ConfigurationError(
        f"connection= of an async call must be a psycopg.AsyncConnection, got "
        f"{type(connection).__name__} (use the *_sync form with a Connection)"
    )
