"""The seed's Error Handling section as written."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import psycopg
import pytest

import tasklib
from tests.client.simulated_worker import run_due_tasks


@tasklib.task
def greet(name: str) -> str:
    return f"Hello {name}!"


async def test_valid_submission(tasklib_url: str) -> None:
    # ✅ Valid
    task_id = await tasklib.submit_task(greet, name="Alice")
    assert tasklib.get_task(task_id).args == {"name": "Alice"}


async def test_invalid_submissions_are_rejected(
    tasklib_url: str, conn: psycopg.Connection[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # ❌ Wrong type - rejected with ValidationError
    try:
        await tasklib.submit_task(greet, name=123)  # name should be str
    except tasklib.TaskLibError:
        print("Rejected: wrong type")

    # ❌ Missing required param - rejected
    try:
        await tasklib.submit_task(greet)  # missing 'name'
    except tasklib.TaskLibError:
        print("Rejected: missing parameter")

    # ❌ Task not registered - rejected
    async def undecorated():  # type: ignore[no-untyped-def]
        return "oops"

    try:
        await tasklib.submit_task(undecorated)  # type: ignore[arg-type]
    except tasklib.TaskLibError:
        print("Rejected: not registered with @task")

    assert capsys.readouterr().out == (
        "Rejected: wrong type\nRejected: missing parameter\nRejected: not registered with @task\n"
    )
    assert conn.execute("SELECT count(*) FROM tasklib.tasks").fetchone() == (0,)


async def test_rejections_say_what_is_wrong(tasklib_url: str) -> None:
    with pytest.raises(tasklib.TaskValidationError, match=r"name: Input should be a valid string"):
        await tasklib.submit_task(greet, name=123)
    with pytest.raises(tasklib.TaskValidationError, match=r"name: Field required"):
        await tasklib.submit_task(greet)

    async def undecorated() -> str:
        return "oops"

    with pytest.raises(tasklib.NotATaskError, match=r"undecorated is not a task.*@tasklib\.task"):
        await tasklib.submit_task(undecorated)  # type: ignore[arg-type]


async def test_task_execution_errors(tasklib_url: str, conn: psycopg.Connection[Any]) -> None:
    @tasklib.task(max_retries=3)
    def risky_task() -> str:
        if random.random() < 0.5:
            raise ValueError("Random failure!")
        return "success"

    # Submit
    task_id = await tasklib.submit_task(risky_task)

    # Force the failing branch, to check what the seed says happens then.
    state = random.getstate()
    random.seed(0)  # random.random() starts 0.844, 0.758, 0.420: fail on the third draw
    random.random(), random.random()
    try:
        run_due_tasks(conn)
    finally:
        random.setstate(state)

    task = tasklib.get_task(task_id)
    # - Captured: task.error = "<full traceback>"
    assert task.error is not None
    assert task.error.startswith("Traceback (most recent call last):")
    assert task.error.rstrip().endswith("ValueError: Random failure!")
    # - Scheduled: task.next_retry_at = NOW() + 5 seconds
    assert task.next_retry_at is not None
    assert task.started_at is not None
    assert timedelta(seconds=4.9) < task.next_retry_at - task.started_at < timedelta(seconds=6)
    # - Marked: task.state = "failed"
    assert task.state == "failed"
    # - Queued: Will retry at next_retry_at automatically
    assert not tasklib.is_terminal(task)
    assert task.run_at == task.next_retry_at
