"""Sync tasks with a timeout run in reused child processes: a child is replaced only when it was
killed (timeout, cancellation) or died, and none outlives its worker."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

import tasklib
from tests.support.waiting import wait_until, wait_until_async
from tests.worker import tasks_children as t
from tests.worker.support import (
    fetch,
    running_worker,
    start_worker_process,
    worker_processes,
)


def row(url: str, task_id: object) -> dict[str, Any]:
    query = "SELECT state, error, retry_count, result, progress FROM tasklib.tasks WHERE id = %s"
    state, error, retries, result, progress = fetch(url, query, (task_id,))[0]
    return {
        "state": state,
        "error": error,
        "retry_count": retries,
        "result": result,
        "progress": progress,
    }


def alive(pid: int) -> bool:
    """Whether a process with this pid still runs (a zombie does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    try:
        return status.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def pid_in(folder: Path, name: str = "pid") -> int | None:
    path = folder / name
    return int(path.read_text()) if path.exists() else None


async def results(url: str, ids: list[Any]) -> list[int]:
    """Wait for these tasks to complete; the values they returned."""
    query = "SELECT result->'value' FROM tasklib.tasks WHERE id = ANY(%s) AND state = 'completed'"
    rows = await wait_until_async(
        lambda: (found := fetch(url, query, (ids,))) and len(found) == len(ids) and found,
        what=f"{len(ids)} tasks to complete",
    )
    return [int(value) for (value,) in rows]


async def test_many_tasks_reuse_few_child_processes(url: str) -> None:
    ids = await tasklib.submit_many(t.pid.prepare(n=n) for n in range(60))
    async with running_worker(url, concurrency=2):
        pids = set(await results(url, ids))
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2, pids


async def test_max_tasks_per_child_replaces_a_child_after_that_many_tasks(url: str) -> None:
    ids = await tasklib.submit_many(t.pid.prepare(n=n) for n in range(6))
    async with running_worker(url, concurrency=1, max_tasks_per_child=2):
        pids = await results(url, ids)
    assert len(set(pids)) == 3, pids


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_max_tasks_per_child_must_be_a_positive_integer(bad: object) -> None:
    config = tasklib.Config(database_url="postgresql://nowhere/db")
    with pytest.raises(tasklib.ConfigurationError, match="max_tasks_per_child"):
        tasklib.TaskWorker(config, max_tasks_per_child=bad)  # type: ignore[arg-type]


async def test_a_timed_out_task_is_stopped_and_its_child_replaced(url: str, tmp_path: Path) -> None:
    task_id = await tasklib.submit_task(t.sleeps_past_its_timeout, folder=str(tmp_path))
    async with running_worker(url, concurrency=1):
        child = await wait_until_async(lambda: pid_in(tmp_path), what="the task to start")
        started = time.monotonic()
        await wait_until_async(lambda: not alive(child), what="the child to be killed")
        took = time.monotonic() - started
        await wait_until_async(
            lambda: row(url, task_id)["state"] == "failed", what="the attempt to fail"
        )
        (after,) = await results(url, [await tasklib.submit_task(t.pid, n=1)])
    final = row(url, task_id)
    assert "exceeded its timeout of 1 s and was killed with its child process" in final["error"]
    assert after not in (child, os.getpid())
    # A guard only (the order of events is what is tested): the deadline plus 1 s.
    assert took < 2.0, took


async def test_a_child_killed_mid_task_is_replaced_and_the_task_retried(
    url: str, tmp_path: Path
) -> None:
    task_id = await tasklib.submit_task(t.waits_to_be_killed, folder=str(tmp_path))
    async with running_worker(url, concurrency=1):
        child = await wait_until_async(lambda: pid_in(tmp_path), what="the task to start")
        os.kill(child, signal.SIGKILL)
        await wait_until_async(
            lambda: row(url, task_id)["state"] == "completed", what="the retried attempt"
        )
    final = row(url, task_id)
    assert final["retry_count"] == 1
    assert final["result"]["value"] not in (child, os.getpid())


async def test_a_cancelled_task_ends_its_child_and_the_next_task_gets_a_new_one(
    url: str, tmp_path: Path
) -> None:
    task_id = await tasklib.submit_task(t.sleeps, folder=str(tmp_path))
    async with running_worker(url, concurrency=1, cancel_grace_seconds=30):
        child = await wait_until_async(lambda: pid_in(tmp_path), what="the task to start")
        await tasklib.cancel_task_async(task_id, reason="enough")
        await wait_until_async(
            lambda: row(url, task_id)["state"] == "cancelled", what="the task to be cancelled"
        )
        await wait_until_async(lambda: not alive(child), what="its child to end")
        (after,) = await results(url, [await tasklib.submit_task(t.pid, n=1)])
    assert after != child


async def test_a_task_given_up_at_shutdown_is_handed_back_and_its_child_killed(
    url: str, tmp_path: Path
) -> None:
    task_id = await tasklib.submit_task(t.sleeps, folder=str(tmp_path))
    async with running_worker(url, concurrency=1, shutdown_grace_seconds=0):
        child = await wait_until_async(lambda: pid_in(tmp_path), what="the task to start")
    assert row(url, task_id)["state"] == "pending"
    await wait_until_async(lambda: not alive(child), what="the child to be killed")


async def test_progress_reported_in_a_child_reaches_the_task(url: str, tmp_path: Path) -> None:
    task_id = await tasklib.submit_task(t.reports_progress, folder=str(tmp_path))
    async with running_worker(url, concurrency=1, lease_seconds=0.6):
        progress = await wait_until_async(
            lambda: row(url, task_id)["progress"], what="the task's progress"
        )
        (tmp_path / "go").touch()
        (child,) = await results(url, [task_id])
    assert progress == {"done": 2, "pid": child}


async def test_nested_functions_run_in_reused_children_forked_from_the_worker(url: str) -> None:
    @tasklib.task(name="tests.worker.child_pool.nested", timeout_seconds=30)
    def nested() -> int:
        return os.getpid()

    async with running_worker(url, concurrency=1):
        first = await results(url, [await tasklib.submit_task(nested) for _ in range(3)])

        # Registered after the child was forked: its registry does not have it, a new one does.
        @tasklib.task(name="tests.worker.child_pool.later", timeout_seconds=30)
        def later() -> int:
            return os.getpid()

        (second,) = await results(url, [await tasklib.submit_task(later)])
    assert len(set(first)) == 1
    assert os.getpid() not in first
    assert second not in (*first, os.getpid())


def test_kill_9_of_the_worker_leaves_no_child_process(database_url: str, tmp_path: Path) -> None:
    tasklib.init(tasklib.Config(database_url=database_url))
    try:
        quick = [tasklib.submit_task_sync(t.pid, n=n) for n in range(8)]
        waiting = tasklib.submit_task_sync(t.sleeps, folder=str(tmp_path))
        tasklib.submit_task_sync(t.sleeps_in_a_fork, folder=str(tmp_path))
    finally:
        tasklib.close()
    options = ("--concurrency", "4", "--max-tasks-per-child", "1000")
    proc = start_worker_process(database_url, "tests.worker.tasks_children", tmp_path, *options)
    with worker_processes([proc]):
        busy = wait_until(lambda: pid_in(tmp_path), what="the sleeping task to start")
        forked = wait_until(
            lambda: pid_in(tmp_path, "forked-pid"), what="the sleeping closure to start"
        )
        query = (
            "SELECT result->'value' FROM tasklib.tasks WHERE id = ANY(%s) AND result IS NOT NULL"
        )
        idle = wait_until(
            lambda: (found := fetch(database_url, query, (quick,))) and len(found) == 8 and found,
            what="the quick tasks to complete",
        )
        children = {busy, forked, *(int(value) for (value,) in idle)}
        assert proc.pid not in children
        assert all(alive(pid) for pid in children)
        proc.kill()
        proc.wait()
        wait_until(
            lambda: not any(alive(pid) for pid in children),
            what=f"the children {sorted(children)} of the killed worker to end",
            timeout=10,
        )
    assert fetch(database_url, "SELECT state FROM tasklib.tasks WHERE id = %s", (waiting,)) == [
        ("running",)
    ]
