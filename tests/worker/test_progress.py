"""A task reports its progress from its own code; the worker writes the latest report with its
next heartbeat round, into tasks.progress."""

from __future__ import annotations

import asyncio

import pytest

import tasklib
from tasklib import Config, TaskWorker
from tests.support.waiting import wait_until_async

release = asyncio.Event()


@tasklib.task(name="tests.worker.progress.steps")
async def steps(total: int) -> int:
    for done in range(total):
        tasklib.report_progress({"done": done + 1, "total": total})
    await release.wait()
    return total


@tasklib.task(name="tests.worker.progress.sync_steps")
def sync_steps(total: int) -> int:
    tasklib.report_progress({"done": total, "total": total})
    return total


async def test_the_latest_report_reaches_the_row_while_the_task_runs(url: str) -> None:
    release.clear()
    task_id = await tasklib.submit_task(steps, total=3)
    # Heartbeats every lease / 3 = 0.2 s here.
    worker = TaskWorker(Config(database_url=url, lease_seconds=0.6), 2, handle_signals=False)
    job = asyncio.create_task(worker.run())
    try:
        task = await wait_until_async(
            lambda: _with_progress(task_id), what="the progress", timeout=10
        )
        assert task.progress == {"done": 3, "total": 3}
        assert task.state == "running"
    finally:
        release.set()
        await worker.stop()
        await job
    assert (await tasklib.get_task_async(task_id)).result == {"value": 3}


async def _with_progress(task_id: object) -> tasklib.Task | None:
    task = await tasklib.get_task_async(str(task_id))
    return task if task.progress is not None else None


def test_outside_a_task_it_says_so() -> None:
    with pytest.raises(tasklib.TaskLibError, match="running task's code only"):
        tasklib.report_progress(1)


def test_a_value_that_is_not_json_is_refused() -> None:
    from tasklib import cancellation

    token = cancellation.enter("00000000-0000-4000-8000-000000000001")
    try:
        with pytest.raises(tasklib.InvalidArgumentError, match="JSON value"):
            tasklib.report_progress(object())
    finally:
        cancellation.leave(token)
