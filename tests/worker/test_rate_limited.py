"""A task that raises RateLimited goes back to pending without spending a retry, and its limit key
(or its queue) is suspended until its retry_after: the key's other tasks wait, the others go on."""

from __future__ import annotations

import logging
import math
import pickle
import time
from typing import Any
from uuid import UUID

import pytest

import tasklib
from tasklib import RateLimited, TaskWorker
from tests.support.waiting import wait_until_async
from tests.worker.support import running_worker

TASKS = "tasklib.worker.tasks"
RETRY_AFTER = 1.0

# label -> monotonic times at which a run of it started
starts: dict[str, list[float]] = {}


def _started(label: str) -> int:
    """Records a start; returns how many runs of label started before this one."""
    runs = starts.setdefault(label, [])
    runs.append(time.monotonic())
    return len(runs) - 1


@tasklib.task(name="tests.worker.rate_limited.call_partner", queue="partner", limit_key="customer")
async def call_partner(customer: str, label: str, refuse_first: bool = False) -> str:
    if _started(label) == 0 and refuse_first:
        raise RateLimited(retry_after=RETRY_AFTER)
    return label


@tasklib.task(name="tests.worker.rate_limited.whole_queue", queue="partner", limit_key="customer")
def whole_queue(customer: str, label: str) -> str:
    if _started(label) == 0:
        raise RateLimited(RETRY_AFTER, scope="queue")
    return label


@tasklib.task(name="tests.worker.rate_limited.keyless", queue="keyless")
async def keyless(label: str) -> str:
    if _started(label) == 0:
        raise RateLimited(retry_after=RETRY_AFTER)
    return label


@tasklib.task(name="tests.worker.rate_limited.in_child", queue="child", timeout_seconds=30)
def in_child() -> None:
    # A sync task with a timeout runs in a child process: the outcome comes back through a pipe.
    raise RateLimited(retry_after=60, scope="queue")


@tasklib.task(name="tests.worker.rate_limited.absurd", queue="absurd", max_retries=0)
async def absurd() -> None:
    raise RateLimited(retry_after=1e12)  # beyond the database's 100 years


@pytest.fixture(autouse=True)
def _clear_starts() -> None:
    starts.clear()


def _task(task_id: UUID) -> tasklib.Task:
    return tasklib.get_task(task_id)


async def _handed_back(task_id: UUID) -> tasklib.Task | None:
    task = await tasklib.get_task_async(task_id)
    return task if task.state == "pending" and task.attempt >= 1 else None


async def _completed(task_id: UUID) -> bool:
    return (await tasklib.get_task_async(task_id)).state == "completed"


async def test_its_key_waits_while_other_keys_go_on(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=TASKS)
    refused = await tasklib.submit_task(
        call_partner, customer="k", label="first", refuse_first=True
    )
    async with running_worker(url, concurrency=4, worker_id="w-rl"):
        back = await wait_until_async(lambda: _handed_back(refused), what="the task handed back")
        limited_at = starts["first"][0]
        assert (back.retry_count, back.attempt, back.worker_id, back.error) == (0, 1, None, None)
        queue = await tasklib.get_queue_async("partner")
        assert set(queue.suspended_keys) == {"k"}
        assert queue.suspended_until is None
        # Submitted now, the same key waits for the suspension; another key runs at once.
        same_key = await tasklib.submit_task(call_partner, customer="k", label="same")
        other_key = await tasklib.submit_task(call_partner, customer="other", label="other")
        await wait_until_async(lambda: _completed(other_key), what="the other key's task")
        assert "same" not in starts
        await wait_until_async(lambda: _completed(same_key), what="the key's task, later")
        await wait_until_async(lambda: _completed(refused), what="the handed-back task")
    assert starts["other"][0] < limited_at + RETRY_AFTER
    assert starts["same"][0] >= limited_at + RETRY_AFTER
    assert starts["first"][1] >= limited_at + RETRY_AFTER
    final = _task(refused)
    assert (final.retry_count, final.attempt, final.result) == (0, 2, {"value": "first"})

    lines = [
        r for r in caplog.records if r.name == TASKS and r.__dict__.get("event") == "rate_limited"
    ]
    assert len(lines) == 1
    assert lines[0].levelno == logging.INFO
    assert (lines[0].__dict__["retry_after"], lines[0].__dict__["scope"]) == (RETRY_AFTER, None)
    assert lines[0].getMessage() == (
        f"task {refused} {call_partner.name} rate limited (attempt 1/4, "
        f"{lines[0].__dict__['duration']:.3f} s): back to pending without spending a retry, "
        "due again in 1 s; its limit key (its queue if it has none) waits until then"
    )


