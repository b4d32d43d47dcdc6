"""Cancelling running tasks: tasklib.cancel from a plain connection reaches the worker that runs
the task (NOTIFY, or the poll without LISTEN), which stops it and records it cancelled."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Any

import psycopg
import psycopg.conninfo
import pytest

import tasklib
from tasklib.worker import TaskRun
from tasklib.worker._reconnect import ReconnectingConnection
from tests.support.waiting import wait_until_async
from tests.worker import tasks_cancel as t
from tests.worker.support import Proxy, fetch, running_worker

# The bound, from cancel() returning to the row saying cancelled.
WITHIN = 2.0


@pytest.fixture(autouse=True)
def _no_events() -> None:
    t.events.clear()


def row(url: str, task_id: object) -> dict[str, Any]:
    query = (
        "SELECT state, error, retry_count, next_retry_at, terminal, cancelled_by, cancel_reason"
        " FROM tasklib.tasks WHERE id = %s"
    )
    state, error, retries, next_retry, terminal, by, reason = fetch(url, query, (task_id,))[0]
    return {
        "state": state,
        "error": error,
        "retry_count": retries,
        "next_retry_at": next_retry,
        "terminal": terminal,
        "cancelled_by": by,
        "cancel_reason": reason,
    }


def state(url: str, task_id: object) -> str:
    return str(row(url, task_id)["state"])


def cancel(url: str, task_id: object, reason: str | None = None) -> float:
    """``SELECT tasklib.cancel(id, reason)`` on a plain connection, as from psql; returns when."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT tasklib.cancel(%s, %s)", (task_id, reason))
    return time.monotonic()


async def until_started(key: str) -> None:
    await wait_until_async(lambda: "started" in t.events.get(key, ()), what=f"{key} to start")


async def until_cancelled(url: str, task_id: object, since: float, within: float = WITHIN) -> float:
    """Wait for the task to be recorded cancelled; how long that took after ``since``."""
    await wait_until_async(
        lambda: state(url, task_id) == "cancelled",
        what=f"task {task_id} to end cancelled",
        timeout=within,
        interval=0.01,
        detail=lambda: row(url, task_id),
    )
    return time.monotonic() - since


def login(url: str) -> str:
    return str(fetch(url, "SELECT session_user")[0][0])


async def test_an_async_task_gets_cancelled_error_and_ends_cancelled(url: str) -> None:
    task_id = await tasklib.submit_task(t.sleep_long, key="a", seconds=60)
    async with running_worker(url, concurrency=1) as worker:
        await until_started("a")
        took = await until_cancelled(url, task_id, cancel(url, task_id, "customer left"))
        assert worker.running_tasks == 0
        # The worker goes on with other tasks in the slot the cancelled one held.
        after = await tasklib.submit_task(t.quick, n=7)
        await wait_until_async(lambda: state(url, after) == "completed", what="the next task")
    print(f"async task sleeping 60 s: cancelled {took:.3f} s after tasklib.cancel returned")
    assert t.events["a"] == ["started", "CancelledError, cancel_requested=True", "finally"]
    final = row(url, task_id)
    assert final == {
        "state": "cancelled",
        "error": f"cancelled by {login(url)}: customer left",
        "retry_count": 0,
        "next_retry_at": None,
        "terminal": True,
        "cancelled_by": login(url),
        "cancel_reason": "customer left",
    }
    assert t.events["a"].count("started") == 1  # not run again


async def test_a_sync_busy_loop_in_a_thread_is_interrupted(url: str) -> None:
    task_id = await tasklib.submit_task(t.spin, key="s")
    # Grace far beyond the bound: the thread itself stops, nothing is left behind.
    async with running_worker(url, concurrency=1, cancel_grace_seconds=30) as worker:
        await until_started("s")
        took = await until_cancelled(url, task_id, cancel(url, task_id))
        after = await tasklib.submit_task(t.quick, n=1)
        # The pool's only thread ran the loop: the next task runs only if the loop stopped.
        await wait_until_async(lambda: state(url, after) == "completed", what="the next task")
        assert worker.running_tasks == 0
    print(f"sync busy loop in a thread: cancelled {took:.3f} s after tasklib.cancel returned")
    assert t.events["s"] == ["started", "TaskCancelled, cancel_requested=True"]
    final = row(url, task_id)
    assert (final["error"], final["retry_count"], final["next_retry_at"]) == (
        f"cancelled by {login(url)}",
        0,
        None,
    )


async def test_a_sync_task_in_a_child_process_is_terminated(url: str, tmp_path: Path) -> None:
    task_id = await tasklib.submit_task(t.spin_in_child, folder=str(tmp_path))
    async with running_worker(url, concurrency=1, cancel_grace_seconds=30):
        pid_file = tmp_path / "pid"
        await wait_until_async(pid_file.exists, what="the child to start")
        pid = int(pid_file.read_text())
        took = await until_cancelled(url, task_id, cancel(url, task_id, "too slow"))
    print(f"sync busy loop in a child process: cancelled {took:.3f} s after tasklib.cancel")
    # SIGTERM raised TaskCancelled in it: it cleaned up, then its process ended.
    assert (tmp_path / "cleaned-up").read_text() == "cancel_requested=True"
    assert not _alive(pid)
    assert row(url, task_id)["error"] == f"cancelled by {login(url)}: too slow"


