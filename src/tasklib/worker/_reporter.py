"""Records outcomes in batches through tasklib.complete and tasklib.fail, surviving disconnects."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
import psycopg.errors

from tasklib.db import statements as sql
from tasklib.db.statements import TaskId
from tasklib.errors import DatabaseUnavailableError
from tasklib.worker._outcomes import clean_error
from tasklib.worker._reconnect import Connection, ReconnectingConnection

log = logging.getLogger("tasklib.worker")


class Reporter:
    """Collects finished tasks and writes them in as few round trips as possible.

    ``complete`` and ``fail`` only append to lists; ``run`` sends whatever has gathered, one
    batch at a time, so a batch grows while the previous one is in flight. A batch stays in
    memory until the database has answered, across reconnects: complete and fail only touch
    tasks still running under this worker, so sending a batch twice changes nothing.
    """

    def __init__(
        self,
        db: ReconnectingConnection,
        worker_id: str,
        *,
        max_batch: int,
        linger_seconds: float,
        on_retry_scheduled: Callable[[], None],
    ) -> None:
        self._db = db
        self._worker_id = worker_id
        self._max_batch = max_batch
        self._linger = linger_seconds
        self._on_retry_scheduled = on_retry_scheduled
        self._done_ids: list[TaskId] = []
        self._done_results: list[str] = []
        self._failed_ids: list[TaskId] = []
        self._failed_errors: list[str] = []
        self._failed_retryable: list[bool] = []
        self._in_flight: list[TaskId] = []
        self._ready = asyncio.Event()
        self._recorded = asyncio.Event()
        self._closing = False
        self.refused = 0

    def complete(self, task_id: TaskId, result_json: str) -> None:
        """Queue a success; ``result_json`` is the JSON text of the return value."""
        self._done_ids.append(task_id)
        self._done_results.append(result_json)
        if len(self._done_ids) == 1 or len(self._done_ids) >= self._max_batch:
            self._ready.set()

    def fail(self, task_id: TaskId, error: str, retryable: bool) -> None:
        """Queue a failed attempt with its error text."""
        self._failed_ids.append(task_id)
        self._failed_errors.append(error)
        self._failed_retryable.append(retryable)
        self._ready.set()

    def unreported(self) -> list[TaskId]:
        """Ids whose outcome is known here but not yet recorded (their leases must stay alive)."""
        return [*self._done_ids, *self._failed_ids, *self._in_flight]

    def pending(self) -> int:
        """How many outcomes wait to be recorded."""
        return len(self._done_ids) + len(self._failed_ids) + len(self._in_flight)

    async def wait_for_progress(self) -> None:
        """Return once the next batch has been recorded."""
        self._recorded.clear()
        await self._recorded.wait()

    async def run(self) -> None:
        """Send batches until ``close`` is called and nothing is left."""
        while True:
            await self._ready.wait()
            if (
                not self._closing
                and self._linger > 0
                and len(self._done_ids) + len(self._failed_ids) < self._max_batch
            ):
                await asyncio.sleep(self._linger)
            self._ready.clear()
            if self._done_ids or self._failed_ids:
                await self._send_batch()
            if self._closing and not (self._done_ids or self._failed_ids):
                return

    def close(self) -> None:
        """Ask ``run`` to send what is left and return (set the db's give_up_at to bound it)."""
        self._closing = True
        self._ready.set()

    async def _send_batch(self) -> None:
        done_ids, self._done_ids = (
            self._done_ids[: self._max_batch],
            self._done_ids[self._max_batch :],
        )
        results, self._done_results = (
            self._done_results[: self._max_batch],
            self._done_results[self._max_batch :],
        )
        failed_ids, self._failed_ids = self._failed_ids, []
        errors, self._failed_errors = self._failed_errors, []
        retryable, self._failed_retryable = self._failed_retryable, []
        if self._done_ids:
            self._ready.set()
        self._in_flight = done_ids + failed_ids
        try:
            await self._db.run(
                lambda conn: self._record(conn, done_ids, results, failed_ids, errors, retryable)
            )
        except DatabaseUnavailableError:
            # Shutdown gave up waiting for the database: keep the outcomes so the caller can
            # count them; their tasks run again once their leases expire.
            self._done_ids[:0] = done_ids
            self._done_results[:0] = results
            self._failed_ids[:0] = failed_ids
            self._failed_errors[:0] = errors
            self._failed_retryable[:0] = retryable
            raise
        finally:
            self._in_flight = []
        self._recorded.set()

    async def _record(
        self,
        conn: Connection,
        done_ids: list[TaskId],
        results: list[str],
        failed_ids: list[TaskId],
        errors: list[str],
        retryable: list[bool],
    ) -> None:
        try:
            async with conn.pipeline():
                done = await self._send_complete(conn, done_ids, results) if done_ids else None
                failed = (
                    await conn.execute(
                        sql.FAIL, (self._worker_id, sql.id_array(failed_ids), errors, retryable)
                    )
                    if failed_ids
                    else None
                )
            done_row = await done.fetchone() if done else None
            recorded = int(done_row[0]) if done_row else 0
            fail_rows = await failed.fetchall() if failed else []
        except psycopg.errors.DataError as error:
            # A value the database cannot store (e.g. text it cannot encode): a property of
            # the value, so isolate it and fail that task instead of the whole batch.
            if len(done_ids) + len(failed_ids) == 1:
                await self._record_one_bad(conn, done_ids, failed_ids, error)
                return
            # One bad row fails the whole statement; find it by recording one at a time.
            for task_id, result in zip(done_ids, results, strict=True):
                await self._record(conn, [task_id], [result], [], [], [])
            for task_id, text, flag in zip(failed_ids, errors, retryable, strict=True):
                await self._record(conn, [], [], [task_id], [text], [flag])
            return
        recorded += len(fail_rows)
        refused = len(done_ids) + len(failed_ids) - recorded
        if refused:
            self.refused += refused
            log.warning(
                "%d finished task(s) were no longer held by this worker (lease lost); "
                "their results were not recorded and they run again elsewhere",
                refused,
            )
        if any(row[1] is not None for row in fail_rows):
            self._on_retry_scheduled()

    async def _send_complete(
        self, conn: Connection, done_ids: list[TaskId], results: list[str]
    ) -> psycopg.AsyncCursor[tuple[int]]:
        ids = sql.id_array(done_ids)
        # Most tasks return nothing: complete() stores a null result for every id on its own.
        if all(result == "null" for result in results):
            return await conn.execute(sql.COMPLETE_WITHOUT_RESULTS, (self._worker_id, ids))
        return await conn.execute(sql.COMPLETE, (self._worker_id, ids, sql.json_array(results)))

    async def _record_one_bad(
        self,
        conn: Connection,
        done_ids: list[TaskId],
        failed_ids: list[TaskId],
        error: psycopg.Error,
    ) -> None:
        reason = clean_error(str(error).strip())
        if done_ids:
            log.error("the result of task %s was refused by the database: %s", done_ids[0], reason)
            await self._record(
                conn,
                [],
                [],
                done_ids,
                [f"ResultNotStorable: the database refused the return value: {reason}"],
                [False],
            )
            return
        log.error(
            "the failure of task %s could not be recorded (%s); it runs again after its lease",
            failed_ids[0],
            reason,
        )
