"""The module-level API (``tasklib.submit_task``, ``get_task``, ...) as calls on default clients.

``init(config)`` sets the process's Config; the first call makes a default Client (sync
calls) or, per event loop, a default AsyncClient (async calls): an asyncio pool belongs to
the loop that opened it, and applications do run several loops (asyncio.run per test or per
script step, a loop per thread). Submitting and waiting are async first, with ``*_sync``
forms; inspection and administration are sync first, as most callers use ``get_task``, with
``*_async`` forms.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import psycopg

from tasklib.client._async import AsyncClient
from tasklib.client._sync import Client
from tasklib.config import Config
from tasklib.models import Task, TaskState
from tasklib.queues import Queue, RateLimit
from tasklib.registry import OnConflict, PreparedTask, TaskDefinition
from tasklib.schedules import CatchUp, Schedule

R = TypeVar("R")
SyncConnection = psycopg.Connection[Any]
AsyncConnection = psycopg.AsyncConnection[Any]

logger = logging.getLogger("tasklib")

_CLOSE_TIMEOUT_SECONDS = 5.0

_lock = threading.Lock()
_config: Config | None = None
_client: Client | None = None


@dataclass(frozen=True, slots=True)
class _LoopClient:
    """An event loop's default client and the task that closes it when the loop shuts down."""

    client: AsyncClient
    guard: asyncio.Task[None]


_async_clients: dict[asyncio.AbstractEventLoop, _LoopClient] = {}


def init(config: Config | None = None) -> None:
    """Set the Config this process uses (call once at startup).

    Default clients made under a different Config are closed; new ones open lazily on first
    use. Without init(), the first call uses ``Config()``, i.e. $TASKLIB_DATABASE_URL.
    """
    global _config
    config = config if config is not None else Config()
    config.require_database_url()
    with _lock:
        changed = _config is not None and _config != config
        _config = config
    if changed:
        close()


def get_config() -> Config:
    """The Config given to init(), else one read from the environment."""
    global _config
    with _lock:
        if _config is None:
            _config = Config()
        return _config


def default_client() -> Client:
    """The process's default Client, made on first use."""
    global _client
    client = _client
    if client is not None:
        return client
    config = get_config()
    with _lock:
        if _client is None:
            _client = Client(config)
        return _client


def default_async_client() -> AsyncClient:
    """The running event loop's default AsyncClient, made on first use in that loop."""
    loop = asyncio.get_running_loop()
    entry = _async_clients.get(loop)
    if entry is not None:
        return entry.client
    config = get_config()
    with _lock:
        entry = _async_clients.get(loop)
        if entry is None:
            for closed in [known for known in _async_clients if known.is_closed()]:
                del _async_clients[closed]  # its connections close when collected
            client = AsyncClient(config)
            entry = _LoopClient(client, loop.create_task(_close_with_loop(client)))
            _async_clients[loop] = entry
    return entry.client


async def _close_with_loop(client: AsyncClient) -> None:
    """Wait forever; once cancelled, close the client.

    asyncio.run() cancels every task before it closes the loop. A pool left open then can
    hang that shutdown (a pool worker cancelled while connecting keeps waiting for work), and
    a script that never calls aclose() is the common case. Being cancelled alongside the
    pool's workers, this task closes the pool, which stops them.
    """
    try:
        await asyncio.get_running_loop().create_future()
    finally:
        await client.aclose()


def close() -> None:
    """Close every default client of this process. Later calls open new ones as needed.

    An async client whose loop is running in this thread cannot be waited for here: its close
    is scheduled on that loop (``await tasklib.aclose()`` waits for it).
    """
    for loop, entry in _take_async_clients():
        _close_async_from_sync(loop, entry)
    _close_sync_client()


async def aclose() -> None:
    """Close every default client of this process, waiting for the current loop's."""
    current = asyncio.get_running_loop()
    for loop, entry in _take_async_clients():
        if loop is current:
            entry.guard.cancel()
            await asyncio.wait([entry.guard])
        else:
            _close_async_from_sync(loop, entry)
    # The sync pool joins its worker threads; keep the event loop free meanwhile.
    await asyncio.to_thread(_close_sync_client)