async def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period(
    url: str, tmp_path: Path
) -> None:
    task_id = await tasklib.submit_task(t.ignores_sigterm, folder=str(tmp_path))
    async with running_worker(url, concurrency=1, cancel_grace_seconds=0.5):
        await wait_until_async((tmp_path / "pid").exists, what="the child to start")
        pid = int((tmp_path / "pid").read_text())
        took = await until_cancelled(url, task_id, cancel(url, task_id))
    assert took >= 0.5
    assert not _alive(pid)
    assert row(url, task_id)["error"] == (
        f"cancelled by {login(url)} (its process was still running 0.5 s after SIGTERM and was "
        "killed)"
    )


async def test_an_async_task_that_swallows_cancellation_is_left_behind_after_the_grace_period(
    url: str,
) -> None:
    # It swallows the CancelledError and the one more the worker sends when it gives up on it;
    # the worker's shutdown sends a third, which it heeds.
    task_id = await tasklib.submit_task(t.ignores_cancellation, key="i", times=2)
    async with running_worker(url, concurrency=1, cancel_grace_seconds=0.5) as worker:
        await until_started("i")
        took = await until_cancelled(url, task_id, cancel(url, task_id))
        assert 0.5 <= took < WITHIN
        assert worker.running_tasks == 0
        after = await tasklib.submit_task(t.quick, n=2)
        await wait_until_async(lambda: state(url, after) == "completed", what="the next task")
        assert t.events["i"] == ["started", "ignored 1", "ignored 2"]
    assert t.events["i"][-1] == "gave in"
    assert row(url, task_id)["error"] == (
        f"cancelled by {login(url)} (it was still running 0.5 s after CancelledError; the "
        "worker stopped waiting)"
    )


async def test_a_thread_blocked_in_c_is_left_behind_and_its_slot_reused(url: str) -> None:
    task_id = await tasklib.submit_task(t.blocks_in_c, key="b", seconds=3)
    async with running_worker(url, concurrency=1, cancel_grace_seconds=0.3):
        await until_started("b")
        took = await until_cancelled(url, task_id, cancel(url, task_id))
        assert 0.3 <= took < WITHIN
        # A fresh thread runs the next task while the old one still sleeps.
        after = await tasklib.submit_task(t.quick, n=3)
        await wait_until_async(lambda: state(url, after) == "completed", what="the next task")
        assert t.events["b"] == ["started"]
        # Once its sleep returns, TaskCancelled reaches it and the thread ends.
        await wait_until_async(lambda: len(t.events["b"]) == 2, what="the sleep to end")
    assert t.events["b"] == ["started", "TaskCancelled after the sleep"]
    assert row(url, task_id)["error"] == (
        f"cancelled by {login(url)} (its thread was still running 0.3 s later; the worker "
        "stopped waiting for it)"
    )


async def test_a_task_that_catches_cancellation_and_returns_is_still_cancelled(url: str) -> None:
    task_id = await tasklib.submit_task(t.stops_cleanly, key="c")
    async with running_worker(url, concurrency=1):
        await until_started("c")
        await until_cancelled(url, task_id, cancel(url, task_id))
    assert t.events["c"] == ["started", "cleaned up"]
    assert row(url, task_id)["state"] == "cancelled"


async def test_code_the_task_started_sees_cancel_requested(url: str) -> None:
    assert tasklib.cancel_requested() is False  # outside any task
    task_id = await tasklib.submit_task(t.checks_cooperatively, key="k")
    async with running_worker(url, concurrency=1):
        await until_started("k")
        await until_cancelled(url, task_id, cancel(url, task_id))
    assert t.events["k"] == ["started", "helper saw cancel_requested"]


async def test_without_listen_the_poll_finds_the_request(url: str) -> None:
    task_id = await tasklib.submit_task(t.sleep_long, key="p")
    async with running_worker(url, listen_notify=False, poll_interval_seconds=0.2):
        await until_started("p")
        took = await until_cancelled(url, task_id, cancel(url, task_id))
    print(f"listen_notify=False, poll every 0.2 s: cancelled {took:.3f} s after tasklib.cancel")
    assert t.events["p"][1] == "CancelledError, cancel_requested=True"


async def test_a_request_made_while_the_listener_reconnects_is_found(url: str) -> None:
    # No poll and no heartbeat within the test: only the listener can bring the news.
    task_id = await tasklib.submit_task(t.sleep_long, key="r")
    async with running_worker(url, poll_interval_seconds=30, lease_seconds=120):
        await until_started("r")
        # The listening session ends (waited for); the NOTIFY of the cancel that follows is
        # sent while the worker reconnects, to nobody: it looks once it listens again.
        (ended,) = fetch(
            url,
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
            " WHERE datname = current_database()"
            " AND application_name = 'tasklib:worker:notifications'",
        )
        assert ended == (1,)
        took = await until_cancelled(url, task_id, cancel(url, task_id))
    print(f"cancelled while the listener reconnected: {took:.3f} s after tasklib.cancel")


