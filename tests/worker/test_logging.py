"""Per-task log lines (issue 15 item 3): start, success, retry, failure for good, timeout and
lease lost, each with task_id, task_name, attempt, max_attempts and duration as fields; and
`tasklib worker --log-format json`."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import tasklib
from tests.worker import tasks_inprocess as t
from tests.worker.support import fetch, running_worker, wait_until, worker_processes, write_app

TASKS = "tasklib.worker.tasks"


def task_records(caplog: pytest.LogCaptureFixture, task_id: object) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == TASKS and r.__dict__.get("task_id") == str(task_id)
    ]


def fields(record: logging.LogRecord) -> dict[str, Any]:
    keys = ("event", "task_name", "attempt", "max_attempts", "worker_id")
    return {key: record.__dict__[key] for key in keys}


def terminal(task_id: object) -> bool:
    return tasklib.is_terminal(tasklib.get_task(task_id))  # type: ignore[arg-type]


async def test_a_success_and_its_start_are_debug_with_its_duration(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=TASKS)
    task_id = await tasklib.submit_task(t.sleeper, seconds=0.05)
    async with running_worker(url, worker_id="w-log"):
        await wait_until(lambda: terminal(task_id), what="completion")
        await wait_until(lambda: len(task_records(caplog, task_id)) == 2, what="two lines")
    started, completed = task_records(caplog, task_id)
    assert started.levelno == logging.DEBUG
    assert started.getMessage() == f"task {task_id} {t.sleeper.name} started (attempt 1/4)"
    assert fields(started) == {
        "event": "started",
        "task_name": t.sleeper.name,
        "attempt": 1,
        "max_attempts": 4,
        "worker_id": "w-log",
    }
    assert completed.levelno == logging.DEBUG
    assert fields(completed)["event"] == "completed"
    duration = completed.__dict__["duration"]
    assert 0.05 <= duration < 5
    assert completed.getMessage() == (
        f"task {task_id} {t.sleeper.name} completed (attempt 1/4, {duration:.3f} s)"
    )


async def test_retries_are_warnings_with_the_next_time_and_the_last_failure_an_error(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=TASKS)
    task_id = await tasklib.submit_task(t.always_fails)  # max_retries=3, backoff 0.05 s
    async with running_worker(url):
        await wait_until(lambda: terminal(task_id), what="the final failure")
        await wait_until(lambda: len(task_records(caplog, task_id)) == 4, what="four lines")
    *retries, final = task_records(caplog, task_id)
    assert [(r.levelno, r.__dict__["attempt"]) for r in retries] == [
        (logging.WARNING, 1),
        (logging.WARNING, 2),
        (logging.WARNING, 3),
    ]
    for record in retries:
        assert record.__dict__["event"] == "retrying"
        assert record.__dict__["max_attempts"] == 4
        assert record.__dict__["error"] == "RuntimeError: this task always fails"
        assert record.__dict__["next_retry_at"] in record.getMessage()
        assert record.__dict__["duration"] is not None
        assert " failed (attempt " in record.getMessage()
        assert record.getMessage().endswith("RuntimeError: this task always fails")
    assert final.levelno == logging.ERROR
    assert fields(final)["event"] == "failed"
    assert (final.__dict__["attempt"], final.__dict__["max_attempts"]) == (4, 4)
    assert " failed for good (attempt 4/4, " in final.getMessage()
    # The traceback is printed below the line, as log.exception() does.
    text = logging.Formatter("%(levelname)s %(message)s").format(final)
    assert "Traceback (most recent call last)" in text
    assert text.rstrip().endswith("RuntimeError: this task always fails")


async def test_a_timeout_is_logged_as_a_failure_that_says_timeout(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=TASKS)
    task_id = await tasklib.submit_task(t.slow_async, seconds=5)  # timeout 0.3 s, 1 retry
    async with running_worker(url):
        await wait_until(lambda: terminal(task_id), what="the final timeout")
        await wait_until(lambda: len(task_records(caplog, task_id)) == 2, what="two lines")
    retry, final = task_records(caplog, task_id)
    assert (retry.levelno, final.levelno) == (logging.WARNING, logging.ERROR)
    assert " timed out (attempt 1/2, " in retry.getMessage()
    assert " timed out for good (attempt 2/2, " in final.getMessage()
    for record in (retry, final):
        assert record.__dict__["timeout"] is True
        assert "exceeded its timeout of 0.3 s" in record.__dict__["error"]


async def test_a_task_that_cannot_run_here_is_an_error(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=TASKS)
    # Arguments another service stored that this code cannot take: failed for good, at once.
    (task_id,) = fetch(
        url,
        "SELECT tasklib.submit(%s, '{\"name\": 5}', max_retries => 3)",
        (t.greet.name,),
    )[0]
    async with running_worker(url):
        await wait_until(lambda: terminal(task_id), what="the failure")
        await wait_until(lambda: len(task_records(caplog, task_id)) == 1, what="one line")
    (record,) = task_records(caplog, task_id)
    assert record.levelno == logging.ERROR
    assert f"{t.greet.name} failed for good (attempt 1/4, not retryable)" in record.getMessage()


async def test_a_lost_lease_is_a_warning(url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=TASKS)
    task_id = await tasklib.submit_task(t.sleeper, seconds=30)
    # Heartbeats every 0.2 s; the task is taken from this worker as if its lease had expired.
    async with running_worker(url, lease_seconds=0.6, shutdown_grace_seconds=0):
        await wait_until(lambda: tasklib.get_task(task_id).state == "running", what="the start")
        fetch(
            url,
            "UPDATE tasklib.tasks SET worker_id = 'another' WHERE id = %s RETURNING 1",
            (task_id,),
        )
        await wait_until(lambda: bool(task_records(caplog, task_id)), what="the warning")
    (record,) = task_records(caplog, task_id)
    assert record.levelno == logging.WARNING
    assert record.__dict__["event"] == "lease_lost"
    assert "lost its lease" in record.getMessage()


async def test_an_outcome_refused_for_a_lost_lease_is_a_warning(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=TASKS)
    task_id = await tasklib.submit_task(t.sleeper, seconds=0.5)
    async with running_worker(url):
        await wait_until(lambda: tasklib.get_task(task_id).state == "running", what="the start")
        fetch(
            url,
            "UPDATE tasklib.tasks SET worker_id = 'another' WHERE id = %s RETURNING 1",
            (task_id,),
        )
        await wait_until(lambda: bool(task_records(caplog, task_id)), what="the warning")
    (record,) = task_records(caplog, task_id)
    assert record.levelno == logging.WARNING
    assert record.__dict__["event"] == "lease_lost"
    assert "completed (attempt 1/4, " in record.getMessage()
    assert "lease was lost meanwhile" in record.getMessage()


def test_an_outcome_refused_on_a_resend_is_info_not_a_lost_lease(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A batch sent again after its answer was lost with the connection finds its tasks
    recorded by the first send: that is no lease lost."""
    from tasklib.worker import Completed
    from tasklib.worker._tasklog import TaskLog

    caplog.set_level(logging.INFO, logger=TASKS)
    task_log = TaskLog("w")
    task_log.started("id-1", "x.y", 0, 3)
    task_log.ended("id-1")
    task_log.completed([Completed("id-1", "null")], {"id-1"}, resent=True)
    (record,) = task_records(caplog, "id-1")
    assert record.levelno == logging.INFO
    assert record.__dict__["event"] == "refused_on_resend"
    assert "most likely recorded by the first send" in record.getMessage()


