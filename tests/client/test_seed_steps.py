"""The seed's Steps 1-6, as written; the worker of Step 5 is simulated through the SQL API."""

from __future__ import annotations

import smtplib
from typing import Any

import psycopg
import pytest

import tasklib
from tests.client.simulated_worker import claim, complete, run_due_tasks


def test_step_1_import() -> None:
    from tasklib import Config, TaskWorker, submit_task, task

    assert Config is tasklib.Config
    assert TaskWorker is tasklib.TaskWorker
    assert callable(task)
    assert callable(submit_task)


async def test_steps_2_to_6(
    database_url: str, conn: psycopg.Connection[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from tasklib import Config, submit_task, task

    # Step 2: Initialize (once at app startup)
    config = Config(database_url=database_url)
    tasklib.init(config)

    # Step 3: Define a Task
    @task
    def send_email(to: str, subject: str, body: str) -> bool:
        """Send an email. Parameters are automatically Pydantic-validated."""
        # Your code here
        smtp = smtplib.SMTP("localhost")
        smtp.send_message(...)  # type: ignore[arg-type]
        return True

    # Step 4: Submit (in your app)
    task_id = await submit_task(
        send_email, to="user@example.com", subject="Welcome!", body="Hello..."
    )
    print(f"Task queued: {task_id}")
    assert capsys.readouterr().out == f"Task queued: {task_id}\n"

    from tasklib import get_task, has_result, is_completed

    queued = get_task(task_id)
    assert queued.state == "pending"
    assert queued.args == {"to": "user@example.com", "subject": "Welcome!", "body": "Hello..."}
    assert not is_completed(queued)
    assert not has_result(queued)

    # Step 5: a worker runs it. No SMTP server here, so the stand-in records what
    # send_email returns on success.
    [(claimed_id, name, args)] = claim(conn)
    assert (claimed_id, name) == (task_id, send_email.name)
    assert send_email.rebuild_args(args) == queued.args
    complete(conn, claimed_id, True)

    # Step 6: Monitor (optional)
    task = get_task(task_id)
    print(f"State: {task.state}")  # "pending", "running", "completed", "failed"
    print(f"Is done: {is_completed(task)}")
    print(f"Result: {task.result}")  # {"value": true}
    assert capsys.readouterr().out == "State: completed\nIs done: True\nResult: {'value': True}\n"
    assert has_result(task)
    assert task.result_as(send_email) is True
    tasklib.close()


async def test_step_6_with_the_function_run(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    @tasklib.task
    def shout(text: str) -> str:
        return text.upper()

    task_id = await tasklib.submit_task(shout, text="hello")
    assert run_due_tasks(conn) == [task_id]
    task = tasklib.get_task(task_id)
    assert tasklib.is_completed(task)
    assert task.result == {"value": "HELLO"}
