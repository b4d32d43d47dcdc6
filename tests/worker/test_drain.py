"""run_until_idle: every task due now runs in-process, is recorded, and the worker stops cleanly."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import tasklib
from tasklib import Config, TaskWorker
from tasklib.worker import State, TaskRun
from tests.worker import tasks_inprocess as t
from tests.worker.support import count_states, fetch, wait_for_row


def drain_worker(url: str, **options: Any) -> TaskWorker:
    options.setdefault("handle_signals", False)
    return TaskWorker(Config(database_url=url), options.pop("concurrency", 4), **options)


def assert_nothing_left_behind(url: str, worker: TaskWorker) -> None:
    assert worker.state is State.STOPPED
    assert fetch(url, "SELECT count(*) FROM tasklib.tasks WHERE state = 'running'") == [(0,)]
    assert fetch(url, "SELECT count(*) FROM tasklib.workers") == [(0,)]


async def test_runs_every_due_task_and_returns_what_each_came_to(url: str) -> None:
    greeting = await tasklib.submit_task(t.greet, name="Alice")
    nothing = await tasklib.submit_task(t.returns_nothing, n=1)
    risky = await tasklib.submit_task(t.risky_task, fail=True)
    unstorable = await tasklib.submit_task(t.returns_unstorable)
    (unknown,) = fetch(url, "SELECT tasklib.submit('nobody.registered', '{}')")[0]
    later = await tasklib.submit_task(t.greet, name="Later", delay_seconds=60)
    worker = drain_worker(url)

    runs = await worker.run_until_idle()

    assert all(isinstance(run, TaskRun) for run in runs)
    by_id = {run.task_id: run for run in runs}
    # A task no code here can run is not claimed: it waits for a worker that can.
    assert set(by_id) == {greeting, nothing, risky, unstorable}
    assert later not in by_id  # not due yet
    assert by_id[greeting] == TaskRun(greeting, t.greet.name, "completed", result="Hello Alice!")
    assert by_id[nothing] == TaskRun(nothing, t.returns_nothing.name, "completed", result=None)
    # A retry scheduled later (5 s) is not waited for: the run shows the failed attempt.
    assert by_id[risky].state == "failed"
    assert by_id[risky].next_retry_at is not None
    assert "ValueError: Random failure!" in (by_id[risky].error or "")
    assert (by_id[unstorable].state, by_id[unstorable].next_retry_at) == ("failed", None)
    assert "cannot be stored as JSON" in (by_id[unstorable].error or "")
    assert unknown not in by_id
    assert count_states(url) == {"completed": 2, "failed": 2, "pending": 2}
    assert_nothing_left_behind(url, worker)


async def test_tasks_submitted_by_tasks_run_in_the_same_drain(url: str) -> None:
    await tasklib.submit_task(t.countdown, n=5)
    runs = await drain_worker(url).run_until_idle()
    assert [run.result for run in runs] == [5, 4, 3, 2, 1, 0]
    assert {run.state for run in runs} == {"completed"}


async def test_a_retry_that_falls_due_during_the_drain_runs_in_it(url: str) -> None:
    # The sleeper keeps the drain going for 0.5 s; the retries are due 1 and 2 ms after each
    # failure, so they are claimed once the sleeper ends, at the latest.
    flaky = await tasklib.submit_task(t.fails_twice, key="k")
    await tasklib.submit_task(t.sleeper, seconds=0.5)
    runs = await drain_worker(url).run_until_idle()
    mine = [run for run in runs if run.task_id == flaky]
    assert [run.state for run in mine] == ["failed", "failed", "completed"]
    assert [run.next_retry_at is not None for run in mine] == [True, True, False]
    assert mine[-1].result == "k"


async def test_many_tasks_with_a_small_concurrency(url: str) -> None:
    ids = await tasklib.submit_many(t.echo_number.prepare(n=n) for n in range(500))
    runs = await drain_worker(url, concurrency=7, report_batch_size=20).run_until_idle()
    assert sorted(run.result for run in runs) == list(range(500))
    assert {run.task_id for run in runs} == set(ids)
    assert count_states(url) == {"completed": 500}


async def test_an_empty_queue_returns_at_once(url: str) -> None:
    worker = drain_worker(url)
    assert await asyncio.wait_for(worker.run_until_idle(), 10) == []
    assert_nothing_left_behind(url, worker)


async def test_an_outcome_the_database_refuses_has_no_state(url: str) -> None:
    task_id = await tasklib.submit_task(t.sleeper, seconds=0.5)
    drain = asyncio.create_task(drain_worker(url).run_until_idle())
    await wait_for_row(url, "SELECT 1 FROM tasklib.tasks WHERE state = 'running'")
    # As if the lease had expired and another worker had taken the task over.
    fetch(url, "UPDATE tasklib.tasks SET worker_id = 'someone-else' RETURNING id")
    (run,) = await drain
    assert (run.task_id, run.state, run.result) == (task_id, None, "woke")
    assert count_states(url) == {"running": 1}  # still the other worker's


async def test_cancelling_a_drain_hands_its_tasks_back(url: str) -> None:
    task_id = await tasklib.submit_task(t.sleeper, seconds=30)
    worker = drain_worker(url, shutdown_grace_seconds=30)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.5):
            await worker.run_until_idle()
    row = tasklib.get_task(task_id)
    assert (row.state, row.worker_id, row.retry_count) == ("pending", None, 0)
    assert_nothing_left_behind(url, worker)


def test_sync_wrapper(url: str) -> None:
    task_id = tasklib.submit_task_sync(t.greet, name="Bob")
    runs = drain_worker(url).run_until_idle_sync()
    assert runs == [TaskRun(task_id, t.greet.name, "completed", result="Hello Bob!")]


async def test_a_drained_worker_does_not_run_again(url: str) -> None:
    worker = drain_worker(url)
    await worker.run_until_idle()
    with pytest.raises(tasklib.TaskLibError, match="create a new one"):
        await worker.run_until_idle()
