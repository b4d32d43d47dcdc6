"""Cancellation requests for the tasks this worker runs: heard by NOTIFY, or found by polling.

``tasklib.cancel`` of a running task records the request in its row and sends
``NOTIFY tasklib_cancel`` with the id. Every listening worker hears it (``heard``); the one that
runs the task asks ``tasklib.cancel_requests`` who asked and why (``look``) and has the runner
stop it. The same look is the fallback: after (re)connecting the listener, which missed what
was sent meanwhile; every heartbeat round; and every ``poll_interval_seconds`` while tasks run
and nothing listens (``listen_notify=False``, or the listener is down).
"""

from __future__ import annotations

import asyncio
import contextlib

from tasklib.db import statements as sql
from tasklib.worker._outcomes import CancelRequest
from tasklib.worker._reconnect import Connection
from tasklib.worker._runner import Runner


class Cancels:
    """What the listener heard and the heartbeats job looks up (on its own connection)."""

    def __init__(self, worker_id: str, runner: Runner) -> None:
        self._worker_id = worker_id
        self._runner = runner
        self._asked = asyncio.Event()
        # Whether a NOTIFY tasklib_cancel would reach this worker now.
        self.listening = False

    def heard(self, task_id: str) -> None:
        """A NOTIFY tasklib_cancel: look it up if this worker runs that task."""
        if task_id in self._runner.active and not self._runner.stopping(task_id):
            self._asked.set()

    def listener_up(self) -> None:
        """The listener (re)started: requests sent while it was not listening were missed."""
        self.listening = True
        self._asked.set()

    def listener_down(self) -> None:
        """The listener stopped (connection lost, or shutdown): poll until it is back.

        The heartbeats job may be asleep until its next beat: woken, it looks once and then
        polls."""
        self.listening = False
        self._asked.set()

    @property
    def asked(self) -> bool:
        """Whether a look is due now (something was heard, or may have been missed)."""
        return self._asked.is_set()

    async def wait(self, seconds: float) -> None:
        """Return when a look is due, or after ``seconds``."""
        if seconds <= 0 or self._asked.is_set():
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._asked.wait()

    async def look(self, conn: Connection) -> None:
        """Ask the database which of this worker's running tasks are to stop, and stop them."""
        self._asked.clear()
        if not self._runner.active:
            return
        cursor = await conn.execute(sql.CANCEL_REQUESTS, (self._worker_id,))
        for task_id, cancelled_by, reason in await cursor.fetchall():
            self._runner.cancel(CancelRequest(task_id, cancelled_by, reason))