def _take_async_clients() -> list[tuple[asyncio.AbstractEventLoop, _LoopClient]]:
    with _lock:
        taken = list(_async_clients.items())
        _async_clients.clear()
    return taken


def _close_sync_client() -> None:
    global _client
    with _lock:
        client, _client = _client, None
    if client is not None:
        client.close()


def _close_async_from_sync(loop: asyncio.AbstractEventLoop, entry: _LoopClient) -> None:
    # Cancelling the guard closes the client on its own loop; wait for that where we can.
    if loop.is_closed():
        return
    try:
        running_here = asyncio.get_running_loop() is loop
    except RuntimeError:
        running_here = False
    if running_here:
        entry.guard.cancel()
    elif loop.is_running():
        loop.call_soon_threadsafe(entry.guard.cancel)
        done = asyncio.run_coroutine_threadsafe(asyncio.wait([entry.guard]), loop)
        with contextlib.suppress(concurrent.futures.TimeoutError):
            done.result(timeout=_CLOSE_TIMEOUT_SECONDS)
    else:
        entry.guard.cancel()
        loop.run_until_complete(asyncio.wait([entry.guard]))


def _close_at_exit() -> None:
    try:
        close()
    except Exception:  # pragma: no cover - nothing useful to do at interpreter exit
        logger.debug("closing tasklib clients at exit failed", exc_info=True)


atexit.register(_close_at_exit)


# -- the module-level API --------------------------------------------------------------------


