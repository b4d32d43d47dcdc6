"""The one place TaskLib opens database connections and pools, all with the same settings.

Every connection is autocommit (each call is one statement, or a function that is its own
transaction), carries ``application_name`` (with a suffix saying what it is for, so
``pg_stat_activity`` tells a worker's claim connection from a client's pool) and
``connect_timeout``, prepares no statements when ``Config.prepared_statements`` is off (a
transaction-mode pooler), and a failure to connect becomes DatabaseUnavailableError naming
the server, password hidden. LISTEN connections (``connect_listen``) go to
``Config.listen_url`` when it is set: a session of their own, beside a pooled database_url.

Nothing TaskLib sends keeps state in the session between transactions (no SET outside a
transaction, no session advisory lock, no temporary table), so that any server connection of
a pooler can run any of its transactions; LISTEN is the one exception, hence its own URL.
"""

from __future__ import annotations

import select
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from tasklib.config import Config, _redact
from tasklib.errors import DatabaseUnavailableError, first_line

SyncConnection = psycopg.Connection[Any]
AsyncConnection = psycopg.AsyncConnection[Any]

# How long opening a pool waits for its first connections before DatabaseUnavailableError
# (the pool's own getconn timeout is the same).
POOL_OPEN_TIMEOUT_SECONDS = 30.0


def connection_kwargs(config: Config, purpose: str | None = None) -> dict[str, Any]:
    """The keyword arguments of every TaskLib connection made under ``config``."""
    name = config.application_name if purpose is None else f"{config.application_name}:{purpose}"
    kwargs: dict[str, Any] = {
        "autocommit": True,
        "application_name": name,
        "connect_timeout": max(1, round(config.connect_timeout_seconds)),
    }
    if not config.prepared_statements:
        # psycopg prepares a statement on its 5th execution under a name (_pg3_0, ...) that
        # lives in the server session; None sends every statement unnamed, in one round trip.
        kwargs["prepare_threshold"] = None
    return kwargs


def listen_url(config: Config) -> str:
    """Where LISTEN connections go: ``config.listen_url``, else the database URL."""
    return config.listen_url or config.require_database_url()


def connect(config: Config, purpose: str | None = None, **kwargs: Any) -> SyncConnection:
    """One connection, or DatabaseUnavailableError saying where and why not."""
    return _connect(config.require_database_url(), config, purpose, **kwargs)


def connect_listen(config: Config, purpose: str = "listen") -> SyncConnection:
    """A connection for LISTEN (see ``listen_url``)."""
    return _connect(listen_url(config), config, purpose)


def _connect(url: str, config: Config, purpose: str | None, **kwargs: Any) -> SyncConnection:
    try:
        return psycopg.Connection.connect(url, **connection_kwargs(config, purpose), **kwargs)
    except psycopg.OperationalError as error:
        raise unavailable(url, error) from None


async def connect_async(
    config: Config, purpose: str | None = None, **kwargs: Any
) -> AsyncConnection:
    """``connect`` for asyncio."""
    return await _connect_async(config.require_database_url(), config, purpose, **kwargs)


async def connect_listen_async(config: Config, purpose: str = "listen") -> AsyncConnection:
    """``connect_listen`` for asyncio."""
    return await _connect_async(listen_url(config), config, purpose)


async def _connect_async(
    url: str, config: Config, purpose: str | None, **kwargs: Any
) -> AsyncConnection:
    try:
        return await psycopg.AsyncConnection.connect(
            url, **connection_kwargs(config, purpose), **kwargs
        )
    except psycopg.OperationalError as error:
        raise unavailable(url, error) from None


def unavailable(url: str, error: BaseException) -> DatabaseUnavailableError:
    """The error for a server that cannot be reached, with libpq's reason on one line."""
    reason = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return DatabaseUnavailableError(
        f"cannot connect to the database at {_redact(url)}: {reason or first_line(error)}"
    )


def open_pool(config: Config) -> ConnectionPool[SyncConnection]:
    """An open pool for ``config``: its first connections made, or DatabaseUnavailableError."""
    # A pool retries failed connections in the background and only reports "pool
    # initialization incomplete" after its timeout; one direct attempt says at once what is
    # wrong and where.
    connect(config).close()
    pool: ConnectionPool[SyncConnection] = ConnectionPool(
        config.require_database_url(),
        min_size=config.min_pool_size,
        max_size=config.max_pool_size,
        kwargs=connection_kwargs(config),
        check=_check_sync,
        name="tasklib",
        open=False,
    )
    # Waiting for min_size connections means the first call does not wait inside getconn,
    # which would make the pool grow a connection it does not need.
    pool.open(wait=True, timeout=POOL_OPEN_TIMEOUT_SECONDS)
    return pool


async def open_async_pool(config: Config) -> AsyncConnectionPool[AsyncConnection]:
    """``open_pool`` for asyncio; the pool belongs to the running event loop."""
    await (await connect_async(config)).close()
    pool: AsyncConnectionPool[AsyncConnection] = AsyncConnectionPool(
        config.require_database_url(),
        min_size=config.min_pool_size,
        max_size=config.max_pool_size,
        kwargs=connection_kwargs(config),
        check=_check_async,
        name="tasklib-async",
        open=False,
    )
    try:
        # Also, a connection still being made when asyncio.run ends is cancelled mid-connect,
        # which psycopg_pool logs as a connection error: wait for them here.
        await pool.open(wait=True, timeout=POOL_OPEN_TIMEOUT_SECONDS)
    except BaseException:
        await pool.close()
        raise
    return pool


# A server restart or pg_terminate_backend leaves dead connections in a pool. Each one is
# checked as it is handed out, but an empty query per check would add a round trip to every
# call. An idle autocommit connection receives nothing unless the server is ending it (the
# FATAL message, then EOF), so a quiet socket needs no round trip; a readable one gets the
# pool's full check, which discards it if it is dead.
def _check_sync(conn: SyncConnection) -> None:
    if _has_input(conn.fileno()):
        ConnectionPool.check_connection(conn)


async def _check_async(conn: AsyncConnection) -> None:
    if _has_input(conn.fileno()):
        await AsyncConnectionPool.check_connection(conn)


def _has_input(fd: int) -> bool:
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([fd], [], [], 0)  # Windows: no poll()
    return bool(readable)
