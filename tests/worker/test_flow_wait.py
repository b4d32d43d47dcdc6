"""How a worker waits while flow control holds due tasks back: it does not spin, and it claims
again when what holds them lifts (a slot frees, a rate token is due, the queue is resumed), not
only at its poll interval, which these tests set long."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
import pytest

import tasklib
from tasklib import Config, RateLimit, TaskWorker
from tests.support.waiting import wait_until_async

POLL_SECONDS = 5.0

starts: list[float] = []
gate = asyncio.Event()


@tasklib.task(name="tests.worker.flow_wait.held", queue="narrow")
async def held(n: int) -> None:
    starts.append(time.monotonic())
    await gate.wait()


@tasklib.task(name="tests.worker.flow_wait.quick", queue="metered")
async def quick(n: int) -> None:
    starts.append(time.monotonic())


@pytest.fixture(autouse=True)
def _reset() -> None:
    starts.clear()
    gate.clear()


@asynccontextmanager
async def worker(url: str, app: str, queues: list[str]) -> AsyncIterator[TaskWorker]:
    config = Config(database_url=url, application_name=app, poll_interval_seconds=POLL_SECONDS)
    running = TaskWorker(config, 4, queues=queues, handle_signals=False, shutdown_grace_seconds=5)
    job = asyncio.create_task(running.run())
    try:
        yield running
    finally:
        gate.set()
        await running.stop()
        await job


async def _claim_activity(url: str, app: str, seconds: float) -> set[object]:
    """The distinct times the worker's claim connection changed state, sampled over seconds."""
    seen: set[object] = set()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            cursor = await conn.execute(
                "SELECT state_change FROM pg_stat_activity WHERE application_name = %s",
                (f"{app}:worker:claims",),
            )
            seen.update(row[0] for row in await cursor.fetchall())
            await asyncio.sleep(0.01)
    return seen


async def _done(count: int) -> bool:
    tasks = await tasklib.list_tasks_async(state="completed")
    return len(tasks) >= count


async def test_a_worker_held_at_a_concurrency_limit_sleeps_then_takes_the_freed_slot(
    url: str,
) -> None:
    tasklib.set_queue_limits("narrow", concurrency=1)
    await tasklib.submit_many([held.prepare(n=n) for n in range(5)])
    app = f"tl16-{uuid.uuid4().hex[:8]}"
    async with worker(url, app, ["narrow"]):
        await wait_until_async(lambda: len(starts) == 1, what="the first task to start")
        # Four free slots, four due tasks, a limit of one: its claims come back short. It
        # waits (no clock says when a slot frees), instead of claiming again and again.
        changes = await _claim_activity(url, app, seconds=1.0)
        assert 1 <= len(changes) <= 4, f"the claim connection changed state {len(changes)} times"
        assert len(starts) == 1
        released = time.monotonic()
        gate.set()
        await wait_until_async(lambda: _done(5), what="the five tasks, one at a time")
    # Each finished task's recorded outcome woke the claim loop: no poll interval in between.
    assert time.monotonic() - released < POLL_SECONDS


async def test_a_rate_limited_queue_starts_at_its_rate_not_at_the_poll(url: str) -> None:
    tasklib.set_queue_limits("metered", rate=RateLimit(5, per_seconds=1, burst=1))
    await tasklib.submit_many([quick.prepare(n=n) for n in range(4)])
    async with worker(url, f"tl16-{uuid.uuid4().hex[:8]}", ["metered"]):
        await wait_until_async(lambda: _done(4), what="four tasks at 5 per second")
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # A token every 0.2 s, burst 1: after the first start three more tokens take 0.6 s, and
    # the worker wakes for each token (seconds_until_claimable) long before its 5 s poll. One
    # gap alone may be shorter than 0.2 s (a claim that ran late leaves the next token on
    # time), so the span is what the bucket guarantees.
    assert 0.55 <= starts[-1] - starts[0] < 2.0, gaps


async def test_a_paused_queue_starts_nothing_until_resumed(url: str) -> None:
    tasklib.pause_queue("metered")
    await tasklib.submit_many([quick.prepare(n=n) for n in range(3)])
    app = f"tl16-{uuid.uuid4().hex[:8]}"
    async with worker(url, app, ["metered"]):
        # Its claim connection goes quiet: the worker found the queue paused and sleeps.
        await wait_until_async(
            lambda: _quiet(url, app), what="the worker to wait on the paused queue"
        )
        assert starts == []
        resumed = time.monotonic()
        await tasklib.resume_queue_async("metered")
        await wait_until_async(lambda: _done(3), what="the tasks after resume")
    # resume_queue's NOTIFY woke the worker.
    assert starts[0] - resumed < 1.0


async def _quiet(url: str, app: str) -> bool:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT state = 'idle' AND now() - state_change > interval '200 ms'"
            " FROM pg_stat_activity WHERE application_name = %s",
            (f"{app}:worker:claims",),
        )
        row = await cursor.fetchone()
    return bool(row and row[0])
