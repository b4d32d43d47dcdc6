"""Celery 5 on Redis (the non-PostgreSQL reference): solo pool, results ignored, deep prefetch."""

from __future__ import annotations

from typing import Any, ClassVar

import redis
from celery import Celery

from bench import probe
from bench.systems import redis_counter
from bench.systems.base import System

QUEUE = "bench"


def make_app(url: str, prefetch: int = 4) -> Celery:
    app = Celery("bench", broker=url)
    app.conf.update(
        task_ignore_result=True,
        task_default_queue=QUEUE,
        worker_prefetch_multiplier=prefetch,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
    )

    @app.task(name="noop")
    def noop() -> None:
        probe.first_task()
        redis_counter.count_one()

    @app.task(name="probe")
    def probe_task(token: int) -> None:
        probe.task_started(token)

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
        self.app = make_app(self.target, self.settings["prefetch_multiplier"])
        self.submitted = 0

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
        self.redis.close()


def serve(url: str, settings: dict[str, Any]) -> None:
    redis_counter.connect(url)
    app = make_app(url, settings["prefetch_multiplier"])
    app.worker_main(
        [
            "worker",
            f"--pool={settings['pool']}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--queues={QUEUE}",
        ]
    )


SYSTEM = CelerySystem
