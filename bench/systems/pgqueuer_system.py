"""PgQueuer with its asyncpg driver: batched dequeue, LISTEN/NOTIFY, uvloop as its CLI runs it."""

from __future__ import annotations

import asyncio
import signal
from typing import Any, ClassVar

import asyncpg
from pgqueuer import AsyncpgDriver, Job, PgQueuer, Queries

from bench import probe
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
        await self.queries.install()

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
        await self.conn.close()


def serve(url: str, settings: dict[str, Any]) -> None:
    async def main() -> None:
        pgq = PgQueuer(AsyncpgDriver(await asyncpg.connect(dsn=url)))

        @pgq.entrypoint("noop")
        async def noop(job: Job) -> None:
            probe.first_task()

        @pgq.entrypoint("probe")
        async def probe_task(job: Job) -> None:
            probe.task_started(int(job.payload or b"0"))

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, pgq.shutdown.set)
        await pgq.run(batch_size=settings["batch_size"])

    if settings.get("event_loop") == "uvloop":
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


SYSTEM = PgQueuerSystem
