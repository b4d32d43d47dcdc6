"""A database connection for one job of the worker that reconnects with backoff when lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg

from tasklib.config import Config
from tasklib.db import connections
from tasklib.errors import DatabaseUnavailableError, first_line

T = TypeVar("T")
Connection = psycopg.AsyncConnection[tuple[Any, ...]]

log = logging.getLogger("tasklib.worker")


class ReconnectingConnection:
    """One autocommit connection; ``run`` retries an operation across connection losses.

    A ``listen`` connection goes to ``Config.listen_url`` when it is set (see _listener).

    Each loss is logged with the wait before the next attempt (exponential, with jitter, up to
    ``max_backoff``). Set ``give_up_at`` (an event-loop time) to make ``run`` raise
    DatabaseUnavailableError instead of waiting past it, as shutdown does; ``stop_retrying``
    gives up at once, also ending a wait in progress. The worker makes the first connection of
    each with ``connection()`` at start-up, where a failure is an error: retrying is for a
    connection that once worked.
    """

    def __init__(
        self,
        config: Config,
        purpose: str,
        *,
        first_backoff: float = 0.05,
        max_backoff: float = 5.0,
        listen: bool = False,
    ) -> None:
        self._config = config
        self.purpose = purpose
        self._listen = listen
        self._first_backoff = first_backoff
        self._max_backoff = max_backoff
        self._conn: Connection | None = None
        self._failures = 0
        self.give_up_at: float | None = None
        self._stop_waiting = asyncio.Event()

    async def connection(self) -> Connection:
        """The open connection, connecting first if there is none."""
        if self._conn is not None and not self._conn.closed:
            return self._conn
        connect = connections.connect_listen_async if self._listen else connections.connect_async
        self._conn = await connect(self._config, f"worker:{self.purpose}")
        if self._failures:
            log.info("database connection for %s is back", self.purpose)
            self._failures = 0
        return self._conn

    async def run(self, operation: Callable[[Connection], Awaitable[T]]) -> T:
        """Run operation on the connection, reconnecting and running it again after a loss.

        The operation must be safe to repeat: its first attempt may have committed before
        the connection dropped.
        """
        while True:
            try:
                return await operation(await self.connection())
            except (psycopg.OperationalError, DatabaseUnavailableError) as error:
                await self._lost(error)

    async def _lost(self, error: psycopg.OperationalError | DatabaseUnavailableError) -> None:
        await self.close()
        self._failures += 1
        delay = min(self._max_backoff, self._first_backoff * 2 ** (self._failures - 1))
        delay *= random.uniform(0.5, 1.0)
        loop = asyncio.get_running_loop()
        reason = first_line(error)
        if self.give_up_at is not None and loop.time() + delay > self.give_up_at:
            raise DatabaseUnavailableError(
                f"database unavailable for {self.purpose}: {reason}"
            ) from error
        log.warning(
            "database connection for %s lost (%s); reconnecting in %.2f s",
            self.purpose,
            reason,
            delay,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_waiting.wait(), delay)
        if self._stop_waiting.is_set():
            raise DatabaseUnavailableError(
                f"database unavailable for {self.purpose}: {reason}"
            ) from error

    @property
    def reconnecting(self) -> bool:
        """Whether the last attempt on this connection failed and none has worked since."""
        return self._failures > 0

    def stop_retrying(self) -> None:
        """Give up now: ``run`` raises DatabaseUnavailableError at the next loss, or at once if
        it is waiting to reconnect (shutdown with nothing left to record, a second signal)."""
        self.give_up_at = asyncio.get_running_loop().time()
        self._stop_waiting.set()

    async def close(self) -> None:
        """Close the connection if open; errors of an already broken connection are ignored."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                await conn.close()
