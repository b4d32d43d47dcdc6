"""Completion on Redis: Celery and RQ no-op tasks each add one to a counter the harness reads.

With results ignored (their fastest setting), neither Redis queue records a completion that can
be counted cheaply, so the task does one INCR (one loopback round trip) as its only work.
"""

from __future__ import annotations

import redis

COUNTER = "bench:completed"
_client: redis.Redis | None = None


def connect(url: str) -> None:
    """Called once by a worker process before it starts taking tasks."""
    global _client
    _client = redis.Redis.from_url(url)


def count_one() -> None:
    assert _client is not None, "redis_counter.connect() was not called in this worker"
    _client.incr(COUNTER)


def completed(client: redis.Redis) -> int:
    value = client.get(COUNTER)
    return int(value) if value is not None else 0