async def test_while_the_listener_is_down_the_worker_polls(url: str) -> None:
    if str(psycopg.conninfo.conninfo_to_dict(url).get("host", "")).startswith("/"):
        pytest.skip("the cutting proxy speaks TCP; the server here listens on a unix socket")
    # The worker's LISTEN connection alone goes through a proxy that can cut it for good.
    proxy = Proxy(url)
    config = tasklib.Config(database_url=url, poll_interval_seconds=0.2, lease_seconds=120)
    worker = tasklib.TaskWorker(config, handle_signals=False, shutdown_grace_seconds=5)
    worker._listen_db = ReconnectingConnection(  # type: ignore[attr-defined]
        tasklib.Config(database_url=proxy.url), "notifications"
    )
    task_id = await tasklib.submit_task(t.sleep_long, key="d")
    running = asyncio.create_task(worker.run())
    try:
        await until_started("d")
        proxy.cut()  # the listener is gone, and cannot come back
        took = await until_cancelled(url, task_id, cancel(url, task_id))
    finally:
        await worker.stop()
        await running
    print(f"cancelled while the listener was down: {took:.3f} s after tasklib.cancel")


async def test_cancel_tasks_stops_every_matching_running_task(url: str) -> None:
    batch = [
        await tasklib.submit_task(t.sleep_long, key=f"m{n}", tags={"batch": "b1"}) for n in range(3)
    ]
    queued = await tasklib.submit_task(
        t.sleep_long, key="m3", tags={"batch": "b1"}, delay_seconds=60
    )
    other = await tasklib.submit_task(t.sleep_long, key="o", tags={"batch": "b2"})
    async with running_worker(url, concurrency=4):
        for key in ("m0", "m1", "m2", "o"):
            await until_started(key)
        since = time.monotonic()
        ids = await tasklib.cancel_tasks_async(tags={"batch": "b1"}, reason="batch withdrawn")
        assert sorted(ids) == sorted([*batch, queued])
        for task_id in [*batch, queued]:
            await until_cancelled(url, task_id, since)
        assert state(url, other) == "running"
    assert {row(url, i)["cancel_reason"] for i in [*batch, queued]} == {"batch withdrawn"}
    assert state(url, other) == "pending"  # handed back at shutdown, untouched


async def test_a_worker_stopping_while_it_cancels_records_the_task_cancelled(url: str) -> None:
    task_id = await tasklib.submit_task(t.ignores_cancellation, key="x", times=1)
    async with running_worker(
        url, concurrency=1, cancel_grace_seconds=30, shutdown_grace_seconds=0.2
    ):
        await until_started("x")
        cancel(url, task_id)
        await wait_until_async(lambda: "ignored 1" in t.events["x"], what="the cancellation")
    final = row(url, task_id)
    assert final["state"] == "cancelled"  # not handed back to pending
    assert final["error"] == f"cancelled by {login(url)} (the worker shut down before it stopped)"
    assert t.events["x"] == ["started", "ignored 1", "gave in"]


async def test_run_until_idle_reports_a_cancelled_run(url: str) -> None:
    task_id = await tasklib.submit_task(t.cancels_itself, key="me", tags={"who": "me"})
    config = tasklib.Config(database_url=url, poll_interval_seconds=0.1)
    runs = await tasklib.TaskWorker(config, handle_signals=False).run_until_idle()
    assert runs == [
        TaskRun(
            task_id,
            t.cancels_itself.name,
            "cancelled",
            error=f"cancelled by {login(url)}: changed my mind",
        )
    ]


async def test_cancelling_is_logged_once(url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tasklib.worker.tasks")
    task_id = await tasklib.submit_task(t.sleep_long, key="l")
    async with running_worker(url, worker_id="w-cancel"):
        await until_started("l")
        await until_cancelled(url, task_id, cancel(url, task_id, "wrong input"))
        await wait_until_async(
            lambda: any(r.__dict__.get("event") == "cancelled" for r in caplog.records),
            what="the log line",
        )
    lines = [r for r in caplog.records if r.__dict__.get("task_id") == str(task_id)]
    assert len(lines) == 1
    (line,) = lines
    assert line.levelno == logging.INFO
    assert line.getMessage().startswith(f"task {task_id} {t.sleep_long.name} stopped and cancelled")
    assert line.getMessage().endswith(f": cancelled by {login(url)}: wrong input")
    assert {key: line.__dict__[key] for key in ("event", "reason", "forced", "worker_id")} == {
        "event": "cancelled",
        "reason": "wrong input",
        "forced": False,
        "worker_id": "w-cancel",
    }


def _alive(pid: int) -> bool:
    """Whether a process with this pid still runs (a zombie does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split()[2] == "Z")