async def submit_task(
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
    """Validate ``kwargs`` against ``fn``'s signature and queue one run of it; return its id.

    ``priority`` (higher runs first), ``max_retries``, ``queue``, ``timeout_seconds`` and
    ``backoff_base_seconds`` default to the task's, then the database's. ``tags`` is free JSON
    metadata that ``list_tasks(tags=...)`` filters on. ``limit_key`` is what the queue's per-key
    limits count by (default: the argument ``@task(limit_key=...)`` names, else none). With
    ``connection``, the task is queued inside that connection's current transaction and exists
    only if it commits.
    """
    return await default_async_client().submit_task(
        fn,
        delay_seconds=delay_seconds,
        priority=priority,
        tags=tags,
        max_retries=max_retries,
        queue=queue,
        timeout_seconds=timeout_seconds,
        backoff_base_seconds=backoff_base_seconds,
        limit_key=limit_key,
        unique_key=unique_key,
        on_conflict=on_conflict,
        unique_for_seconds=unique_for_seconds,
        connection=connection,
        **kwargs,
    )


def submit_task_sync(
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
    """``submit_task`` for synchronous code; ``connection`` is a psycopg (sync) Connection."""
    return default_client().submit_task(
        fn,
        delay_seconds=delay_seconds,
        priority=priority,
        tags=tags,
        max_retries=max_retries,
        queue=queue,
        timeout_seconds=timeout_seconds,
        backoff_base_seconds=backoff_base_seconds,
        limit_key=limit_key,
        unique_key=unique_key,
        on_conflict=on_conflict,
        unique_for_seconds=unique_for_seconds,
        connection=connection,
        **kwargs,
    )


async def submit_many(
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
    """Queue many prepared calls in one round trip and one transaction; ids in input order.

    Build the calls with ``definition.prepare(...)`` (arguments are validated there). The
    options given here apply to every call that does not set its own with ``with_options``
    (``limit_key`` too, before the key a task takes from its arguments).
    """
    return await default_async_client().submit_many(
        tasks,
        delay_seconds=delay_seconds,
        priority=priority,
        tags=tags,
        max_retries=max_retries,
        queue=queue,
        timeout_seconds=timeout_seconds,
        backoff_base_seconds=backoff_base_seconds,
        limit_key=limit_key,
        on_conflict=on_conflict,
        unique_for_seconds=unique_for_seconds,
        connection=connection,
    )


def submit_many_sync(
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
    """``submit_many`` for synchronous code."""
    return default_client().submit_many(
        tasks,
        delay_seconds=delay_seconds,
        priority=priority,
        tags=tags,
        max_retries=max_retries,
        queue=queue,
        timeout_seconds=timeout_seconds,
        backoff_base_seconds=backoff_base_seconds,
        limit_key=limit_key,
        on_conflict=on_conflict,
        unique_for_seconds=unique_for_seconds,
        connection=connection,
    )


def get_task(task_id: UUID | str, *, connection: SyncConnection | None = None) -> Task:
    """The task with that id, every column; TaskNotFoundError if there is none."""
    return default_client().get_task(task_id, connection=connection)


async def get_task_async(task_id: UUID | str, *, connection: AsyncConnection | None = None) -> Task:
    """``get_task`` for async code."""
    return await default_async_client().get_task(task_id, connection=connection)


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
    return default_client().list_tasks(
        tags=tags,
        state=state,
        name=name,
        queue=queue,
        limit=limit,
        offset=offset,
        connection=connection,
    )


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
    return await default_async_client().list_tasks(
        tags=tags,
        state=state,
        name=name,
        queue=queue,
        limit=limit,
        offset=offset,
        connection=connection,
    )


def cancel_task(
    task_id: UUID | str, *, reason: str | None = None, connection: SyncConnection | None = None
) -> Task:
    """Cancel an unfinished task, recording who (the login) and why (``reason``); return its row.

    A pending task, or one waiting for a retry, comes back ``cancelled``. A running task comes
    back still ``running`` with ``cancel_requested_at`` set: its worker is told at once and
    stops it (an async task gets CancelledError, a sync task TaskCancelled), and it then ends
    ``cancelled``, never retried, unless it completed first. Asking again changes nothing.
    TaskNotFoundError for an unknown id, InvalidStateError if it has finished.
    """
    return default_client().cancel_task(task_id, reason=reason, connection=connection)


async def cancel_task_async(
    task_id: UUID | str, *, reason: str | None = None, connection: AsyncConnection | None = None
) -> Task:
    """``cancel_task`` for async code."""
    return await default_async_client().cancel_task(task_id, reason=reason, connection=connection)


def cancel_tasks(
    *,
    name: str | TaskDefinition[..., Any] | None = None,
    queue: str | None = None,
    tags: Mapping[str, Any] | None = None,
    reason: str | None = None,
    connection: SyncConnection | None = None,
) -> list[UUID]:
    """Cancel, as ``cancel_task`` does, every unfinished task matching all filters given.

    ``name`` is a task name or its definition, ``queue`` a queue, ``tags`` pairs the task's
    tags contain; at least one is required (InvalidArgumentError otherwise). Returns the ids
    cancelled or asked to stop. Needs a login in ``tasklib_admin``.
    """
    return default_client().cancel_tasks(
        name=name, queue=queue, tags=tags, reason=reason, connection=connection
    )


async def cancel_tasks_async(
    *,
    name: str | TaskDefinition[..., Any] | None = None,
    queue: str | None = None,
    tags: Mapping[str, Any] | None = None,
    reason: str | None = None,
    connection: AsyncConnection | None = None,
) -> list[UUID]:
    """``cancel_tasks`` for async code."""
    return await default_async_client().cancel_tasks(
        name=name, queue=queue, tags=tags, reason=reason, connection=connection
    )


def retry_task(
    task_id: UUID | str, *, delay_seconds: float = 0, connection: SyncConnection | None = None
) -> Task:
    """Queue a permanently failed or cancelled task again, retries restored; return its row.

    TaskNotFoundError for an unknown id, InvalidStateError if it has not finished that way.
    """
    return default_client().retry_task(task_id, delay_seconds=delay_seconds, connection=connection)


async def retry_task_async(
    task_id: UUID | str, *, delay_seconds: float = 0, connection: AsyncConnection | None = None
) -> Task:
    """``retry_task`` for async code."""
    return await default_async_client().retry_task(
        task_id, delay_seconds=delay_seconds, connection=connection
    )


async def wait_for_task(task_id: UUID | str, *, timeout: float | None = None) -> Task:  # noqa: ASYNC109
    """Wait until the task is terminal (completed, permanently failed, cancelled); return it.

    Woken by NOTIFY on ``tasklib_finished``, not by polling; TaskTimeoutError after
    ``timeout`` seconds (None waits as long as it takes). Every wait of a client shares one
    listening connection.
    """
    return await default_async_client().wait_for_task(task_id, timeout=timeout)


def wait_for_task_sync(task_id: UUID | str, *, timeout: float | None = None) -> Task:
    """``wait_for_task`` for synchronous code."""
    return default_client().wait_for_task(task_id, timeout=timeout)


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
    return await default_async_client().wait_for_result(fn, task_id, timeout=timeout)


def wait_for_result_sync(
    fn: TaskDefinition[..., R], task_id: UUID | str, *, timeout: float | None = None
) -> R:
    """``wait_for_result`` for synchronous code."""
    return default_client().wait_for_result(fn, task_id, timeout=timeout)


# -- queues: flow control ----------------------------------------------------------------------


def set_queue_limits(
    queue: str,
    *,
    concurrency: int | None = None,
    key_concurrency: int | None = None,
    rate: RateLimit | None = None,
    key_rate: RateLimit | None = None,
    connection: SyncConnection | None = None,
) -> Queue:
    """Replace every limit of a queue (creating it if needed); return the queue.

    ``concurrency``: at most that many of its tasks running at once over every worker;
    ``key_concurrency``: at most that many per limit key; ``rate`` and ``key_rate``: at most
    ``RateLimit(limit, per_seconds, burst)`` starts, for the queue and for each key. A limit
    left None is lifted, so a call states the whole policy. InvalidArgumentError names a bad
    value; only a login in ``tasklib_admin`` may call it.
    """
    return default_client().set_queue_limits(
        queue,
        concurrency=concurrency,
        key_concurrency=key_concurrency,
        rate=rate,
        key_rate=key_rate,
        connection=connection,
    )


async def set_queue_limits_async(
    queue: str,
    *,
    concurrency: int | None = None,
    key_concurrency: int | None = None,
    rate: RateLimit | None = None,
    key_rate: RateLimit | None = None,
    connection: AsyncConnection | None = None,
) -> Queue:
    """``set_queue_limits`` for async code."""
    return await default_async_client().set_queue_limits(
        queue,
        concurrency=concurrency,
        key_concurrency=key_concurrency,
        rate=rate,
        key_rate=key_rate,
        connection=connection,
    )


def pause_queue(queue: str, *, connection: SyncConnection | None = None) -> Queue:
    """Stop starting the queue's tasks until ``resume_queue``; running ones finish."""
    return default_client().pause_queue(queue, connection=connection)


async def pause_queue_async(queue: str, *, connection: AsyncConnection | None = None) -> Queue:
    """``pause_queue`` for async code."""
    return await default_async_client().pause_queue(queue, connection=connection)


def resume_queue(queue: str, *, connection: SyncConnection | None = None) -> Queue:
    """Lift the queue's pause and every suspension of it and its keys; workers wake at once."""
    return default_client().resume_queue(queue, connection=connection)


async def resume_queue_async(queue: str, *, connection: AsyncConnection | None = None) -> Queue:
    """``resume_queue`` for async code."""
    return await default_async_client().resume_queue(queue, connection=connection)


def suspend_queue(
    queue: str,
    *,
    seconds: float | None = None,
    until: datetime | None = None,
    key: str | None = None,
    connection: SyncConnection | None = None,
) -> Queue:
    """Start no task of the queue (only those of limit key ``key``, if given) for a while.

    Give ``seconds`` (counted by the database's clock) or ``until`` (a timezone-aware
    datetime), not both.
    """
    return default_client().suspend_queue(
        queue, seconds=seconds, until=until, key=key, connection=connection
    )


async def suspend_queue_async(
    queue: str,
    *,
    seconds: float | None = None,
    until: datetime | None = None,
    key: str | None = None,
    connection: AsyncConnection | None = None,
) -> Queue:
    """``suspend_queue`` for async code."""
    return await default_async_client().suspend_queue(
        queue, seconds=seconds, until=until, key=key, connection=connection
    )


def get_queue(queue: str, *, connection: SyncConnection | None = None) -> Queue:
    """A queue's limits, pause, suspensions, running and due tasks; QueueNotFoundError if none."""
    return default_client().get_queue(queue, connection=connection)


async def get_queue_async(queue: str, *, connection: AsyncConnection | None = None) -> Queue:
    """``get_queue`` for async code."""
    return await default_async_client().get_queue(queue, connection=connection)


def list_queues(*, connection: SyncConnection | None = None) -> list[Queue]:
    """Every queue (one exists once a task was submitted to it or a limit set), by name."""
    return default_client().list_queues(connection=connection)


async def list_queues_async(*, connection: AsyncConnection | None = None) -> list[Queue]:
    """``list_queues`` for async code."""
    return await default_async_client().list_queues(connection=connection)


# -- cron schedules ----------------------------------------------------------------------------


def create_schedule(
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
    """Create a cron schedule now, or replace the definition of the one of that name.

    ``task`` runs with ``args`` once per fire time of ``cron`` (5 fields, or 6 with seconds
    first) read in ``timezone``, however many workers run. ``name`` defaults to the task's
    name; ``catch_up`` is ``"one"`` (a worker that starts runs the latest fire time missed
    while none ran) or ``"skip"``. InvalidScheduleError names a bad expression, zone or
    policy; only a login in ``tasklib_admin`` may call it. See docs/cron.md.
    """
    return default_client().create_schedule(
        task,
        cron=cron,
        name=name,
        args=args,
        timezone=timezone,
        catch_up=catch_up,
        connection=connection,
    )


async def create_schedule_async(
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
    """``create_schedule`` for async code."""
    return await default_async_client().create_schedule(
        task,
        cron=cron,
        name=name,
        args=args,
        timezone=timezone,
        catch_up=catch_up,
        connection=connection,
    )


def get_schedule(name: str, *, connection: SyncConnection | None = None) -> Schedule:
    """The schedule of that name (next and latest fire, pause); ScheduleNotFoundError if none."""
    return default_client().get_schedule(name, connection=connection)


async def get_schedule_async(name: str, *, connection: AsyncConnection | None = None) -> Schedule:
    """``get_schedule`` for async code."""
    return await default_async_client().get_schedule(name, connection=connection)


def list_schedules(*, connection: SyncConnection | None = None) -> list[Schedule]:
    """Every cron schedule, by name."""
    return default_client().list_schedules(connection=connection)


async def list_schedules_async(*, connection: AsyncConnection | None = None) -> list[Schedule]:
    """``list_schedules`` for async code."""
    return await default_async_client().list_schedules(connection=connection)


def pause_schedule(name: str, *, connection: SyncConnection | None = None) -> Schedule:
    """Stop a schedule from firing until ``resume_schedule``; ScheduleNotFoundError if none."""
    return default_client().pause_schedule(name, connection=connection)


async def pause_schedule_async(name: str, *, connection: AsyncConnection | None = None) -> Schedule:
    """``pause_schedule`` for async code."""
    return await default_async_client().pause_schedule(name, connection=connection)


def resume_schedule(name: str, *, connection: SyncConnection | None = None) -> Schedule:
    """Let a paused schedule fire again, from its next fire time after now (the fire times of
    the pause are not caught up); ScheduleNotFoundError if there is no schedule of that name."""
    return default_client().resume_schedule(name, connection=connection)


async def resume_schedule_async(
    name: str, *, connection: AsyncConnection | None = None
) -> Schedule:
    """``resume_schedule`` for async code."""
    return await default_async_client().resume_schedule(name, connection=connection)


def remove_schedule(name: str, *, connection: SyncConnection | None = None) -> None:
    """Delete a schedule and its fire history (its tasks stay); ScheduleNotFoundError if none.

    A schedule declared in code comes back when a worker that declares it starts: remove the
    declaration too.
    """
    default_client().remove_schedule(name, connection=connection)


async def remove_schedule_async(name: str, *, connection: AsyncConnection | None = None) -> None:
    """``remove_schedule`` for async code."""
    await default_async_client().remove_schedule(name, connection=connection)
