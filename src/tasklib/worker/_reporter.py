"""Records outcomes in batches (tasklib.complete, fail, rate_limited), surviving disconnects."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

import psycopg
import psycopg.errors

from tasklib.db import statements as sql
from tasklib.db.statements import TaskId
from tasklib.errors import DatabaseUnavailableError
from tasklib.models import TaskState
from tasklib.worker._leases import Leases
from tasklib.worker._outcomes import Cancelled, Completed, Failed, Outcome, Throttled, clean_error
from tasklib.worker._reconnect import Connection, ReconnectingConnection
from tasklib.worker._tasklog import TaskLog

log = logging.getLogger("tasklib.worker")

# Told of each outcome once the database has answered for it: the state it left the task in and
# when its retry is due; (None, None) when the database refused it (the task was not held).
OnRecorded = Callable[[Outcome, TaskState | None, datetime | None], None]


class Reporter:
    """Collects outcomes and writes them in as few round trips as possible.

    ``add`` only appends to a list; ``run`` sends whatever has gathered, one batch at a time, so
    a batch grows while the previous one is in flight. A batch stays in memory until the
    database has answered, across reconnects: complete, fail and rate_limited only touch tasks
    still running under the lease token of this worker's claim, so sending a batch twice
    changes nothing.
    """

    def __init__(
        self,
        db: ReconnectingConnection,
        worker_id: str,
        *,
        leases: Leases,
        max_batch: int,
        linger_seconds: float,
        on_retry_scheduled: Callable[[], None],
        task_log: TaskLog,
    ) -> None:
        self._db = db
        self._task_log = task_log
        self._worker_id = worker_id
        self._leases = leases
        self._max_batch = max_batch
        self._linger = linger_seconds
        self._on_retry_scheduled = on_retry_scheduled
        self._waiting: list[Outcome] = []
        self._in_flight: list[Outcome] = []
        self._ready = asyncio.Event()
        self._recorded = asyncio.Event()
        self._closing = False
        self.on_recorded: OnRecorded | None = None

    def add(self, outcome: Outcome) -> None:
        """Queue an outcome to be recorded."""
        self._waiting.append(outcome)
        # The first outcome wakes the sender, which takes whatever gathered in the meantime.
        if len(self._waiting) == 1:
            self._ready.set()

    def unreported(self) -> list[TaskId]:
        """Ids whose outcome is known here but not yet recorded (their leases must stay alive)."""
        return [outcome.task_id for outcome in (*self._waiting, *self._in_flight)]

    def pending(self) -> int:
        """How many outcomes wait to be recorded."""
        return len(self._waiting) + len(self._in_flight)

    async def wait_for_progress(self) -> None:
        """Return once the next batch has been recorded."""
        self._recorded.clear()
        await self._recorded.wait()

    @property
    def recorded(self) -> asyncio.Event:
        """Set each time a batch has been recorded (clear it to wait for the next one)."""
        return self._recorded

    async def run(self) -> None:
        """Send batches until ``close`` is called and nothing is left."""
        while True:
            await self._ready.wait()
            if not self._closing and self._linger > 0 and len(self._waiting) < self._max_batch:
                await asyncio.sleep(self._linger)
            self._ready.clear()
            if self._waiting:
                await self._send_batch()
            if self._closing and not self._waiting:
                return

    def close(self) -> None:
        """Ask ``run`` to send what is left and return (set the db's give_up_at to bound it)."""
        self._closing = True
        self._ready.set()

    async def _send_batch(self) -> None:
        batch = self._waiting[: self._max_batch]
        del self._waiting[: self._max_batch]
        if self._waiting:
            self._ready.set()
        self._in_flight = batch
        sends = 0

        async def send(conn: Connection) -> None:
            nonlocal sends
            sends += 1
            await self._record(conn, batch, resent=sends > 1)

        try:
            await self._db.run(send)
        except DatabaseUnavailableError:
            # Shutdown gave up waiting for the database: keep the outcomes so the caller can
            # count them; their tasks run again once their leases expire.
            self._waiting[:0] = batch
            raise
        finally:
            self._in_flight = []
        # Recorded or refused: either way this worker no longer holds those tasks.
        self._leases.forget([outcome.task_id for outcome in batch])
        self._recorded.set()

    async def _record(
        self, conn: Connection, batch: list[Outcome], *, resent: bool = False
    ) -> None:
        done = [outcome for outcome in batch if type(outcome) is Completed]
        # A run stopped by its cancellation is recorded through fail, which ends it cancelled.
        failures = [o for o in batch if type(o) is Failed or type(o) is Cancelled]
        throttles = [outcome for outcome in batch if type(outcome) is Throttled]
        try:
            async with conn.pipeline():
                completing = await self._send_complete(conn, done) if done else None
                failing = await self._send_fail(conn, failures) if failures else None
                handing_back = await self._send_rate_limited(conn, throttles) if throttles else None
            not_completed = await _not_completed(completing, done) if completing else set()
            fail_rows = await failing.fetchall() if failing else []
            handed_back = (
                {row[0] for row in await handing_back.fetchall()} if handing_back else set()
            )
        except psycopg.Error as error:
            if not _refuses_a_value(error, throttled=bool(throttles)):
                raise
            # A value the database cannot store (e.g. text it cannot encode, a retry_after past
            # its limits): a property of the value, so isolate it and fail that task instead of
            # the whole batch.
            if len(batch) == 1:
                await self._record_one_bad(conn, batch[0], error)
                return
            # One bad row fails the whole statement; find it by recording one at a time.
            for outcome in batch:
                await self._record(conn, [outcome])
            return
        if done:
            self._task_log.completed(done, not_completed, resent=resent)
        if failures:
            _tell_failures(self._task_log, failures, fail_rows, resent=resent)
        if throttles:
            self._task_log.throttled(throttles, handed_back, resent=resent)
        if self.on_recorded is not None:
            _tell(self.on_recorded, done, not_completed, failures, fail_rows)
            for throttle in throttles:
                handed = throttle.task_id in handed_back
                self.on_recorded(throttle, "pending" if handed else None, None)
        # The claim loop may be sleeping past the time a retry (or a handed-back task) is due.
        if handed_back or any(row[2] is not None for row in fail_rows):
            self._on_retry_scheduled()

    async def _send_complete(
        self, conn: Connection, done: list[Completed]
    ) -> psycopg.AsyncCursor[tuple[int, list[UUID] | None]]:
        ids = [c.task_id for c in done]
        params = {
            "worker": self._worker_id,
            "ids": sql.id_array(ids),
            "tokens": self._leases.tokens_of(ids),
            "n": len(done),
        }
        results = [c.result_json for c in done]
        # Most tasks return nothing: complete() stores a null result for every id on its own.
        if results.count("null") == len(results):
            return await conn.execute(sql.COMPLETE_WITHOUT_RESULTS, params)
        return await conn.execute(sql.COMPLETE, {**params, "results": sql.json_array(results)})

    async def _send_fail(
        self, conn: Connection, failures: list[Failed | Cancelled]
    ) -> psycopg.AsyncCursor[tuple[TaskId, TaskState, datetime | None]]:
        ids = [f.task_id for f in failures]
        return await conn.execute(
            sql.FAIL,
            (
                self._worker_id,
                sql.id_array(ids),
                self._leases.tokens_of(ids),
                [f.error for f in failures],
                [type(f) is Failed and f.retryable for f in failures],
            ),
        )

    async def _send_rate_limited(
        self, conn: Connection, throttles: list[Throttled]
    ) -> psycopg.AsyncCursor[tuple[TaskId]]:
        ids = [t.task_id for t in throttles]
        scopes = [t.scope for t in throttles]
        return await conn.execute(
            sql.RATE_LIMITED,
            (
                self._worker_id,
                sql.id_array(ids),
                self._leases.tokens_of(ids),
                [t.retry_after for t in throttles],
                scopes if any(scope is not None for scope in scopes) else None,
            ),
        )

    async def _record_one_bad(
        self, conn: Connection, outcome: Outcome, error: psycopg.Error
    ) -> None:
        reason = clean_error(str(error).strip())
        if type(outcome) is Completed:
            log.error(
                "the result of task %s was refused by the database: %s", outcome.task_id, reason
            )
            unstorable = f"ResultNotStorable: the database refused the return value: {reason}"
            await self._record(conn, [Failed(outcome.task_id, unstorable, False)])
            return
        if type(outcome) is Throttled:
            log.error(
                "task %s raised RateLimited(retry_after=%g), which the database refused: %s",
                outcome.task_id,
                outcome.retry_after,
                reason,
            )
            refused = (
                f"RateLimited: the database refused retry_after={outcome.retry_after:g}: {reason}"
            )
            await self._record(conn, [Failed(outcome.task_id, refused, True)])
            return
        log.error(
            "the failure of task %s could not be recorded (%s); it runs again after its lease",
            outcome.task_id,
            reason,
        )
        self._task_log.forget(outcome.task_id)
        if self.on_recorded is not None:
            self.on_recorded(outcome, None, None)


def _refuses_a_value(error: psycopg.Error, *, throttled: bool) -> bool:
    """Whether the database refused a value of the batch rather than the batch's statements.

    rate_limited checks each retry_after against the database's limits (TL002, naming it).
    """
    return isinstance(error, psycopg.errors.DataError) or (throttled and error.sqlstate == "TL002")


async def _not_completed(
    cursor: psycopg.AsyncCursor[tuple[int, list[UUID] | None]], done: list[Completed]
) -> set[TaskId]:
    """The ids of ``done`` that the complete statement answered for and did not complete."""
    row = await cursor.fetchone()
    if row is None or row[0] == len(done):
        return set()
    completed = {str(task_id) for task_id in row[1] or ()}
    return {c.task_id for c in done if c.task_id not in completed}


def _tell_failures(
    task_log: TaskLog,
    failures: list[Failed | Cancelled],
    fail_rows: list[tuple[TaskId, TaskState, datetime | None]],
    *,
    resent: bool,
) -> None:
    """Log each recorded failure with the state it reached (None: refused, lease lost)."""
    recorded = {row[0]: row for row in fail_rows}
    for failure in failures:
        row = recorded.get(failure.task_id)
        if isinstance(failure, Cancelled):
            task_log.cancelled(failure, None if row is None else row[1], resent=resent)
        elif row is None:
            task_log.failed(failure, None, None, resent=resent)
        else:
            task_log.failed(failure, row[1], row[2])


def _tell(
    on_recorded: OnRecorded,
    done: list[Completed],
    not_completed: set[TaskId],
    failures: list[Failed | Cancelled],
    fail_rows: list[tuple[TaskId, TaskState, datetime | None]],
) -> None:
    """Pass each outcome of a recorded batch to ``on_recorded`` with the state it reached."""
    for completed in done:
        if completed.task_id in not_completed:
            on_recorded(completed, None, None)
        else:
            on_recorded(completed, "completed", None)
    recorded = {row[0]: row for row in fail_rows}
    for failure in failures:
        row = recorded.get(failure.task_id)
        if row is None:
            on_recorded(failure, None, None)
        else:
            on_recorded(failure, row[1], row[2])