async def test_scope_queue_suspends_the_whole_queue(url: str) -> None:
    refused = await tasklib.submit_task(whole_queue, customer="k", label="first")
    async with running_worker(url, concurrency=2):
        await wait_until_async(lambda: _handed_back(refused), what="the task handed back")
        limited_at = starts["first"][0]
        queue = await tasklib.get_queue_async("partner")
        assert queue.suspended_until is not None
        assert queue.suspended_keys == {}
        other_key = await tasklib.submit_task(call_partner, customer="other", label="other")
        await wait_until_async(lambda: _completed(other_key), what="the other key's task")
        await wait_until_async(lambda: _completed(refused), what="the handed-back task")
    assert starts["other"][0] >= limited_at + RETRY_AFTER
    assert _task(refused).retry_count == 0


async def test_a_task_without_a_key_suspends_its_queue(url: str) -> None:
    refused = await tasklib.submit_task(keyless, label="first")
    async with running_worker(url, concurrency=2):
        await wait_until_async(lambda: _handed_back(refused), what="the task handed back")
        assert (await tasklib.get_queue_async("keyless")).suspended_until is not None
        await wait_until_async(lambda: _completed(refused), what="the handed-back task")
    assert starts["first"][1] >= starts["first"][0] + RETRY_AFTER


async def test_a_sync_task_in_a_child_process_is_handed_back(url: str) -> None:
    task_id = await tasklib.submit_task(in_child)
    async with running_worker(url, concurrency=1):
        back = await wait_until_async(lambda: _handed_back(task_id), what="the task handed back")
    assert back.retry_count == 0
    assert (await tasklib.get_queue_async("child")).suspended_until is not None


async def test_run_until_idle_reports_the_task_as_pending(url: str) -> None:
    task_id = await tasklib.submit_task(keyless, label="drained")
    worker = TaskWorker(tasklib.Config(database_url=url), queues=["keyless"], handle_signals=False)
    runs = await worker.run_until_idle()
    assert [(run.task_id, run.state) for run in runs] == [(task_id, "pending")]
    assert runs[0].error == f"RateLimited: retry after {RETRY_AFTER:g} s"


async def test_a_retry_after_the_database_refuses_fails_the_task(url: str) -> None:
    task_id = await tasklib.submit_task(absurd)
    async with running_worker(url, concurrency=1):
        final = await wait_until_async(lambda: _failed(task_id), what="the task failed")
        # The worker goes on: its results connection did not stop on the refusal.
        after = await tasklib.submit_task(call_partner, customer="c", label="after")
        await wait_until_async(lambda: _completed(after), what="a task run afterwards")
    assert "the database refused retry_after=1e+12" in (final.error or "")
    assert "retry_after_seconds[1]" in (final.error or "")


async def _failed(task_id: UUID) -> tasklib.Task | None:
    task = await tasklib.get_task_async(task_id)
    return task if task.state == "failed" else None


@pytest.mark.parametrize("bad", [-1, math.nan, math.inf, "2", True, None])
def test_retry_after_must_be_a_finite_number_of_seconds(bad: Any) -> None:
    with pytest.raises(ValueError, match="retry_after must be a finite number >= 0"):
        RateLimited(retry_after=bad)


def test_scope_is_key_or_queue() -> None:
    with pytest.raises(ValueError, match="scope must be"):
        RateLimited(1, scope="worker")  # type: ignore[arg-type]


def test_it_pickles_with_its_arguments() -> None:
    copy = pickle.loads(pickle.dumps(RateLimited(2.5, scope="queue")))
    assert (copy.retry_after, copy.scope, str(copy)) == (
        2.5,
        "queue",
        "rate limited: retry after 2.5 s, scope queue",
    )
    assert isinstance(copy, tasklib.TaskLibError)
