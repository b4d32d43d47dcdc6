"""Announces the worker in tasklib.workers, keeps the leases of the tasks it holds alive, and
looks up the cancellations of the tasks it runs."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import socket
import uuid

import psycopg

from tasklib import progress
from tasklib.config import Config
from tasklib.db import statements as sql
from tasklib.db.statements import TaskId
from tasklib.errors import (
    ConfigurationError,
    DatabaseUnavailableError,
    SchemaMissingError,
    TaskLibError,
    TaskTypeConflictError,
    translate,
)
from tasklib.registry import registered_tasks
from tasklib.task_types import register_task_types_async
from tasklib.worker._cancels import Cancels
from tasklib.worker._leases import Leases
from tasklib.worker._reconnect import Connection, ReconnectingConnection
from tasklib.worker._reporter import Reporter
from tasklib.worker._runner import Runner
from tasklib.worker._tasklog import TaskLog

log = logging.getLogger("tasklib.worker")


class Heartbeats:
    """Every ``lease_seconds / 3``, one ``tasklib.heartbeat`` for every task this worker holds.

    The same beat refreshes the worker's row in tasklib.workers, except with ``quiet_idle``
    while the worker holds nothing and its listener is up.

    A task is held while it runs and until its outcome is recorded. A task missing from the
    heartbeat's answer was lost (the worker stalled past its lease and another worker took it
    over): it is stopped here and its outcome is never reported.

    The same connection serves the cancellation requests of the running tasks (see _cancels):
    a look after each heartbeat, at once when the listener heard one (or reconnected), and
    every ``poll_interval_seconds`` while nothing listens.
    """

    def __init__(
        self,
        db: ReconnectingConnection,
        *,
        worker_id: str,
        registration: uuid.UUID,
        queues: list[str] | None,
        concurrency: int,
        config: Config,
        runner: Runner,
        reporter: Reporter,
        leases: Leases,
        task_log: TaskLog,
        cancels: Cancels,
    ) -> None:
        self._db = db
        self._cancels = cancels
        self._task_log = task_log
        self._worker_id = worker_id
        self._registration = registration
        self._leases = leases
        self._name_taken = False
        self._queues = queues
        self._concurrency = concurrency
        self._config = config
        self._runner = runner
        self._reporter = reporter

    async def announce(self) -> None:
        """Register the task types this process defines, then the worker itself (at start-up).

        No retry: this is the worker's first use of the database, where a connection that
        cannot be made (DatabaseUnavailableError) or a schema that is missing
        (SchemaMissingError) means the worker cannot start.
        """
        try:
            await self._announce(await self._db.connection())
        except psycopg.Error as error:
            raise translate(error) from error

    async def run(self) -> None:
        """Renew leases and look up cancellations until cancelled (``announce`` has run)."""
        loop = asyncio.get_running_loop()
        interval = self._config.lease_seconds / 3
        poll = self._config.poll_interval_seconds
        cancels = self._cancels
        next_beat = loop.time() + interval
        while True:
            wait = next_beat - loop.time()
            await cancels.wait(wait if cancels.listening else min(wait, poll))
            if loop.time() >= next_beat:
                next_beat = loop.time() + interval
                await self._renew()
            elif cancels.asked or not cancels.listening:
                await self._db.run(cancels.look)

    async def _renew(self) -> None:
        ids = [*self._runner.active, *self._reporter.unreported()]
        if not ids and self._config.quiet_idle and self._cancels.listening:
            # Quiet while idle: no lease to keep, so tasklib.workers.last_seen_at is left at
            # the last beat while the worker held tasks (docs/poolers.md).
            return
        held = await self._db.run(functools.partial(self._beat, ids=ids))
        lost = [i for i in ids if i not in held and i in self._runner.active]
        for task_id in lost:
            self._task_log.lease_lost(task_id)
            self._runner.give_up(task_id)
        self._leases.forget(lost)
        # A request whose NOTIFY came before this worker knew the task (its claim's answer
        # still on the way) was not looked up then.
        await self._db.run(self._cancels.look)

    async def _beat(self, conn: Connection, *, ids: list[TaskId]) -> set[TaskId]:
        seen = await conn.execute(
            sql.SEEN, (self._worker_id, self._registration, self._config.lease_seconds)
        )
        self._check_name((await seen.fetchone() or (None,))[0])
        if not ids:
            return set()
        cursor = await conn.execute(
            sql.HEARTBEAT,
            (
                self._worker_id,
                sql.id_array(ids),
                self._leases.tokens_of(ids),
                self._config.lease_seconds,
            ),
        )
        held = {row[0] for row in await cursor.fetchall()}
        reported, reports = progress.take([task_id for task_id in ids if task_id in held])
        if reported:
            await conn.execute(
                sql.REPORT_PROGRESS,
                (
                    self._worker_id,
                    sql.id_array(reported),
                    self._leases.tokens_of(reported),
                    reports,
                ),
            )
        return held

    def _check_name(self, seen: object) -> None:
        """Warn once when another live process holds this worker's name in tasklib.workers."""
        taken = seen is None
        if taken and not self._name_taken:
            log.warning(
                "another live process is registered as worker %s in tasklib.workers; this "
                "worker runs tasks but is not shown there: give each worker a unique name",
                self._worker_id,
            )
        self._name_taken = taken

    async def _announce(self, conn: Connection) -> None:
        """Register the task types this process defines, then the worker itself."""
        try:
            await register_task_types_async(conn, config=self._config)
        except (DatabaseUnavailableError, SchemaMissingError):
            raise
        except TaskTypeConflictError:
            # One statement registers every type; one stored with another definition refused
            # them all. Register one at a time so the others are recorded, and say which.
            await self._register_one_by_one(conn)
        except TaskLibError as error:
            # SQL submitters lose the defaults and schema checks; Python ones are unaffected.
            log.error("could not record the task types in tasklib.task_types: %s", error)
        info = {"host": socket.gethostname(), "pid": os.getpid(), "tasks": len(registered_tasks())}
        cursor = await conn.execute(
            sql.ANNOUNCE,
            (
                self._worker_id,
                self._registration,
                self._queues,
                self._concurrency,
                json.dumps(info),
                sorted(registered_tasks()),
                self._config.lease_seconds,
            ),
        )
        seen = (await cursor.fetchone() or (None,))[0]
        if seen is None:
            # Two processes under one name would hand back each other's tasks at shutdown.
            raise ConfigurationError(
                f"worker id {self._worker_id!r} is held by another live worker (heard from "
                f"within its lease of {self._config.lease_seconds:g} s): give each worker a "
                "unique --worker-id, or leave it unset for a generated one"
            )

    async def _register_one_by_one(self, conn: Connection) -> None:
        for name, definition in sorted(registered_tasks().items()):
            try:
                await register_task_types_async(conn, [definition], config=self._config)
            except TaskTypeConflictError as error:
                # Another definition is stored (an older release of the task, another
                # service); it stays in force for SQL submitters until an admin changes it.
                log.warning(
                    "task %s: %s. The stored definition stays in force for SQL submitters "
                    "(this worker runs the task as defined here): `tasklib register` run as "
                    "a login in tasklib_admin changes it",
                    name,
                    error,
                )
            except (DatabaseUnavailableError, SchemaMissingError):
                raise
            except TaskLibError as error:
                log.error("could not record task %s in tasklib.task_types: %s", name, error)


async def unregister(conn: Connection, worker_id: str, registration: uuid.UUID) -> None:
    """Remove the worker from tasklib.workers (at the end of a graceful shutdown)."""
    await conn.execute(sql.UNREGISTER, (worker_id, registration))
