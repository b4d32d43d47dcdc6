"""Celery 5 on Redis (the non-PostgreSQL reference): solo pool, results ignored, deep prefetch."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import redis
from celery import Celery

from bench import probe, work
from bench.systems import redis_counter
from bench.systems.base import System

QUEUE = "bench"


# One app per configuration and process: Celery warns when a task name is registered twice.
@functools.cache
def make_app(url: str, prefetch: int = 4, workload: bool = False) -> Celery:
    app = Celery("bench", broker=url, backend=url if workload else None)
    app.conf.update(
        task_ignore_result=not workload,
        task_default_queue=QUEUE,
        worker_prefetch_multiplier=prefetch,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
    )
    if workload:
        # The workloads keep results (in Redis), honour priorities (the Redis transport's
        # priority queues, 0 the most urgent) and let 16 producer threads publish at once.
        app.conf.update(
            broker_transport_options={
                "queue_order_strategy": "priority",
                "priority_steps": list(range(10)),
                "sep": ":",
            },
            broker_pool_limit=16,
        )

    @app.task(name="noop")
    def noop() -> None:
        probe.first_task()
        redis_counter.count_one()

    @app.task(name="probe")
    def probe_task(token: int) -> None:
        probe.task_started(token)

    # The workload tasks are plain functions (Celery runs no coroutines): the I/O workload's
    # await is a time.sleep in one of the threads pool's threads. A failure is retried after 0.1 s.
    def workload_task(name: str) -> None:
        @app.task(name=name, bind=True, max_retries=3)
        def run(
            self: Any, token: int, payload: str, sleep_ms: float, loops: int, fail: bool
        ) -> str:
            try:
                result = work.run_sync(token, payload, sleep_ms, loops, fail)
            except work.PlannedFailure as error:
                raise self.retry(exc=error, countdown=0.1) from error
            redis_counter.count_one()
            return result

    workload_task("work")
    workload_task("cpu")
    return app


class CelerySystem(System):
    name = "celery"
    label = "Celery"
    backend = "redis"
    packages = ("celery", "kombu", "redis")
    # The solo pool runs tasks in the worker process itself (one process = one worker, as for
    # the others); prefetching many messages per fetch is Celery's advice for short tasks.
    # Publishing runs at about a thousand messages/s, so the drain uses 10,000 tasks, not
    # 50,000, to keep the full run near 20 minutes.
    defaults: ClassVar[dict[str, Any]] = {
        "pool": "solo",
        "prefetch_multiplier": 256,
        "ignore_result": True,
        "drain_tasks": 10_000,
    }

    async def setup(self) -> None:
        self.redis = redis.Redis.from_url(self.target)
        self.app = make_app(
            self.target, self.settings["prefetch_multiplier"], "workload" in self.settings
        )
        self.submitted = 0
        # Publishing is blocking: each concurrent producer publishes from a thread of its own.
        self.publishers = ThreadPoolExecutor(self.settings.get("client_pool", 1))

    async def reset(self) -> None:
        self.redis.flushdb()
        self.submitted = 0

    async def submit_noop(self) -> None:
        self.app.tasks["noop"].delay()
        self.submitted += 1

    async def submit_noops(self, n: int) -> None:
        # Celery has no bulk publish; reusing one producer (one connection) for the batch is
        # its fastest way to send many messages (faster here than group(...).apply_async()).
        task = self.app.tasks["noop"]
        with self.app.producer_or_acquire() as producer:
            for _ in range(n):
                task.apply_async(producer=producer)
        self.submitted += n

    async def submit_probe(self, token: int) -> None:
        self.app.tasks["probe"].delay(token)

    async def unfinished(self) -> bool:
        return redis_counter.completed(self.redis) < self.submitted

    async def completed(self) -> int:
        return redis_counter.completed(self.redis)

    async def close(self) -> None:
        self.publishers.shutdown()
        self.redis.close()

    def workload_settings(
        self, concurrency: int, processes: int, sync: bool
    ) -> tuple[dict[str, Any], int]:
        if sync:
            # CPU-bound work: Celery's prefork pool, one child per task slot in one worker.
            return {
                "pool": "prefork",
                "concurrency": concurrency * processes,
                "prefetch_multiplier": 4,
                "ignore_result": False,
            }, 1
        # Blocking I/O: the threads pool, `concurrency` threads per worker process.
        return {
            "pool": "threads",
            "concurrency": concurrency,
            "prefetch_multiplier": 4,
            "ignore_result": False,
        }, processes

    async def submit_work(self, items: Sequence[work.WorkItem]) -> list[float] | None:
        # Each message is visible to the workers once published, before the batch's end.
        def publish() -> list[float]:
            visible = []
            with self.app.producer_or_acquire() as producer:
                for item in items:
                    options: dict[str, Any] = {"producer": producer}
                    if item.priority is not None:
                        options["priority"] = 9 - item.priority
                    if item.delay_seconds:
                        options["countdown"] = item.delay_seconds
                    self.app.tasks["cpu" if item.sync else "work"].apply_async(
                        kwargs=item.arguments(), **options
                    )
                    visible.append(time.time())
            return visible

        visible = await asyncio.get_running_loop().run_in_executor(self.publishers, publish)
        self.submitted += len(items)
        return visible


def serve(url: str, settings: dict[str, Any]) -> None:
    redis_counter.connect(url)
    app = make_app(url, settings["prefetch_multiplier"], "workload" in settings)
    concurrency = [f"--concurrency={settings['concurrency']}"] if "concurrency" in settings else []
    app.worker_main(
        [
            "worker",
            f"--pool={settings['pool']}",
            *concurrency,
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--queues={QUEUE}",
        ]
    )


SYSTEM = CelerySystem
