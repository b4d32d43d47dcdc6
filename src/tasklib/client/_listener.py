"""One LISTEN connection per client that wakes every waiter whose task finished.

``tasklib.complete``, ``fail``, ``cancel`` and lease recovery send the ids of tasks that
finished for good on ``tasklib_finished``. Waiters subscribe by task id; the listener reads
notifications on its own connection and wakes the subscribers of each id, so a thousand
waits share one connection instead of holding a thousand. A waiter re-reads its task's row
after every wake-up (and every ``FALLBACK_SECONDS`` regardless), so a notification lost
while the listener reconnects costs a little latency, never a hang.

The connection goes to ``Config.listen_url`` when set (a direct connection beside a pooled
database_url). While there is no listening connection (``listen_notify=False``, or a
listen_url that cannot be reached, which is retried) waiters re-read every
``poll_interval_seconds`` instead (``recheck_seconds``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import defaultdict
from uuid import UUID

import psycopg

from tasklib.config import Config, _redact
from tasklib.db import connections, statements
from tasklib.errors import first_line

log = logging.getLogger("tasklib.client")

FALLBACK_SECONDS = 5.0
_RECONNECT_SECONDS = 1.0
# How often the listener thread looks up from its connection to notice close().
_STOP_CHECK_SECONDS = 0.5


def finished_ids(payload: str) -> list[str]:
    """The task ids of one tasklib_finished payload (comma-separated)."""
    return payload.split(",") if payload else []


def _recheck_seconds(config: Config, listening: bool) -> float:
    # Listening: a re-read only saves a wake-up lost while reconnecting. Not: polling.
    return FALLBACK_SECONDS if listening else config.poll_interval_seconds


def _log_lost(config: Config, error: BaseException, *, first: bool, was_listening: bool) -> None:
    """One warning when listening stops or cannot start; quiet while it keeps failing."""
    if first:
        log.warning(
            "cannot LISTEN for finished tasks at %s (%s): waits re-read their task every %g s"
            " until it can",
            _redact(connections.listen_url(config)),
            first_line(error),
            config.poll_interval_seconds,
        )
    elif was_listening:
        log.warning("listener for finished tasks lost its connection: %s", first_line(error))
    else:
        log.debug("listener for finished tasks still cannot connect: %s", first_line(error))


class FinishedListener:
    """The sync client's listener: a daemon thread reading one connection."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._waiters: dict[str, set[threading.Event]] = defaultdict(set)
        self._thread: threading.Thread | None = None
        self._listening = threading.Event()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._connected = False

    def recheck_seconds(self) -> float:
        """How long a waiter waits for a wake-up before it re-reads its task anyway."""
        return _recheck_seconds(self._config, self._connected)

    def subscribe(self, task_id: UUID) -> threading.Event:
        """An event set when the task may have finished; listening has begun on return."""
        if self._config.listen_notify:
            self._start()
        event = threading.Event()
        with self._lock:
            self._waiters[str(task_id)].add(event)
        return event

    def unsubscribe(self, task_id: UUID, event: threading.Event) -> None:
        with self._lock:
            waiters = self._waiters.get(str(task_id))
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[str(task_id)]

    def close(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=2 * _STOP_CHECK_SECONDS + 1)
        self._connected = False

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._listening.clear()
                self._error = None
                self._thread = threading.Thread(
                    target=self._run, name="tasklib-listener", daemon=True
                )
                self._thread.start()
        self._listening.wait()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        first = True
        while not self._stop.is_set():
            try:
                with connections.connect_listen(self._config) as conn:
                    conn.execute(statements.LISTEN_FINISHED)
                    self._connected = True
                    self._listening.set()
                    # Finishes missed while not listening: every waiter looks again.
                    self._wake_all()
                    first = False
                    while not self._stop.is_set():
                        for notify in conn.notifies(timeout=_STOP_CHECK_SECONDS):
                            self._wake(finished_ids(notify.payload))
            except Exception as error:
                if first and self._config.listen_url is None:
                    # The first connection failed: the waiter that started us says why.
                    self._error = error
                    self._listening.set()
                    return
                _log_lost(self._config, error, first=first, was_listening=self._connected)
                self._connected = False
                first = False
                self._listening.set()
                self._wake_all()
                self._stop.wait(_RECONNECT_SECONDS)

    def _wake(self, ids: list[str]) -> None:
        with self._lock:
            for task_id in ids:
                for event in self._waiters.get(task_id, ()):
                    event.set()

    def _wake_all(self) -> None:
        with self._lock:
            for events in self._waiters.values():
                for event in events:
                    event.set()


class AsyncFinishedListener:
    """The async client's listener: a task on the client's event loop."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._listening: asyncio.Future[None] | None = None
        self._connected = False

    def recheck_seconds(self) -> float:
        """How long a waiter waits for a wake-up before it re-reads its task anyway."""
        return _recheck_seconds(self._config, self._connected)

    async def subscribe(self, task_id: UUID) -> asyncio.Event:
        """An event set when the task may have finished; listening has begun on return."""
        if self._config.listen_notify:
            await self._start()
        event = asyncio.Event()
        self._waiters[str(task_id)].add(event)
        return event

    def unsubscribe(self, task_id: UUID, event: asyncio.Event) -> None:
        waiters = self._waiters.get(str(task_id))
        if waiters is not None:
            waiters.discard(event)
            if not waiters:
                del self._waiters[str(task_id)]

    async def close(self) -> None:
        task, self._task = self._task, None
        self._listening = None
        self._connected = False
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _start(self) -> None:
        if self._task is None or self._task.done():
            self._listening = asyncio.get_running_loop().create_future()
            self._task = asyncio.create_task(self._run(self._listening), name="tasklib-listener")
        assert self._listening is not None
        await asyncio.shield(self._listening)

    async def _run(self, listening: asyncio.Future[None]) -> None:
        first = True
        while True:
            try:
                async with await connections.connect_listen_async(self._config) as conn:
                    await conn.execute(statements.LISTEN_FINISHED)
                    self._connected = True
                    first = False
                    if not listening.done():
                        listening.set_result(None)
                    self._wake_all()
                    async for notify in conn.notifies():
                        for task_id in finished_ids(notify.payload):
                            for event in self._waiters.get(task_id, ()):
                                event.set()
            except (psycopg.Error, OSError, Exception) as error:
                if not listening.done() and self._config.listen_url is None:
                    listening.set_exception(error)
                    self._task = None
                    return
                _log_lost(self._config, error, first=first, was_listening=self._connected)
                self._connected = False
                first = False
                if not listening.done():
                    listening.set_result(None)
                self._wake_all()
                await asyncio.sleep(_RECONNECT_SECONDS)

    def _wake_all(self) -> None:
        for events in self._waiters.values():
            for event in events:
                event.set()
