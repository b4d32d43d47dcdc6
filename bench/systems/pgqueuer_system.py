"""PgQueuer with its asyncpg driver: batched dequeue, LISTEN/NOTIFY, uvloop as its CLI runs it."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, ClassVar

import asyncpg
from pgqueuer import AsyncpgDriver, AsyncpgPoolDriver, Job, PgQueuer, Queries
from pgqueuer.executors import DatabaseRetryEntrypointExecutor, EntrypointExecutorParameters

from bench import probe, work
from bench.systems.base import System


class PgQueuerSystem(System):
    name = "pgqueuer"
    label = "PgQueuer"
    backend = "postgresql"
    packages = ("pgqueuer", "asyncpg", "uvloop")
    # batch_size: each dequeue takes up to that many jobs and completions are logged in batches
    # of the same size (its job-status buffer), which is what makes PgQueuer fast on short jobs.
    # 400 drained fastest in a sweep of 100, 400 and 1,000 (docs/benchmarks.md).
    defaults: ClassVar[dict[str, Any]] = {
        "batch_size": 400,
        "driver": "asyncpg",
        "event_loop": "uvloop",
    }

    async def setup(self) -> None:
        self.conn = await asyncpg.connect(dsn=self.target)
        self.queries = Queries(AsyncpgDriver(self.conn))
        # Each workload sets the system up again on the same database.
        if not await self.conn.fetchval("SELECT to_regclass('pgqueuer') IS NOT NULL"):
            await self.queries.install()
        self.pool: asyncpg.Pool | None = None
        if "client_pool" in self.settings:
            # One asyncpg connection serves one query at a time: concurrent producers need a pool.
            self.pool = await asyncpg.create_pool(
                dsn=self.target, min_size=1, max_size=self.settings["client_pool"]
            )
            self.queries = Queries(AsyncpgPoolDriver(self.pool))

    async def reset(self) -> None:
        await self.conn.execute("TRUNCATE pgqueuer, pgqueuer_log, pgqueuer_statistics")

    async def submit_noop(self) -> None:
        await self.queries.enqueue("noop", None)

    async def submit_noops(self, n: int) -> None:
        await self.queries.enqueue(["noop"] * n, [None] * n, [0] * n)

    async def submit_probe(self, token: int) -> None:
        await self.queries.enqueue("probe", str(token).encode())

    async def unfinished(self) -> bool:
        # A finished job leaves the queue table (moved to pgqueuer_log when its batch flushes).
        return bool(await self.conn.fetchval("SELECT EXISTS (SELECT 1 FROM pgqueuer)"))

    async def completed(self) -> int:
        value = await self.conn.fetchval(
            "SELECT count(*) FROM pgqueuer_log WHERE status = 'successful'"
        )
        return int(value)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
        await self.conn.close()

    def workload_settings(
        self, concurrency: int, processes: int, sync: bool
    ) -> tuple[dict[str, Any], int]:
        # max_concurrent_tasks caps the jobs a worker holds and must be at least twice the
        # dequeue batch; the batch is the best no-op setting (400) where the cap allows it.
        batch = max(1, min(self.defaults["batch_size"], concurrency // 2))
        return {"batch_size": batch, "max_concurrent_tasks": max(concurrency, 2 * batch)}, processes

    async def submit_work(self, items: Sequence[work.WorkItem]) -> list[float] | None:
        names = ["cpu" if item.sync else "work" for item in items]
        payloads: list[bytes | None] = [json.dumps(item.arguments()).encode() for item in items]
        priorities = [item.priority or 0 for item in items]
        delays = [
            timedelta(seconds=item.delay_seconds) if item.delay_seconds else None for item in items
        ]
        if len(items) == 1:
            await self.queries.enqueue(names[0], payloads[0], priorities[0], delays[0])
        else:
            await self.queries.enqueue(names, payloads, priorities, delays)
        return None


def serve(url: str, settings: dict[str, Any]) -> None:
    async def main() -> None:
        pgq = PgQueuer(AsyncpgDriver(await asyncpg.connect(dsn=url)))

        @pgq.entrypoint("noop")
        async def noop(job: Job) -> None:
            probe.first_task()

        @pgq.entrypoint("probe")
        async def probe_task(job: Job) -> None:
            probe.task_started(int(job.payload or b"0"))

        # The workload tasks. A failure is re-queued in the database (its retry executor), after
        # 0.1 s; PgQueuer keeps no result, so the echoed payload is dropped. Entrypoints are
        # async only: blocking work goes to a thread, as PgQueuer's documentation says.
        def retrying(parameters: EntrypointExecutorParameters) -> DatabaseRetryEntrypointExecutor:
            return DatabaseRetryEntrypointExecutor(
                parameters, max_attempts=4, initial_delay=timedelta(seconds=0.1)
            )

        @pgq.entrypoint("work", executor_factory=retrying)
        async def work_async(job: Job) -> None:
            await work.run_async(**json.loads(job.payload or b"{}"))

        @pgq.entrypoint("cpu", executor_factory=retrying)
        async def work_sync(job: Job) -> None:
            await asyncio.to_thread(work.run_sync, **json.loads(job.payload or b"{}"))

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, pgq.shutdown.set)
        await pgq.run(
            batch_size=settings["batch_size"],
            max_concurrent_tasks=settings.get("max_concurrent_tasks"),
        )

    if settings.get("event_loop") == "uvloop":
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


SYSTEM = PgQueuerSystem
