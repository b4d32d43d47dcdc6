"""TaskLib through its public Python API: submit_task, its bulk submit, and TaskWorker."""

from __future__ import annotations

import asyncio
import json
import signal
from typing import Any, ClassVar

import psycopg

import tasklib
from bench import probe
from bench.systems.base import System

# Names the client's bulk submit may carry; the first one tasklib exports is used.
_BULK_NAMES = ("submit_tasks", "submit_many", "bulk_submit")


@tasklib.task(name="bench.noop")
async def noop() -> None:
    probe.first_task()


@tasklib.task(name="bench.probe")
async def probe_task(token: int) -> None:
    probe.task_started(token)


def missing_api() -> str | None:
    """What of the client and worker API this harness needs is not there yet, if anything."""
    missing = [name for name in ("init", "submit_task", "TaskWorker") if not hasattr(tasklib, name)]
    return f"tasklib has no {', '.join(missing)} yet" if missing else None


class TaskLib(System):
    name = "tasklib"
    label = "TaskLib"
    backend = "postgresql"
    packages = ("tasklib", "psycopg", "psycopg-pool")
    defaults: ClassVar[dict[str, Any]] = {"concurrency": 100}

    async def setup(self) -> None:
        if (problem := missing_api()) is not None:
            raise RuntimeError(problem)
        await asyncio.to_thread(tasklib.migrate, self.target)
        tasklib.init(tasklib.Config(database_url=self.target))  # type: ignore[attr-defined]
        self.conn = await psycopg.AsyncConnection.connect(self.target, autocommit=True)
        self.bulk_name = next((n for n in _BULK_NAMES if hasattr(tasklib, n)), None)
        self.settings["bulk_api"] = (
            f"tasklib.{self.bulk_name}" if self.bulk_name else "SQL tasklib.submit_many"
        )

    async def reset(self) -> None:
        await self.conn.execute("TRUNCATE tasklib.tasks")

    async def submit_noop(self) -> None:
        await tasklib.submit_task(noop)  # type: ignore[attr-defined]

    async def submit_noops(self, n: int) -> None:
        if self.bulk_name is not None:
            bulk = getattr(tasklib, self.bulk_name)
            await bulk(noop, [{} for _ in range(n)])
            return
        # Until the client has a bulk submit: the public SQL API, one call for the batch.
        payload = json.dumps([{"name": "bench.noop"}] * n)
        await self.conn.execute("SELECT count(*) FROM tasklib.submit_many(%s::jsonb)", (payload,))

    async def submit_probe(self, token: int) -> None:
        await tasklib.submit_task(probe_task, token=token)  # type: ignore[attr-defined]

    async def unfinished(self) -> bool:
        # Both halves use partial indexes (claimable rows, running rows): cheap at any history.
        row = await (
            await self.conn.execute(
                "SELECT EXISTS (SELECT 1 FROM tasklib.tasks WHERE run_at IS NOT NULL)"
                " OR EXISTS (SELECT 1 FROM tasklib.tasks WHERE state = 'running')"
            )
        ).fetchone()
        return bool(row and row[0])

    async def completed(self) -> int:
        row = await (
            await self.conn.execute("SELECT count(*) FROM tasklib.tasks WHERE state = 'completed'")
        ).fetchone()
        return int(row[0]) if row else 0

    async def close(self) -> None:
        await self.conn.close()


def serve(url: str, settings: dict[str, Any]) -> None:
    async def main() -> None:
        config = tasklib.Config(database_url=url)
        worker = tasklib.TaskWorker(config, concurrency=settings["concurrency"])  # type: ignore[attr-defined]
        loop = asyncio.get_running_loop()
        stopping: list[asyncio.Task[None]] = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(
                signum, lambda: stopping.append(loop.create_task(worker.stop()))
            )
        await worker.run()

    asyncio.run(main())


SYSTEM = TaskLib