def test_json_formatter_writes_the_fields_and_the_traceback() -> None:
    from tasklib.worker import JsonFormatter

    record = logging.LogRecord(
        "tasklib.worker.tasks", logging.ERROR, "f.py", 1, "a %s", ("b",), None
    )
    record.__dict__.update(task_id="123", attempt=2, when=object(), duration=0.25)
    record.exc_text = "Traceback (most recent call last):\nValueError: x"
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["message"] == "a b"
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "tasklib.worker.tasks"
    assert entry["time"].endswith("Z")
    assert (entry["task_id"], entry["attempt"], entry["duration"]) == ("123", 2, 0.25)
    assert entry["when"].startswith("<object object")
    assert entry["traceback"].endswith("ValueError: x")
    assert "\n" not in line


def test_tasklib_worker_log_format_json(database_url: str, tmp_path: Path) -> None:
    write_app(tmp_path)
    (task_id,) = fetch(
        database_url, "SELECT tasklib.submit('myapp.tasks.hello', '{\"name\": \"A\"}')"
    )[0]
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tasklib",
                "worker",
                "myapp.tasks",
                "--log-format",
                "json",
                "--log-level",
                "debug",
            ],
            cwd=tmp_path,
            env={
                **os.environ,
                "TASKLIB_DATABASE_URL": database_url,
                "TASKLIB_TEST_RECORD_DIR": str(tmp_path),
            },
            stdout=subprocess.DEVNULL,
            stderr=out,
        )
    with worker_processes([proc]):
        deadline = time.monotonic() + 30
        while '"event": "completed"' not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    (banner,) = [e for e in entries if e["message"].startswith("Starting TaskWorker")]
    assert banner["tasks"] == ["myapp.tasks.hello"]
    mine = [e for e in entries if e.get("task_id") == str(task_id)]
    assert [(e["level"], e["event"]) for e in mine] == [
        ("DEBUG", "started"),
        ("DEBUG", "completed"),
    ]
    done = mine[1]
    assert (done["task_name"], done["attempt"], done["max_attempts"]) == ("myapp.tasks.hello", 1, 4)
    assert isinstance(done["duration"], float)
    assert done["logger"] == "tasklib.worker.tasks"
