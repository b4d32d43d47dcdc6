"""Procrastinate 3 with its psycopg 3 connector: async tasks, LISTEN/NOTIFY, concurrent worker."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import procrastinate
import psycopg

from bench import probe
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
        self.app = make_app(self.target)
        await self.app.open_async()
        await self.app.schema_manager.apply_schema_async()
        self.conn = await psycopg.AsyncConnection.connect(self.target, autocommit=True)

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
