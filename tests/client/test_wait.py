"""wait_for_task and wait_for_result: woken by NOTIFY on tasklib_finished, typed results."""

from __future__ import annotations

import asyncio
import threading

import psycopg
import pydantic
import pytest

import tasklib
from tests.client.simulated_worker import claim, complete, fail
from tests.support.waiting import wait_until_async


class Summary(pydantic.BaseModel):
    words: int
    top: list[str]


@tasklib.task
def summarize(text: str) -> Summary:
    words = text.split()
    return Summary(words=len(words), top=sorted(set(words))[:2])


@tasklib.task
async def summarize_async(text: str) -> Summary:
    return summarize(text)


def _finish_later(url: str, action: str, delay: float = 0.2) -> threading.Thread:
    """From another connection, after a pause: claim every due task and finish it."""

    def run() -> None:
        threading.Event().wait(delay)
        with psycopg.connect(url, autocommit=True) as other:
            for task_id, name, args in claim(other):
                if action == "complete":
                    definition = tasklib.registry.get_definition(name)
                    assert definition is not None
                    value = summarize.fn(**definition.rebuild_args(args))
                    complete(other, task_id, value.model_dump(mode="json"))
                elif action == "retryable-failure":
                    fail(other, task_id, "ValueError: transient")
                else:
                    fail(other, task_id, "Traceback ...\nValueError: no summary", retryable=False)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


async def test_wait_is_woken_when_another_connection_completes(tasklib_url: str) -> None:
    task_id = await tasklib.submit_task(summarize, text="b a c a")
    finisher = _finish_later(tasklib_url, "complete")
    # A generous timeout: the wait ends on the NOTIFY, not on the timeout.
    task = await tasklib.wait_for_task(task_id, timeout=30)
    finisher.join()
    assert tasklib.is_completed(task)
    assert task.result == {"value": {"words": 4, "top": ["a", "b"]}}
    summary = task.result_as(summarize)
    assert summary == Summary(words=4, top=["a", "b"])


async def test_wait_for_result_is_typed_for_async_tasks(tasklib_url: str) -> None:
    task_id = await tasklib.submit_task(summarize_async, text="z y")
    finisher = _finish_later(tasklib_url, "complete")
    summary = await tasklib.wait_for_result(summarize_async, task_id, timeout=30)
    finisher.join()
    assert isinstance(summary, Summary)
    assert summary.top == ["y", "z"]


def test_sync_wait_for_result(tasklib_url: str) -> None:
    task_id = tasklib.submit_task_sync(summarize, text="one")
    finisher = _finish_later(tasklib_url, "complete")
    assert tasklib.wait_for_result_sync(summarize, task_id, timeout=30).words == 1
    finisher.join()
    # Already finished: returns at once.
    assert tasklib.wait_for_task_sync(task_id, timeout=0).state == "completed"


async def test_a_permanent_failure_raises_task_failed(tasklib_url: str) -> None:
    task_id = await tasklib.submit_task(summarize, text="x")
    finisher = _finish_later(tasklib_url, "permanent-failure")
    with pytest.raises(
        tasklib.TaskFailedError, match=r"failed permanently: ValueError: no summary"
    ):
        await tasklib.wait_for_result(summarize, task_id, timeout=30)
    finisher.join()


async def test_a_cancelled_task_ends_the_wait(tasklib_url: str) -> None:
    task_id = await tasklib.submit_task(summarize, text="x", delay_seconds=600)
    waiter = asyncio.create_task(tasklib.wait_for_result(summarize, task_id, timeout=30))
    listener = tasklib.client.default_async_client()._listener
    await wait_until_async(
        lambda: str(task_id) in listener._waiters, what="the wait to subscribe to its task"
    )
    await tasklib.cancel_task_async(task_id)
    with pytest.raises(tasklib.TaskFailedError, match="was cancelled") as failed:
        await waiter
    assert failed.value.task.state == "cancelled"


async def test_a_failure_with_retries_left_keeps_waiting(tasklib_url: str) -> None:
    task_id = await tasklib.submit_task(summarize, text="x")
    finisher = _finish_later(tasklib_url, "retryable-failure", delay=0.05)
    with pytest.raises(tasklib.TaskTimeoutError, match=f"task {task_id} did not finish"):
        await tasklib.wait_for_task(task_id, timeout=0.6)
    finisher.join()
    assert tasklib.get_task(task_id).state == "failed"


async def test_wait_errors(tasklib_url: str) -> None:
    from uuid import uuid4

    with pytest.raises(tasklib.TaskNotFoundError):
        await tasklib.wait_for_task(uuid4(), timeout=1)
    task_id = await tasklib.submit_task(summarize, text="x")
    with pytest.raises(tasklib.TaskTimeoutError):
        tasklib.wait_for_task_sync(task_id, timeout=0.1)
    other_id = tasklib.cancel_task(task_id).id
    with pytest.raises(tasklib.InvalidArgumentError, match="not"):
        await tasklib.wait_for_result(summarize_async, other_id, timeout=1)
