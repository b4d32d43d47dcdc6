"""The process-wide Config and the connection pools every client call shares."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import select
import threading
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection, Connection, OperationalError
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from tasklib.config import Config, _redact
from tasklib.errors import DatabaseUnavailableError

logger = logging.getLogger("tasklib")

_CLOSE_TIMEOUT_SECONDS = 5.0
# How long the first call waits for the database before DatabaseUnavailableError (the pool's
# own getconn timeout is the same).
_OPEN_TIMEOUT_SECONDS = 30.0

_lock = threading.Lock()
_sync_open_lock = threading.Lock()
_config: Config | None = None
_sync_pool: ConnectionPool[Connection[Any]] | None = None


@dataclass(frozen=True, slots=True)
class _LoopPool:
    """An event loop's pool and the task that closes it when the loop shuts down."""

    pool: AsyncConnectionPool[AsyncConnection[Any]]
    guard: asyncio.Task[None]


# One async pool per event loop: an asyncio pool's locks and worker tasks belong to the loop
# that opened it, and apps do run several loops (asyncio.run per test or per script step,
# a loop per thread). A pool enters _async_pools only once it is open.
_async_pools: dict[asyncio.AbstractEventLoop, _LoopPool] = {}
# Set once the loop's pool is open, or its opening failed.
_async_opening: dict[asyncio.AbstractEventLoop, asyncio.Future[None]] = {}


def init(config: Config | None = None) -> None:
    """Set the Config this process uses (call once at startup).

    Pools opened under a different Config are closed; new ones open lazily on first use.
    Without init(), the first call uses ``Config()``, i.e. $TASKLIB_DATABASE_URL.
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
    config = _config
    if config is None:
        with _lock:
            if _config is None:
                _config = Config()
            config = _config
    return config


def sync_pool() -> ConnectionPool[Connection[Any]]:
    """The process's synchronous pool, opened on first use."""
    pool = _sync_pool
    if pool is not None:
        return pool
    return _open_sync_pool()


def _open_sync_pool() -> ConnectionPool[Connection[Any]]:
    global _sync_pool
    config = get_config()
    url = config.require_database_url()
    # Its own lock: opening may wait for the database, and init()/close() must not wait too.
    with _sync_open_lock:
        if _sync_pool is not None:
            return _sync_pool
        pool: ConnectionPool[Connection[Any]] = ConnectionPool(
            url,
            min_size=config.min_pool_size,
            max_size=config.max_pool_size,
            kwargs=_connection_kwargs(config),
            check=_check_sync,
            name="tasklib",
            open=False,
        )
        _probe_sync(url, config)
        # Waiting for min_size connections means the first call does not wait inside
        # getconn, which would make the pool grow a connection it does not need.
        pool.open(wait=True, timeout=_OPEN_TIMEOUT_SECONDS)
        with _lock:
            _sync_pool = pool
        return pool


async def async_pool() -> AsyncConnectionPool[AsyncConnection[Any]]:
    """The asyncio pool of the running event loop, opened on first use in that loop."""
    loop = asyncio.get_running_loop()
    entry = _async_pools.get(loop)
    if entry is not None:
        return entry.pool
    return await _open_async_pool(loop)


async def _open_async_pool(
    loop: asyncio.AbstractEventLoop,
) -> AsyncConnectionPool[AsyncConnection[Any]]:
    config = get_config()
    url = config.require_database_url()
    with _lock:
        entry = _async_pools.get(loop)
        if entry is not None:
            return entry.pool
        opening = _async_opening.get(loop)
        opener = opening is None
        if opening is None:
            _forget_closed_loops()
            opening = _async_opening[loop] = loop.create_future()
    if not opener:
        # One coroutine opens the loop's pool; the others share its outcome (and try again
        # themselves only if the opener was cancelled).
        await asyncio.shield(opening)
        return await async_pool()
    pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
        url,
        min_size=config.min_pool_size,
        max_size=config.max_pool_size,
        kwargs=_connection_kwargs(config),
        check=_check_async,
        name="tasklib-async",
        open=False,
    )
    outcome: BaseException | None = None
    try:
        await _probe_async(url, config)
        # See _open_sync_pool. Also, a connection still being made when asyncio.run ends is
        # cancelled mid-connect, which psycopg_pool logs as a connection error.
        await pool.open(wait=True, timeout=_OPEN_TIMEOUT_SECONDS)
        with _lock:
            _async_pools[loop] = _LoopPool(pool, loop.create_task(_close_with_loop(pool)))
    except BaseException as error:
        outcome = error
        await pool.close()
        raise
    finally:
        with _lock:
            if _async_opening.get(loop) is opening:
                del _async_opening[loop]
        if isinstance(outcome, Exception):
            opening.set_exception(outcome)
            opening.exception()  # retrieved: waiters may be none, and asyncio would complain
        else:
            opening.set_result(None)
    return pool


