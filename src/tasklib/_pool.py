"""The process-wide Config and the connection pools every client call shares."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import threading
from typing import Any

from psycopg import AsyncConnection, Connection
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from tasklib.config import Config

logger = logging.getLogger("tasklib")

_CLOSE_TIMEOUT_SECONDS = 5.0

_lock = threading.Lock()
_config: Config | None = None
_sync_pool: ConnectionPool[Connection[Any]] | None = None
# One async pool per event loop: an asyncio pool's locks and worker tasks belong to the loop
# that opened it, and apps do run several loops (asyncio.run per test or per script step,
# a loop per thread). A pool enters _async_pools only once it is open.
_async_pools: dict[asyncio.AbstractEventLoop, AsyncConnectionPool[AsyncConnection[Any]]] = {}
_async_opening: dict[asyncio.AbstractEventLoop, AsyncConnectionPool[AsyncConnection[Any]]] = {}


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
        _close_pools()


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
    with _lock:
        if _sync_pool is None:
            pool: ConnectionPool[Connection[Any]] = ConnectionPool(
                url,
                min_size=config.min_pool_size,
                max_size=config.max_pool_size,
                kwargs=_connection_kwargs(config),
                # A server restart leaves dead sockets in the pool; checking each connection
                # as it is handed out costs one empty round trip and saves the caller an error.
                check=ConnectionPool.check_connection,
                name="tasklib",
                open=False,
            )
            pool.open()
            _sync_pool = pool
        return _sync_pool


async def async_pool() -> AsyncConnectionPool[AsyncConnection[Any]]:
    """The asyncio pool of the running event loop, opened on first use in that loop."""
    loop = asyncio.get_running_loop()
    pool = _async_pools.get(loop)
    if pool is not None:
        return pool
    return await _open_async_pool(loop)


async def _open_async_pool(
    loop: asyncio.AbstractEventLoop,
) -> AsyncConnectionPool[AsyncConnection[Any]]:
    config = get_config()
    url = config.require_database_url()
    with _lock:
        pool = _async_pools.get(loop) or _async_opening.get(loop)
        if pool is None:
            _forget_closed_loops()
            pool = AsyncConnectionPool(
                url,
                min_size=config.min_pool_size,
                max_size=config.max_pool_size,
                kwargs=_connection_kwargs(config),
                check=AsyncConnectionPool.check_connection,
                name="tasklib-async",
                open=False,
            )
            _async_opening[loop] = pool
    # Coroutines of this loop that arrive while it opens await the same (idempotent) open.
    await pool.open()
    with _lock:
        if _async_opening.get(loop) is pool:
            del _async_opening[loop]
            _async_pools[loop] = pool
    return pool


def _connection_kwargs(config: Config) -> dict[str, Any]:
    # Every client call is one statement, so autocommit saves the BEGIN/COMMIT round trips.
    return {"autocommit": True, "application_name": config.application_name}


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
    for loop, pool in _take_async_pools():
        _close_async_pool_from_sync(loop, pool)
    _close_sync_pool()


async def aclose() -> None:
    """Close every pool of this process, waiting for the current loop's async pool."""
    current = asyncio.get_running_loop()
    for loop, pool in _take_async_pools():
        if loop is current:
            await pool.close(timeout=_CLOSE_TIMEOUT_SECONDS)
        else:
            _close_async_pool_from_sync(loop, pool)
    # The sync pool joins its worker threads; keep the event loop free meanwhile.
    await asyncio.to_thread(_close_sync_pool)


def _close_pools() -> None:
    close()


def _take_async_pools() -> list[tuple[asyncio.AbstractEventLoop, AsyncConnectionPool[Any]]]:
    with _lock:
        taken = [*_async_pools.items(), *_async_opening.items()]
        _async_pools.clear()
        _async_opening.clear()
    return taken


def _close_sync_pool() -> None:
    global _sync_pool
    with _lock:
        pool, _sync_pool = _sync_pool, None
    if pool is not None:
        pool.close(timeout=_CLOSE_TIMEOUT_SECONDS)


def _close_async_pool_from_sync(
    loop: asyncio.AbstractEventLoop, pool: AsyncConnectionPool[Any]
) -> None:
    if loop.is_closed():
        return
    try:
        running_here = asyncio.get_running_loop() is loop
    except RuntimeError:
        running_here = False
    if running_here:
        _pending_closes.add(task := loop.create_task(pool.close()))
        task.add_done_callback(_pending_closes.discard)
    elif loop.is_running():
        future = asyncio.run_coroutine_threadsafe(pool.close(), loop)
        with contextlib.suppress(concurrent.futures.TimeoutError):
            future.result(timeout=_CLOSE_TIMEOUT_SECONDS)
    else:
        loop.run_until_complete(pool.close(timeout=_CLOSE_TIMEOUT_SECONDS))


# Strong references to close tasks scheduled on a running loop, which would otherwise be
# garbage-collected before they finish.
_pending_closes: set[asyncio.Task[None]] = set()


def _close_at_exit() -> None:
    try:
        close()
    except Exception:  # pragma: no cover - nothing useful to do at interpreter exit
        logger.debug("closing tasklib pools at exit failed", exc_info=True)


atexit.register(_close_at_exit)
