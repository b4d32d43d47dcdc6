"""The worker's one LISTEN connection, for submissions, cancellations and schedule changes.

A LISTEN lives in a server session, which a transaction-mode pooler does not keep for a client:
this connection goes to ``Config.listen_url`` when it is set (a direct connection), and every
other connection of the worker to ``database_url`` (the pooler). One connection carries every
channel, so a worker holds one session outside the pooler, whatever it listens for.
"""

from __future__ import annotations

from collections.abc import Callable

from tasklib.db import statements as sql
from tasklib.worker._cancels import Cancels
from tasklib.worker._reconnect import Connection, ReconnectingConnection

LISTENS = (sql.LISTEN, sql.LISTEN_CANCEL, sql.LISTEN_SCHEDULES)


class Listener:
    """Hands each notification to the part of the worker it is for, and says when it listens.

    ``NOTIFY tasklib_submitted`` (payload: the queue) wakes the claim loop when it is for one
    of the worker's queues; ``tasklib_cancel`` goes to the cancellations; ``tasklib_schedules``
    wakes the scheduler. A quiet worker (``delayed`` given) also hears ``tasklib_delayed`` (a
    delayed task submitted), which has its idle claim loop ask when that falls due. While the
    connection is down each of them polls instead, and when it is back each looks once, since
    what was sent meanwhile reached nobody here.
    """

    def __init__(
        self,
        *,
        queues: list[str] | None,
        wake_claims: Callable[[], None],
        delayed: Callable[[], None] | None,
        cancels: Cancels,
        schedules_changed: Callable[[], None],
        listening_changed: Callable[[bool], None],
    ) -> None:
        self._queues = frozenset(queues) if queues is not None else None
        self._wake_claims = wake_claims
        self._delayed = delayed
        self._cancels = cancels
        self._schedules_changed = schedules_changed
        self._listening_changed = listening_changed

    async def run(self, db: ReconnectingConnection) -> None:
        """Listen on ``db`` until cancelled, reconnecting when the connection is lost."""
        while True:
            await db.run(self._listen)

    async def _listen(self, conn: Connection) -> None:
        for statement in LISTENS:
            await conn.execute(statement)
        if self._delayed is not None:
            await conn.execute(sql.LISTEN_DELAYED)
        self._up(True)
        queues = self._queues
        try:
            async for notify in conn.notifies():
                if notify.channel == sql.CANCEL_CHANNEL:
                    self._cancels.heard(notify.payload)
                elif notify.channel == sql.SCHEDULES_CHANNEL:
                    self._schedules_changed()
                elif queues is not None and notify.payload not in queues:
                    continue
                elif notify.channel == sql.DELAYED_CHANNEL:
                    if self._delayed is not None:
                        self._delayed()
                else:
                    self._wake_claims()
        finally:
            # Lost, or stopped: until it listens again, the others poll.
            self._up(False)

    def _up(self, listening: bool) -> None:
        if listening:
            self._cancels.listener_up()
        else:
            self._cancels.listener_down()
        self._listening_changed(listening)
        # Either way the claim loop and the scheduler look once: what was sent while this
        # connection was not listening reached nobody here, and while it is down they poll.
        self._wake_claims()
        self._schedules_changed()


__all__ = ["LISTENS", "Listener"]