async def _close_with_loop(pool: AsyncConnectionPool[Any]) -> None:
    """Wait forever; once cancelled, close the pool.

    asyncio.run() cancels every task before it closes the loop. A pool left open then can
    hang that shutdown (a pool worker cancelled while connecting keeps waiting for work), and
    a script that never calls aclose() is the common case. Being cancelled alongside the
    pool's workers, this task closes the pool, which stops them.
    """
    try:
        await asyncio.get_running_loop().create_future()
    finally:
        await pool.close(timeout=_CLOSE_TIMEOUT_SECONDS)


# A server restart or pg_terminate_backend leaves dead connections in the pool. Each one is
# checked as it is handed out, but an empty query per check would add a round trip to every
# call. An idle autocommit connection receives nothing unless the server is ending it (the
# FATAL message, then EOF), so a quiet socket needs no round trip; a readable one gets the
# pool's full check, which discards it if it is dead.
def _check_sync(conn: Connection[Any]) -> None:
    if _has_input(conn.fileno()):
        ConnectionPool.check_connection(conn)


async def _check_async(conn: AsyncConnection[Any]) -> None:
    if _has_input(conn.fileno()):
        await AsyncConnectionPool.check_connection(conn)


def _has_input(fd: int) -> bool:
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([fd], [], [], 0)  # Windows: no poll()
    return bool(readable)


def _connection_kwargs(config: Config) -> dict[str, Any]:
    # Every client call is one statement, so autocommit saves the BEGIN/COMMIT round trips.
    return {
        "autocommit": True,
        "application_name": config.application_name,
        "connect_timeout": max(1, round(config.connect_timeout_seconds)),
    }


# A pool retries failed connections in the background and only reports "pool initialization
# incomplete" after its timeout; one direct attempt first says at once what is wrong and where.
def _probe_sync(url: str, config: Config) -> None:
    try:
        Connection.connect(url, **_connection_kwargs(config)).close()
    except OperationalError as error:
        raise _unavailable(url, error) from None


async def _probe_async(url: str, config: Config) -> None:
    try:
        await (await AsyncConnection.connect(url, **_connection_kwargs(config))).close()
    except OperationalError as error:
        raise _unavailable(url, error) from None


def _unavailable(url: str, error: OperationalError) -> DatabaseUnavailableError:
    reason = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    reason = reason or type(error).__name__
    return DatabaseUnavailableError(f"cannot connect to {_redact(url)}: {reason}")


def _forget_closed_loops() -> None:
    # A closed loop cannot run its pool's close(); its connections close when collected.
    for pools in (_async_pools, _async_opening):
        for loop in [loop for loop in pools if loop.is_closed()]:
            del pools[loop]


def close() -> None:
    """Close every pool of this process. Later calls open new pools as needed.

    An async pool whose loop is running in this thread cannot be waited for here: its close
    is scheduled on that loop (``await tasklib.aclose()`` waits for it).
    """
    for loop, entry in _take_async_pools():
        _close_async_pool_from_sync(loop, entry)
    _close_sync_pool()


async def aclose() -> None:
    """Close every pool of this process, waiting for the current loop's async pool."""
    current = asyncio.get_running_loop()
    for loop, entry in _take_async_pools():
        if loop is current:
            entry.guard.cancel()
            await asyncio.wait([entry.guard])
        else:
            _close_async_pool_from_sync(loop, entry)
    # The sync pool joins its worker threads; keep the event loop free meanwhile.
    await asyncio.to_thread(_close_sync_pool)


def _take_async_pools() -> list[tuple[asyncio.AbstractEventLoop, _LoopPool]]:
    with _lock:
        taken = list(_async_pools.items())
        _async_pools.clear()
    return taken


def _close_sync_pool() -> None:
    global _sync_pool
    with _lock:
        pool, _sync_pool = _sync_pool, None
    if pool is not None:
        pool.close(timeout=_CLOSE_TIMEOUT_SECONDS)


def _close_async_pool_from_sync(loop: asyncio.AbstractEventLoop, entry: _LoopPool) -> None:
    # Cancelling the guard closes the pool on its own loop; wait for that where we can.
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
        logger.debug("closing tasklib pools at exit failed", exc_info=True)


atexit.register(_close_at_exit)
