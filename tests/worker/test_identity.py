"""A worker claims only the task names it has code for, and refuses a name another live worker
holds (two processes under one name would hand back each other's tasks at shutdown)."""

from __future__ import annotations

import asyncio
import uuid

import psycopg
import pytest

import tasklib
from tasklib import Config, TaskWorker
from tasklib.worker import State
from tests.support.waiting import wait_until_async


@tasklib.task(name="tests.worker.identity.known")
async def known(n: int) -> int:
    return n


async def _running(url: str, worker_id: str) -> tuple[TaskWorker, asyncio.Task[None]]:
    worker = TaskWorker(Config(database_url=url), 2, worker_id=worker_id, handle_signals=False)
    job = asyncio.create_task(worker.run())
    await wait_until_async(
        lambda: worker.state is State.RUNNING, what="the worker runs", timeout=10
    )
    return worker, job


async def test_a_task_nobody_here_can_run_stays_pending(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        orphan = conn.execute("SELECT tasklib.submit('tests.worker.identity.elsewhere')").fetchone()
    assert orphan is not None
    done = await tasklib.submit_task(known, n=1)
    worker, job = await _running(url, f"identity-{uuid.uuid4().hex[:6]}")
    try:
        await tasklib.wait_for_task(done, timeout=10)
    finally:
        await worker.stop()
        await job
    left = await tasklib.get_task_async(orphan[0])
    # Claimed at most once, handed straight back: no retry spent; later claims skip it.
    assert (left.state, left.retry_count) == ("pending", 0)
    assert left.attempt <= 1
    with psycopg.connect(url, autocommit=True) as conn:
        seen = conn.execute(
            "SELECT due, live_workers FROM tasklib.queue_status_by_task WHERE name = %s",
            ("tests.worker.identity.elsewhere",),
        ).fetchone()
    assert seen == (1, 0)


async def test_a_worker_id_held_by_a_live_worker_is_refused(url: str) -> None:
    worker_id = f"identity-{uuid.uuid4().hex[:6]}"
    first, job = await _running(url, worker_id)
    try:
        second = TaskWorker(Config(database_url=url), 2, worker_id=worker_id, handle_signals=False)
        with pytest.raises(tasklib.ConfigurationError, match="held by another live worker"):
            await second.run()
    finally:
        await first.stop()
        await job
