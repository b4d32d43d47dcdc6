"""The worker's lifecycle: states only move forward, through legal transitions."""

from __future__ import annotations

import asyncio

import pytest

import tasklib
from tasklib import Config, TaskLibError, TaskWorker
from tasklib.worker import IllegalTransitionError, State
from tasklib.worker._lifecycle import Lifecycle
from tests.worker import tasks_inprocess as t
from tests.worker.support import running_worker, wait_until


def test_illegal_transitions_raise() -> None:
    lifecycle = Lifecycle("w")
    with pytest.raises(IllegalTransitionError, match="from NEW to RUNNING"):
        lifecycle.advance(State.RUNNING)
    lifecycle.advance(State.STARTING)
    lifecycle.advance(State.RUNNING)
    lifecycle.advance(State.DRAINING)
    with pytest.raises(IllegalTransitionError, match="from DRAINING to RUNNING"):
        lifecycle.advance(State.RUNNING)
    with pytest.raises(IllegalTransitionError, match="from DRAINING to STOPPED"):
        lifecycle.advance(State.STOPPED)
    lifecycle.advance(State.STOPPING)
    lifecycle.advance(State.STOPPED)
    assert lifecycle.state is State.STOPPED
    for state in State:
        with pytest.raises(IllegalTransitionError):
            lifecycle.advance(state)


async def test_waiting_for_a_state_wakes_when_it_is_skipped() -> None:
    lifecycle = Lifecycle("w")
    draining = asyncio.create_task(lifecycle.reached(State.DRAINING))
    lifecycle.advance(State.STARTING)
    lifecycle.advance(State.RUNNING)
    await asyncio.sleep(0)
    assert not draining.done()
    lifecycle.advance(State.STOPPING)  # cancelled from outside: no DRAINING on the way
    await asyncio.wait_for(draining, 1)
    assert lifecycle.has_reached(State.DRAINING)
    assert not lifecycle.has_reached(State.STOPPED)


async def test_worker_goes_through_its_states(url: str) -> None:
    worker = TaskWorker(Config(database_url=url), handle_signals=False)
    assert worker.state is State.NEW
    run = asyncio.create_task(worker.run())
    await wait_until(lambda: worker.state is State.RUNNING, what="RUNNING")
    task_id = await tasklib.submit_task(t.sleeper, seconds=0.2)
    await wait_until(lambda: worker.running_tasks == 1, what="the task to start")
    stopping = asyncio.create_task(worker.stop())
    await wait_until(lambda: worker.state is State.DRAINING, what="DRAINING")
    await stopping
    await run
    assert worker.state is State.STOPPED
    assert tasklib.get_task(task_id).state == "completed"  # finished within the grace period


async def test_a_stop_ends_the_jobs_without_an_error(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    worker = TaskWorker(Config(database_url=url), handle_signals=False)
    run = asyncio.create_task(worker.run())
    await wait_until(lambda: worker.state is State.RUNNING, what="RUNNING")
    with caplog.at_level("ERROR", logger="tasklib"):
        await worker.stop()
        await run
    assert not [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]


async def test_a_worker_runs_once(url: str) -> None:
    async with running_worker(url) as worker:
        await wait_until(lambda: worker.state is State.RUNNING, what="RUNNING")
        with pytest.raises(TaskLibError, match="RUNNING"):
            await worker.run()
    with pytest.raises(TaskLibError, match="create a new one"):
        await worker.run()
    await worker.stop()  # stopping a stopped worker is a no-op
    assert worker.state is State.STOPPED


async def test_stop_before_run_means_it_never_starts(url: str) -> None:
    worker = TaskWorker(Config(database_url=url), handle_signals=False)
    await worker.stop()
    assert worker.state is State.STOPPED
    with pytest.raises(TaskLibError, match="stopped before it ran"):
        await worker.run()


async def test_cancelling_run_skips_the_grace_period_and_hands_tasks_back(url: str) -> None:
    task_id = await tasklib.submit_task(t.sleeper, seconds=30)
    worker = TaskWorker(Config(database_url=url), handle_signals=False, shutdown_grace_seconds=30)
    run = asyncio.create_task(worker.run())
    await wait_until(lambda: worker.running_tasks == 1, what="the task to start")
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(run, 10)
    assert worker.state is State.STOPPED
    row = tasklib.get_task(task_id)
    assert (row.state, row.worker_id, row.retry_count) == ("pending", None, 0)
