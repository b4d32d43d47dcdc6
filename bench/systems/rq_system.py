"""RQ 2 on Redis (the non-PostgreSQL reference): SimpleWorker (no fork per job), no results kept."""

from __future__ import annotations

from typing import Any, ClassVar

import redis
from rq import Queue, SimpleWorker

from bench import probe
from bench.systems import redis_counter
from bench.systems.base import System

QUEUE = "bench"


def noop() -> None:
    probe.first_task()
    redis_counter.count_one()


def probe_task(token: int) -> None:
    probe.task_started(token)


class RQSystem(System):
    name = "rq"
    label = "RQ"
    backend = "redis"
    packages = ("rq", "redis")
    # The default Worker forks a child per job, which caps it at a few hundred jobs/s; RQ
    # documents SimpleWorker for running jobs in the worker process. result_ttl=0: no result kept.
    # A few hundred jobs/s at best: the drain uses 10,000 tasks (and usually meets the cap).
    defaults: ClassVar[dict[str, Any]] = {
        "worker_class": "SimpleWorker",
        "result_ttl": 0,
        "drain_tasks": 10_000,
    }

    async def setup(self) -> None:
        self.redis = redis.Redis.from_url(self.target)
        self.queue = Queue(QUEUE, connection=self.redis)
        self.submitted = 0

    async def reset(self) -> None:
        self.redis.flushdb()
        self.submitted = 0

    async def submit_noop(self) -> None:
        self.queue.enqueue(noop, result_ttl=self.settings["result_ttl"])
        self.submitted += 1

    async def submit_noops(self, n: int) -> None:
        ttl = self.settings["result_ttl"]
        self.queue.enqueue_many([Queue.prepare_data(noop, result_ttl=ttl) for _ in range(n)])
        self.submitted += n

    async def submit_probe(self, token: int) -> None:
        self.queue.enqueue(probe_task, token, result_ttl=self.settings["result_ttl"])

    async def unfinished(self) -> bool:
        return redis_counter.completed(self.redis) < self.submitted

    async def completed(self) -> int:
        return redis_counter.completed(self.redis)

    async def close(self) -> None:
        self.redis.close()


def serve(url: str, settings: dict[str, Any]) -> None:
    redis_counter.connect(url)
    connection = redis.Redis.from_url(url)
    worker = SimpleWorker([Queue(QUEUE, connection=connection)], connection=connection)
    worker.work(logging_level="WARNING")


SYSTEM = RQSystem
