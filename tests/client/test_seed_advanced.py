"""The seed's Advanced Features 1-6 as written, on the submit and inspect side.

Where the seed describes what a worker does (retry delays, timeouts), the worker's steps
are taken through the SQL API; the worker's own tests run them with TaskWorker.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest

import tasklib
from tests.client.simulated_worker import claim, complete, fail


def _now(conn: psycopg.Connection[Any]) -> datetime:
    row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    return row[0]


def _make_due(conn: psycopg.Connection[Any], task_id: Any) -> None:
    """Let the retry's wait pass without sleeping."""
    conn.execute("UPDATE tasklib.tasks SET next_retry_at = now() WHERE id = %s", (task_id,))


async def test_1_retries_with_backoff(tasklib_url: str, conn: psycopg.Connection[Any]) -> None:
    @tasklib.task(max_retries=5)  # Will retry up to 5 times
    def flaky_api_call() -> dict:  # type: ignore[type-arg]
        import requests  # type: ignore[import-untyped]

        return requests.get("https://api.example.com/data").json()  # type: ignore[no-any-return]

    task_id = await tasklib.submit_task(flaky_api_call)
    task = tasklib.get_task(task_id)
    assert (task.max_retries, task.backoff_base_seconds) == (5, 5.0)

    # Attempt 1 fails: wait 5 s; attempt 2 fails: wait 10 s (5 * 2^1); then 20 s (5 * 2^2)...
    waits = []
    for _attempt in range(6):
        [(claimed, _, _)] = claim(conn)
        assert claimed == task_id
        state, next_retry_at = fail(conn, task_id, "ConnectionError: api.example.com")
        assert state == "failed"
        if next_retry_at is not None:
            waits.append(round((next_retry_at - _now(conn)).total_seconds()))
            _make_due(conn, task_id)
    assert waits == [5, 10, 20, 40, 80]
    final = tasklib.get_task(task_id)
    assert tasklib.is_failed(final)
    assert tasklib.is_terminal(final)
    assert final.retry_count == 5  # 6 attempts: the first run and 5 retries


async def test_2_timeouts(tasklib_url: str) -> None:
    @tasklib.task(timeout_seconds=30)  # Max 30 seconds
    def process_file(file_path: str) -> str:
        # If this takes > 30 seconds, task fails and retries
        return file_path.upper()

    task_id = await tasklib.submit_task(process_file, file_path="/tmp/report.csv")
    assert tasklib.get_task(task_id).timeout_seconds == 30


async def test_3_delayed_execution(tasklib_url: str, conn: psycopg.Connection[Any]) -> None:
    @tasklib.task
    def send_email(to: str, subject: str) -> bool:
        return True

    # Send welcome email in 1 hour
    task_id = await tasklib.submit_task(
        send_email,
        delay_seconds=3600,  # 1 hour
        to="user@example.com",
        subject="Welcome!",
    )
    task = tasklib.get_task(task_id)
    assert task.scheduled_at - task.created_at == timedelta(hours=1)
    assert tasklib.is_pending(task)
    assert claim(conn) == []  # not due yet


async def test_4_priority(tasklib_url: str, conn: psycopg.Connection[Any]) -> None:
    @tasklib.task
    def alert_admin(message: str) -> None:
        pass

    @tasklib.task
    def cleanup_logs() -> None:
        pass

    # Low-priority task first, so that order of submission cannot explain the claim order.
    await tasklib.submit_task(
        cleanup_logs,
        priority=-10,
    )
    # High-priority task (execute first)
    await tasklib.submit_task(
        alert_admin,
        message="Disk full!",
        priority=100,  # Higher number = higher priority
    )
    claimed = [name for _, name, _ in claim(conn)]
    assert claimed == [alert_admin.name, cleanup_logs.name]


async def test_5_metadata_tags(tasklib_url: str) -> None:
    @tasklib.task
    def send_email(to: str, subject: str) -> bool:
        return True

    # Add custom metadata for filtering/monitoring
    task_id = await tasklib.submit_task(
        send_email,
        to="user@example.com",
        subject="Newsletter",
        tags={"batch": "weekly-newsletter", "cohort": "2025-10-25", "user_id": 12345},
    )
    await tasklib.submit_task(
        send_email, to="other@example.com", subject="Receipt", tags={"batch": "receipts"}
    )

    # Query later
    tasks = tasklib.list_tasks(tags={"batch": "weekly-newsletter"})
    assert [t.id for t in tasks] == [task_id]
    assert tasks[0].tags == {"batch": "weekly-newsletter", "cohort": "2025-10-25", "user_id": 12345}


def _check_results(task_id: Any) -> None:
    """The seed's Advanced 6, verbatim."""
    from tasklib import (
        get_task,
        has_error,  # noqa: F401
        has_result,  # noqa: F401
        is_completed,
        is_failed,
        is_pending,
        is_running,
        is_terminal,
    )

    task = get_task(task_id)

    if is_completed(task):
        print(f"Result: {task.result['value']}")  # type: ignore[index]

    elif is_failed(task):
        if is_terminal(task):
            print(f"Permanently failed: {task.error}")
        else:
            print(f"Temporary failure, will retry at {task.next_retry_at}")

    elif is_running(task):
        print(f"Being executed by {task.worker_id}")

    elif is_pending(task):
        print(f"Waiting to execute at {task.scheduled_at}")


async def test_6_check_results(
    tasklib_url: str, conn: psycopg.Connection[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    @tasklib.task(max_retries=1)
    def compute(n: int) -> int:
        return n * 2

    pending = await tasklib.submit_task(compute, n=0, delay_seconds=60)
    _check_results(pending)
    scheduled_at = tasklib.get_task(pending).scheduled_at
    assert capsys.readouterr().out == f"Waiting to execute at {scheduled_at}\n"
    assert not tasklib.has_result(tasklib.get_task(pending))

    done, failing, running = [await tasklib.submit_task(compute, n=n) for n in (1, 2, 3)]
    assert {task_id for task_id, _, _ in claim(conn)} == {done, failing, running}
    complete(conn, done, 2)
    fail(conn, failing, "Traceback ...\nValueError: Random failure!")

    _check_results(running)
    assert capsys.readouterr().out == "Being executed by simulated-worker\n"

    _check_results(done)
    assert capsys.readouterr().out == "Result: 2\n"
    assert tasklib.has_result(tasklib.get_task(done))

    _check_results(failing)
    retry_at = tasklib.get_task(failing).next_retry_at
    assert retry_at is not None
    assert capsys.readouterr().out == f"Temporary failure, will retry at {retry_at}\n"
    assert tasklib.has_error(tasklib.get_task(failing))

    _make_due(conn, failing)
    [(claimed, _, _)] = claim(conn)
    assert claimed == failing
    fail(conn, failing, "Traceback ...\nValueError: Random failure!")
    _check_results(failing)
    assert capsys.readouterr().out == (
        "Permanently failed: Traceback ...\nValueError: Random failure!\n"
    )
