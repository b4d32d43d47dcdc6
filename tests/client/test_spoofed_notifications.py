"""Any role may NOTIFY on TaskLib's channels: a spoofed notification must cost at most a wasted
claim or a re-read, never a wrong answer or a stopped worker."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg

import tasklib
from tasklib.worker import TaskWorker
from tests.support.waiting import wait_until_async


@tasklib.task(name="spoof.echo")
def echo(n: int) -> int:
    return n


def _notify(conn: psycopg.Connection[Any], channel: str, payload: str) -> None:
    conn.execute("SELECT pg_notify(%s, %s)", (channel, payload))


async def test_a_spoofed_finish_does_not_end_a_wait(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    task_id = await tasklib.submit_task(echo, n=1, delay_seconds=600)
    waiter = asyncio.create_task(tasklib.wait_for_task(task_id, timeout=30))
    listener = tasklib.client.default_async_client()._listener
    await wait_until_async(lambda: str(task_id) in listener._waiters, what="the subscription")
    for payload in (str(task_id), f"{task_id},{task_id}", "not-a-uuid", "," * 1000):
        _notify(conn, "tasklib_finished", payload)
    # The waiter re-reads the row on each wake-up, sees it pending, and keeps waiting.
    await wait_until_async(
        lambda: listener._waiters.get(str(task_id)) and not waiter.done(),
        what="the wait to go on",
    )
    assert not waiter.done()
    await tasklib.cancel_task_async(task_id)
    assert (await waiter).state == "cancelled"


async def test_spoofed_wake_ups_leave_a_worker_working(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    worker = TaskWorker(tasklib.Config(database_url=tasklib_url), 2, handle_signals=False)
    running = asyncio.create_task(worker.run())
    try:
        for payload in ("default", "no-such-queue", "x" * 7000, ""):
            _notify(conn, "tasklib_submitted", payload)
        task_id = await tasklib.submit_task(echo, n=7)
        done = await tasklib.wait_for_task(task_id, timeout=30)
        assert done.state == "completed"
        assert not running.done()
    finally:
        await worker.stop()
        await running
