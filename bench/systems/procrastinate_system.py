"""Procrastinate 3 with its psycopg 3 connector: async tasks, LISTEN/NOTIFY, concurrent worker."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from typing import Any, ClassVar

import procrastinate
import psycopg

from bench import probe, work
from bench.systems.base import System


def make_app(url: str, **pool: Any) -> procrastinate.App:
    """The app both sides share: the same two tasks under fixed names."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url, **pool))

    @app.task(name="noop")
    async def noop() -> None:
        probe.first_task()

    @app.task(name="probe")
    async def probe_task(token: int) -> None:
        probe.task_started(token)

    # The workload tasks: retried at once (its wait is in whole seconds); Procrastinate keeps no
    # result, so the echoed payload is dropped. Sync tasks run in a thread (asgiref).
    retry = procrastinate.RetryStrategy(max_attempts=4, wait=0)

    @app.task(name="work", retry=retry)
    async def work_async(token: int, payload: str, sleep_ms: float, loops: int, fail: bool) -> str:
        return await work.run_async(token, payload, sleep_ms, loops, fail)

    @app.task(name="cpu", retry=retry)
    def work_sync(token: int, payload: str, sleep_ms: float, loops: int, fail: bool) -> str:
        return work.run_sync(token, payload, sleep_ms, loops, fail)

    return app


class Procrastinate(System):
    name = "procrastinate"
    label = "Procrastinate"
    backend = "postgresql"
    packages = ("procrastinate", "psycopg")
    # Async tasks run concurrently inside one worker; listen_notify wakes it at once, and the
    # polling interval is only the fallback. Jobs are kept (delete_jobs="never", the default).
    defaults: ClassVar[dict[str, Any]] = {"concurrency": 10, "listen_notify": True}

    async def setup(self) -> None:
        # The concurrent-producers workload sizes the client's pool to its producers.
        pool = {"max_size": self.settings["client_pool"]} if "client_pool" in self.settings else {}
        self.app = make_app(self.target, **pool)
        await self.app.open_async()
        self.conn = await psycopg.AsyncConnection.connect(self.target, autocommit=True)
        # Each workload sets the system up again on the same database.
        row = await (
            await self.conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
        ).fetchone()
        if not (row and row[0]):
            await self.app.schema_manager.apply_schema_async()

    async def reset(self) -> None:
        await self.conn.execute(
            "TRUNCATE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,"
            " procrastinate_workers CASCADE"
        )

    async def submit_noop(self) -> None:
        await self.app.tasks["noop"].defer_async()

    async def submit_noops(self, n: int) -> None:
        await self.app.tasks["noop"].batch_defer_async(*({} for _ in range(n)))

    async def submit_probe(self, token: int) -> None:
        await self.app.tasks["probe"].defer_async(token=token)

    async def unfinished(self) -> bool:
        row = await (
            await self.conn.execute(
                "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs WHERE status IN ('todo', 'doing'))"
            )
        ).fetchone()
        return bool(row and row[0])

    async def completed(self) -> int:
        row = await (
            await self.conn.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'"
            )
        ).fetchone()
        return int(row[0]) if row else 0

    async def close(self) -> None:
        await self.conn.close()
        await self.app.close_async()

    def workload_settings(
        self, concurrency: int, processes: int, sync: bool
    ) -> tuple[dict[str, Any], int]:
        return {"concurrency": concurrency}, processes

    async def submit_work(self, items: Sequence[work.WorkItem]) -> list[float] | None:
        def options(item: work.WorkItem) -> tuple[tuple[str, Any], ...]:
            found: list[tuple[str, Any]] = [("task", "cpu" if item.sync else "work")]
            if item.priority is not None:
                found.append(("priority", item.priority))
            if item.delay_seconds:
                found.append(("schedule_in", item.delay_seconds))
            return tuple(found)

        # batch_defer takes one set of options: a batch is deferred in groups that share them.
        for key, group in itertools.groupby(sorted(items, key=options), key=options):
            given = dict(key)
            task = self.app.tasks[given.pop("task")]
            if "schedule_in" in given:
                given["schedule_in"] = {"seconds": given["schedule_in"]}
            deferrer = task.configure(**given) if given else task
            batch = [item.arguments() for item in group]
            if len(batch) == 1:
                await deferrer.defer_async(**batch[0])
            else:
                await deferrer.batch_defer_async(*batch)
        return None


def serve(url: str, settings: dict[str, Any]) -> None:
    async def main() -> None:
        app = make_app(url)
        async with app.open_async():
            await app.run_worker_async(
                concurrency=settings["concurrency"],
                listen_notify=settings["listen_notify"],
                install_signal_handlers=True,
            )

    asyncio.run(main())


SYSTEM = Procrastinate
