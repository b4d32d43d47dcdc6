"""Announces the worker in tasklib.workers and keeps the leases of the tasks it holds alive."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import socket

import psycopg

from tasklib.config import Config
from tasklib.db import statements as sql
from tasklib.db.statements import TaskId
from tasklib.errors import DatabaseUnavailableError, SchemaMissingError, TaskLibError, translate
from tasklib.registry import registered_tasks
from tasklib.task_types import register_task_types_async
from tasklib.worker._reconnect import Connection, ReconnectingConnection
from tasklib.worker._reporter import Reporter
from tasklib.worker._runner import Runner
from tasklib.worker._tasklog import TaskLog

log = logging.getLogger("tasklib.worker")


class Heartbeats:
    """Every ``lease_seconds / 3``, one ``tasklib.heartbeat`` for every task this worker holds.

    A task is held while it runs and until its outcome is recorded. A task missing from the
    heartbeat's answer was lost (the worker stalled past its lease and another worker took it
    over): it is stopped here and its outcome is never reported.
    """

    def __init__(
        self,
        db: ReconnectingConnection,
        *,
        worker_id: str,
        queues: list[str] | None,
        concurrency: int,
        config: Config,
        runner: Runner,
        reporter: Reporter,
        task_log: TaskLog,
    ) -> None:
        self._db = db
        self._task_log = task_log
        self._worker_id = worker_id
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
        """Renew leases until cancelled (``announce`` has run)."""
        interval = self._config.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            ids = [*self._runner.active, *self._reporter.unreported()]
            held = await self._db.run(functools.partial(self._beat, ids=ids))
            lost = [i for i in ids if i not in held and i in self._runner.active]
            for task_id in lost:
                self._task_log.lease_lost(task_id)
                self._runner.give_up(task_id)

    async def _beat(self, conn: Connection, *, ids: list[TaskId]) -> set[TaskId]:
        await conn.execute(sql.SEEN, (self._worker_id,))
        if not ids:
            return set()
        cursor = await conn.execute(
            sql.HEARTBEAT, (self._worker_id, sql.id_array(ids), self._config.lease_seconds)
        )
        return {row[0] for row in await cursor.fetchall()}

    async def _announce(self, conn: Connection) -> None:
        """Register the task types this process defines, then the worker itself."""
        try:
            await register_task_types_async(conn, config=self._config)
        except (DatabaseUnavailableError, SchemaMissingError):
            raise
        except TaskLibError as error:
            # SQL submitters lose the defaults and schema checks; Python ones are unaffected.
            log.error("could not record the task types in tasklib.task_types: %s", error)
        info = {"host": socket.gethostname(), "pid": os.getpid(), "tasks": len(registered_tasks())}
        await conn.execute(
            sql.ANNOUNCE, (self._worker_id, self._queues, self._concurrency, json.dumps(info))
        )


async def unregister(conn: Connection, worker_id: str) -> None:
    """Remove the worker from tasklib.workers (at the end of a graceful shutdown)."""
    await conn.execute(sql.UNREGISTER, (worker_id,))
