"""TaskLib through its public Python API: submit_task, its bulk submit, and TaskWorker."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, ClassVar

import psycopg

import tasklib
from bench import probe, work
from bench.systems.base import System
from tasklib.worker import _loop


@tasklib.task(name="bench.noop")
async def noop() -> None:
    probe.first_task()


@tasklib.task(name="bench.probe")
async def probe_task(token: int) -> None:
    probe.task_started(token)


# The workload tasks (bench.workloads): retries after 0.1 s, 0.2 s, ... rather than the default 5 s.
@tasklib.task(name="bench.work", max_retries=3, backoff_base_seconds=0.1)
async def work_async(token: int, payload: str, sleep_ms: float, loops: int, fail: bool) -> str:
    return await work.run_async(token, payload, sleep_ms, loops, fail)


@tasklib.task(name="bench.cpu", max_retries=3, backoff_base_seconds=0.1)
def work_sync(token: int, payload: str, sleep_ms: float, loops: int, fail: bool) -> str:
    return work.run_sync(token, payload, sleep_ms, loops, fail)


def missing_api() -> str | None:
    """What of the client and worker API this harness needs is not there yet, if anything."""
    needed = ("init", "submit_task", "submit_many", "TaskWorker")
    missing = [name for name in needed if not hasattr(tasklib, name)]
    return f"tasklib has no {', '.join(missing)} yet" if missing else None


class TaskLib(System):
    name = "tasklib"
    label = "TaskLib"
    backend = "postgresql"
    packages = ("tasklib-pg", "psycopg", "psycopg-pool")
    # The fastest drain of a sweep of 100, 400 and 1,000 (docs/benchmarks.md): for no-op async
    # tasks concurrency is also the claim batch, and a larger batch spreads each claim's cost.
    defaults: ClassVar[dict[str, Any]] = {"concurrency": 1000}

    async def setup(self) -> None:
        if (problem := missing_api()) is not None:
            raise RuntimeError(problem)
        await asyncio.to_thread(tasklib.migrate, self.target)
        self.variant: str | None = None
        # The concurrent-producers workload sizes the client's pool to its producers.
        pool = (
            {"max_pool_size": self.settings["client_pool"]}
            if "client_pool" in self.settings
            else {}
        )
        tasklib.init(tasklib.Config(database_url=self.target, **pool))  # type: ignore[attr-defined]
        self.conn = await psycopg.AsyncConnection.connect(self.target, autocommit=True)

    async def reset(self) -> None:
        await self.conn.execute("TRUNCATE tasklib.tasks")

    def single_submit_variants(self) -> dict[str, str]:
        return {
            "sync_api": "submit_task_sync (the sync API)",
            "unflushed": "Config(durable_submits=False), opt-in: a server crash can lose the"
            " last ~0.6 s of submits",
        }

    async def use_single_submit_variant(self, key: str | None) -> None:
        if key is not None and key not in self.single_submit_variants():
            await super().use_single_submit_variant(key)
        self.variant = key
        await tasklib.aclose()
        tasklib.init(tasklib.Config(database_url=self.target, durable_submits=key != "unflushed"))

    async def submit_noop(self) -> None:
        if self.variant == "sync_api":
            tasklib.submit_task_sync(noop)
        else:
            await tasklib.submit_task(noop)  # type: ignore[attr-defined]

    async def submit_noops(self, n: int) -> None:
        await tasklib.submit_many([noop.prepare() for _ in range(n)])  # type: ignore[attr-defined]

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

    def workload_settings(
        self, concurrency: int, processes: int, sync: bool
    ) -> tuple[dict[str, Any], int]:
        # Async tasks run on the event loop, def tasks in a pool of `concurrency` threads.
        return {"concurrency": concurrency}, processes

    async def submit_work(self, items: Sequence[work.WorkItem]) -> list[float] | None:
        def options(item: work.WorkItem) -> dict[str, Any]:
            # Only the options a workload uses, as an application would pass them.
            found: dict[str, Any] = {}
            if item.priority is not None:
                found["priority"] = item.priority
            if item.delay_seconds:
                found["delay_seconds"] = item.delay_seconds
            return found

        if len(items) == 1:
            item = items[0]
            task = work_sync if item.sync else work_async
            await tasklib.submit_task(task, **options(item), **item.arguments())  # type: ignore[arg-type]
        else:
            await tasklib.submit_many(
                (work_sync if item.sync else work_async).prepare(
                    **options(item), **item.arguments()
                )
                for item in items
            )
        return None


def serve(url: str, settings: dict[str, Any]) -> None:
    async def main() -> None:
        config = tasklib.Config(database_url=url)
        # TaskWorker stops gracefully on SIGTERM by itself (handle_signals defaults to True).
        worker = tasklib.TaskWorker(config, concurrency=settings["concurrency"])  # type: ignore[attr-defined]
        await worker.run()

    # As `tasklib worker` runs it: on uvloop when installed (the bench group installs it).
    _loop.run(main())


SYSTEM = TaskLib
