"""get_task, list_tasks, cancel_task and retry_task, sync and async."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import psycopg
import pytest
from psycopg.rows import dict_row

import tasklib
from tasklib.client._core import ClientCore
from tests.client.simulated_worker import claim, fail


@tasklib.task
def index_page(url: str) -> int:
    return len(url)


@tasklib.task(queue="reports")
def build_report(month: str) -> str:
    return month


async def test_get_task_returns_every_column(tasklib_url: str) -> None:
    task_id = await tasklib.submit_task(index_page, url="https://example.com", tags={"k": 1})
    task = tasklib.get_task(task_id)
    assert task == await tasklib.get_task_async(task_id)
    assert task == tasklib.get_task(str(task_id))
    assert set(tasklib.Task.model_fields) == set(task.model_dump())
    assert (task.id, task.name, task.queue, task.state) == (
        task_id,
        index_page.name,
        "default",
        "pending",
    )
    assert task.created_at.tzinfo is not None


async def test_unknown_or_malformed_id(tasklib_url: str) -> None:
    with pytest.raises(tasklib.TaskNotFoundError, match="not found"):
        tasklib.get_task(uuid4())
    with pytest.raises(tasklib.TaskNotFoundError):
        await tasklib.get_task_async(uuid4())
    with pytest.raises(tasklib.InvalidArgumentError, match="must be a UUID"):
        tasklib.get_task("not-a-uuid")
    for action in (tasklib.cancel_task, tasklib.retry_task):
        with pytest.raises(tasklib.TaskNotFoundError):
            action(uuid4())


async def test_list_tasks_filters(tasklib_url: str, conn: psycopg.Connection[Any]) -> None:
    first = await tasklib.submit_task(index_page, url="a", tags={"site": "a", "tier": 1})
    second = await tasklib.submit_task(index_page, url="b", tags={"site": "b", "tier": 1})
    report = await tasklib.submit_task(build_report, month="2025-10")
    claim(conn, 1)  # takes the oldest: first

    assert [t.id for t in tasklib.list_tasks()] == [report, second, first]  # newest first
    assert [t.id for t in tasklib.list_tasks(tags={"tier": 1})] == [second, first]
    assert [t.id for t in tasklib.list_tasks(tags={"tier": 1, "site": "a"})] == [first]
    assert tasklib.list_tasks(tags={"tier": 2}) == []
    assert [t.id for t in tasklib.list_tasks(tags={})] == [report, second, first]  # {} matches all
    assert [t.id for t in tasklib.list_tasks(state="running")] == [first]
    assert [t.id for t in tasklib.list_tasks(state=["pending", "running"], name=index_page)] == [
        second,
        first,
    ]
    assert [t.id for t in tasklib.list_tasks(name=build_report.name)] == [report]
    assert [t.id for t in tasklib.list_tasks(queue="reports")] == [report]
    assert [t.id for t in tasklib.list_tasks(limit=1, offset=1)] == [second]
    assert [t.id for t in await tasklib.list_tasks_async(state="pending", limit=10)] == [
        report,
        second,
    ]

    with pytest.raises(tasklib.InvalidArgumentError, match=r"unknown state 'done'"):
        tasklib.list_tasks(state="done")  # type: ignore[arg-type]
    with pytest.raises(tasklib.InvalidArgumentError, match=r"limit must be an integer >= 0"):
        tasklib.list_tasks(limit=-1)


async def test_cancel_and_retry(tasklib_url: str, conn: psycopg.Connection[Any]) -> None:
    login = conn.execute("SELECT session_user").fetchone()
    waiting = await tasklib.submit_task(index_page, url="x", delay_seconds=600)
    cancelled = tasklib.cancel_task(waiting, reason="not needed")
    assert tasklib.is_cancelled(cancelled)
    assert tasklib.is_terminal(cancelled)
    assert (cancelled.cancelled_by, cancelled.cancel_reason) == (login and login[0], "not needed")
    assert cancelled.cancel_requested_at is not None
    with pytest.raises(tasklib.InvalidStateError, match="cancelled"):
        await tasklib.cancel_task_async(waiting)

    requeued = await tasklib.retry_task_async(waiting, delay_seconds=30)
    assert tasklib.is_pending(requeued)
    assert requeued.retry_count == 0
    # Queued again, it is a new run: the cancellation that ended the last one is gone.
    assert (requeued.cancel_requested_at, requeued.cancelled_by, requeued.cancel_reason) == (
        None,
        None,
        None,
    )


async def test_cancelling_a_running_task_asks_its_worker(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    running = await tasklib.submit_task(index_page, url="y")
    claim(conn)
    asked = tasklib.cancel_task(running, reason="wrong page")
    # It still runs: its worker stops it, and the row says so meanwhile.
    assert tasklib.is_running(asked)
    assert not tasklib.is_terminal(asked)
    assert asked.cancel_requested_at is not None
    assert asked.cancel_reason == "wrong page"
    again = await tasklib.cancel_task_async(running, reason="another reason")
    assert (again.cancel_requested_at, again.cancel_reason) == (
        asked.cancel_requested_at,
        "wrong page",
    )
    with pytest.raises(tasklib.InvalidStateError):
        tasklib.retry_task(running)

    # The worker's report of the stop ends it cancelled, never retried.
    assert fail(conn, running, "cancelled by someone: wrong page") == ("cancelled", None)
    stopped = tasklib.get_task(running)
    assert tasklib.is_cancelled(stopped)
    assert stopped.retry_count == 0
    assert tasklib.is_pending(tasklib.retry_task(running))


async def test_cancel_tasks_by_filter(tasklib_url: str, conn: psycopg.Connection[Any]) -> None:
    acme = [
        await tasklib.submit_task(index_page, url=f"a{n}", tags={"tenant": "acme"})
        for n in range(3)
    ]
    other = await tasklib.submit_task(index_page, url="b", tags={"tenant": "other"})
    report = await tasklib.submit_task(build_report, month="2025-11", tags={"tenant": "acme"})
    claim(conn, 1)  # acme[0] is running

    ids = tasklib.cancel_tasks(name=index_page, tags={"tenant": "acme"}, reason="tenant left")
    assert sorted(ids) == sorted(acme)
    rows = {t.id: t for t in tasklib.list_tasks(limit=10)}
    assert rows[acme[0]].state == "running"  # its worker is asked to stop it
    assert [rows[i].state for i in acme[1:]] == ["cancelled", "cancelled"]
    assert {rows[i].cancel_reason for i in acme} == {"tenant left"}
    assert (rows[other].state, rows[report].state) == ("pending", "pending")

    assert await tasklib.cancel_tasks_async(queue="reports") == [report]
    # Finished tasks are left alone: nothing matches any more.
    assert tasklib.cancel_tasks(name=index_page.name, tags={"tenant": "acme"}) == [acme[0]]
    assert tasklib.cancel_tasks(name="no.such.task") == []
    with pytest.raises(tasklib.InvalidArgumentError, match="needs a filter"):
        tasklib.cancel_tasks(reason="everything")
    with pytest.raises(tasklib.InvalidArgumentError, match="needs a filter"):
        tasklib.cancel_tasks(tags={})


def test_callers_connection_with_another_row_factory(tasklib_url: str) -> None:
    with psycopg.connect(tasklib_url, autocommit=True, row_factory=dict_row) as own:
        task_id = tasklib.submit_task_sync(index_page, url="z", connection=own)
        assert tasklib.get_task(task_id, connection=own).id == task_id
        assert [t.id for t in tasklib.list_tasks(connection=own)] == [task_id]
        assert tasklib.cancel_task(task_id, connection=own).state == "cancelled"


def test_list_tasks_by_tags_can_use_the_tag_index(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    # The tag index leaves untagged tasks out, so the query must say so for the planner.
    statement = ClientCore(tasklib.Config(database_url=tasklib_url)).list(
        {"tier": 1}, None, None, None, 10, 0
    )
    query, params = statement.query, statement.params
    conn.execute("SET enable_seqscan = off")
    plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + query, params).fetchall())
    assert "tasks_tags_idx" in plan
