"""Starting a worker: it refuses to start without tasks, without a database or without the
schema (one line, the CLI's exit codes), says who it is when it starts, and stops promptly
while its database is away (issue 15, items 2 and 4)."""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

import tasklib
from tasklib import Config, ConfigurationError, DatabaseUnavailableError, TaskWorker
from tasklib.errors import SchemaMissingError
from tasklib.registry import registered_tasks
from tasklib.worker import State
from tasklib.worker._worker import describe_database
from tests.worker import tasks_inprocess as t
from tests.worker.support import (
    ROOT,
    Proxy,
    closed_port,
    fetch,
    run_tasklib,
    running_worker,
    wait_for_row,
    wait_until,
    worker_processes,
    write_app,
)


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{text}"
    return lines[0]


# -- item 2: no tasks, no start; a banner when it starts -------------------------------------


async def test_a_worker_without_registered_tasks_refuses_to_start(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tasklib.worker._worker.registered_tasks", dict)
    worker = TaskWorker(Config(database_url=database_url), handle_signals=False)
    with pytest.raises(ConfigurationError, match="no tasks are registered in this process"):
        await asyncio.wait_for(worker.run(), 10)
    assert worker.state is State.NEW
    assert fetch(database_url, "SELECT count(*) FROM tasklib.workers") == [(0,)]


def test_tasklib_worker_on_a_package_without_tasks_exits_2_and_takes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    """The issue's first hour: `tasklib worker myapp` (not myapp.tasks) destroyed a task."""
    write_app(tmp_path)
    (task_id,) = fetch(database_url, "SELECT tasklib.submit('myapp.tasks.hello', '{}')")[0]
    result = run_tasklib(
        "worker", "myapp", "--database-url", database_url, cwd=tmp_path, timeout=20
    )
    assert result.code == 2, result.err
    line = _one_line(result.err)
    assert line.startswith("error: no tasks are registered after importing 'myapp'"), line
    assert "myapp.tasks" in line
    assert fetch(
        database_url, "SELECT state, retry_count FROM tasklib.tasks WHERE id = %s", (task_id,)
    ) == [("pending", 0)]


async def test_the_start_banner_names_worker_concurrency_queues_tasks_and_database(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tasklib.worker")
    async with running_worker(url, 3, queues=["emails", "default"], worker_id="w-banner"):
        await wait_until(
            lambda: any("tasks (" in r.getMessage() for r in caplog.records), what="the banner"
        )
    first, where, tasks = [
        r for r in caplog.records if r.name == "tasklib.worker" and r.levelno == logging.INFO
    ][:3]
    assert first.getMessage() == "Starting TaskWorker w-banner with concurrency=3"
    parts = urlsplit(url)
    database = describe_database(url)  # user@host:port/db, or the socket folder as host
    assert database.endswith("/" + psycopg.conninfo.conninfo_to_dict(url)["dbname"])
    assert ":" not in database.partition("@")[0]  # no password
    assert where.getMessage() == f"  database: {database}; queues: emails, default"
    names = sorted(registered_tasks())
    assert tasks.getMessage() == f"  tasks ({len(names)}): {', '.join(names)}"
    assert "tests.worker.tasks_inprocess.greet" in names
    # The same facts as fields, for JSON logs.
    assert first.__dict__["worker_id"] == "w-banner"
    assert first.__dict__["concurrency"] == 3
    assert first.__dict__["queues"] == ["emails", "default"]
    assert first.__dict__["tasks"] == names
    assert first.__dict__["database"] == database
    if parts.password:
        assert all(parts.password not in r.getMessage() for r in caplog.records)


def test_the_banner_shows_no_password() -> None:
    from tasklib.worker._worker import describe_database

    assert describe_database("postgresql://app:s3cret@db.internal:6432/prod") == (
        "app@db.internal:6432/prod"
    )
    assert describe_database("postgresql://db.internal/prod?password=s3cret&user=app") == (
        "app@db.internal/prod"
    )
    assert describe_database("postgresql:///prod") == "localhost/prod"


# -- item 4: fail at start-up; reconnect only what once worked -------------------------------


async def test_run_raises_database_unavailable_when_the_first_connection_fails() -> None:
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/nowhere"
    worker = TaskWorker(Config(database_url=url), handle_signals=False)
    began = time.monotonic()
    with pytest.raises(DatabaseUnavailableError, match="cannot connect to the database at") as e:
        await asyncio.wait_for(worker.run(), 20)
    assert "refused" in str(e.value)
    assert time.monotonic() - began < 10
    assert worker.state is State.STOPPED


async def test_run_raises_schema_missing_before_migrate_and_leaves_nothing(
    make_database: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    bare = make_database("worker_bare")
    worker = TaskWorker(Config(database_url=bare), handle_signals=False)
    with pytest.raises(SchemaMissingError):
        await asyncio.wait_for(worker.run(), 20)
    assert worker.state is State.STOPPED
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_tasklib_worker_exits_3_with_the_line_of_tasklib_status_when_unreachable() -> None:
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/nowhere"
    status = run_tasklib("status", "--database-url", url)
    worker = run_tasklib(
        "worker", "tests.worker.tasks_subprocess", "--database-url", url, timeout=30
    )
    assert (worker.code, status.code) == (3, 3)
    assert _one_line(worker.err) == _one_line(status.err)
    assert worker.err.startswith("error: cannot connect to the database at postgresql://")


def test_tasklib_worker_before_migrate_exits_1_with_one_line(
    make_database: Callable[[str], str],
) -> None:
    bare = make_database("worker_cli_bare")
    result = run_tasklib("worker", "tests.worker.tasks_subprocess", "--database-url", bare)
    assert result.code == 1, result.err
    line = _one_line(result.err)
    assert line.startswith("error: the tasklib schema is missing or outdated in this database")
    assert "tasklib migrate" in line


def test_sigterm_while_reconnecting_stops_within_two_seconds(
    database_url: str, tmp_path: Path
) -> None:
    if not urlsplit(database_url).hostname:
        pytest.skip("the cutting proxy speaks TCP; the server here listens on a unix socket")
    proxy = Proxy(database_url)
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tasklib", "worker", "tests.worker.tasks_subprocess"],
            cwd=ROOT,
            env={**_env(), "TASKLIB_DATABASE_URL": proxy.url},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    with worker_processes([proc]):
        asyncio.run(wait_for_row(database_url, "SELECT 1 FROM tasklib.workers", within=30))
        # The banner follows the start-up: a cut before it is a failed start (exit 3, by
        # design: first connections are not retried), not a reconnect.
        wait_for_text(log, "Starting TaskWorker", proc)
        proxy.cut()
        wait_for_text(log, "reconnecting in", proc)
        time.sleep(0.5)  # well into the backoff of every connection that noticed
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(15)
        took = time.monotonic() - began
    assert code == 0, log.read_text()
    print(f"\nstopped {took:.2f} s after SIGTERM while reconnecting")
    assert took < 2.5, f"took {took:.1f} s to stop:\n{log.read_text()}"
    assert "stay leased" not in log.read_text()


def wait_for_text(log: Path, text: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while text not in log.read_text():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"no {text!r} in:\n{log.read_text()}"
        time.sleep(0.05)


def _env() -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}


async def test_a_connection_that_worked_is_retried(url: str) -> None:
    """After the start-up, a lost connection is an outage: the worker waits and comes back."""
    async with running_worker(url, worker_id="w-retry", poll_interval_seconds=0.2):
        await wait_for_row(url, "SELECT 1 FROM tasklib.workers")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name LIKE 'tasklib:worker:%%'"
                " AND datname = current_database()"
            )
        task_id = await tasklib.submit_task(t.greet, name="back")
        await wait_until(
            lambda: tasklib.get_task(task_id).state == "completed", what="a task after the cut"
        )


def test_sigterm_during_the_start_up_stops_at_once(tmp_path: Path) -> None:
    """A server that accepts the connection and never answers: SIGTERM does not wait for the
    connect timeout."""
    import socket

    with socket.create_server(("127.0.0.1", 0), backlog=8) as silent:
        url = f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/nowhere"
        log = tmp_path / "worker.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "tasklib", "worker", "tests.worker.tasks_subprocess"],
                cwd=ROOT,
                env={**_env(), "TASKLIB_DATABASE_URL": url},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        with worker_processes([proc]):
            silent.settimeout(30)
            connection, _ = silent.accept()  # the worker is connecting, and gets no answer
            assert proc.poll() is None, log.read_text()
            began = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(15)
            took = time.monotonic() - began
            connection.close()
    assert code == 0, log.read_text()
    assert took < 2, log.read_text()
    assert "stopped before it started" in log.read_text()
