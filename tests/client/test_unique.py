"""Unique tasks from Python: a key at submit or from the task's arguments, the conflict
policies, windows, and 200 concurrent submitters of one key (threads, asyncio and SQL)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import psycopg
import pytest

import tasklib
from tasklib.task_types import register_task_types


@tasklib.task(name="tests.client.unique.sync_account", unique=["account_id"])
def sync_account(account_id: int, full: bool = False) -> None:
    return None


@tasklib.task(name="tests.client.unique.digest", unique=["user"], unique_for_seconds=3600)
def digest(user: str) -> None:
    return None


@tasklib.task(name="tests.client.unique.strict", on_conflict="raise")
def strict(n: int) -> None:
    return None


@tasklib.task(name="tests.client.unique.report", result_ttl_seconds=60)
def report(n: int) -> None:
    return None


def _finish(conn: psycopg.Connection[Any], task_id: uuid.UUID) -> None:
    """Run the task to completion the way a worker records it."""
    token = uuid.uuid4()
    conn.execute("SELECT count(*) FROM tasklib.claim('w', 100, NULL, 60, %s)", (token,)).fetchone()
    conn.execute(
        "SELECT count(*) FROM tasklib.complete('w', %s::uuid[], %s::uuid[])",
        ([task_id], [token]),
    ).fetchone()


def test_a_key_given_at_submit_returns_the_holders_id(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    first = tasklib.submit_task_sync(strict, n=1, unique_key="k", on_conflict="return")
    assert tasklib.submit_task_sync(strict, n=2, unique_key="k", on_conflict="return") == first
    assert tasklib.get_task(first).unique_key == "k"
    assert tasklib.get_task(first).args == {"n": 1}


def test_raise_names_the_holder(tasklib_url: str) -> None:
    first = tasklib.submit_task_sync(strict, n=1, unique_key="k")
    with pytest.raises(tasklib.DuplicateTaskError) as raised:
        tasklib.submit_task_sync(strict, n=2, unique_key="k")  # the task's own policy: raise
    assert raised.value.holder_id == first


async def test_replace_updates_a_pending_holder(tasklib_url: str) -> None:
    first = await tasklib.submit_task(sync_account, account_id=7)
    again = await tasklib.submit_task(
        sync_account, account_id=7, full=True, on_conflict="replace", priority=5
    )
    assert again == first
    task = await tasklib.get_task_async(first)
    assert (task.args, task.priority) == ({"account_id": 7, "full": True}, 5)


async def test_the_key_comes_from_the_declared_arguments(tasklib_url: str) -> None:
    first = await tasklib.submit_task(sync_account, account_id=7)
    assert await tasklib.submit_task(sync_account, account_id=7, full=True) == first
    assert await tasklib.submit_task(sync_account, account_id=8) != first
    # The key does not wait for the task type's registration: nothing registered it here.
    assert (await tasklib.get_task_async(first)).unique_key == "[7]"


def test_a_finished_holder_frees_the_key(tasklib_url: str, conn: psycopg.Connection[Any]) -> None:
    first = tasklib.submit_task_sync(sync_account, account_id=1)
    _finish(conn, first)
    second = tasklib.submit_task_sync(sync_account, account_id=1)
    assert second != first


def test_a_window_holds_the_key_after_the_task_finished(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    first = tasklib.submit_task_sync(digest, user="ann")
    _finish(conn, first)
    assert tasklib.submit_task_sync(digest, user="ann") == first  # inside the hour
    conn.execute("UPDATE tasklib.unique_windows SET until = now() - interval '1 second'")
    assert tasklib.submit_task_sync(digest, user="ann") != first  # past it


def test_submit_many_deduplicates(tasklib_url: str) -> None:
    ids = tasklib.submit_many_sync(
        [sync_account.prepare(account_id=3), sync_account.prepare(account_id=3)]
    )
    assert ids[0] == ids[1]


def test_result_ttl_is_registered_and_purge_honours_it(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    register_task_types(conn, [report])
    task_id = tasklib.submit_task_sync(report, n=1)
    _finish(conn, task_id)
    conn.execute(
        "UPDATE tasklib.tasks SET completed_at = now() - interval '2 minutes' WHERE id = %s",
        (task_id,),
    )
    with tasklib.Client(tasklib.Config(database_url=tasklib_url)) as client:
        assert client.purge(timedelta(days=7)) == 1  # 2 minutes > its 60 s, though < 7 days


def test_unique_requires_parameter_names() -> None:
    with pytest.raises(tasklib.ConfigurationError, match="not one of its parameters"):

        @tasklib.task(name="tests.client.unique.bad", unique=["nope"])
        def bad(n: int) -> None:
            return None


def test_two_hundred_concurrent_submitters_get_one_task(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    """Threads, asyncio tasks and SQL sessions submit one key at once: one task, one id."""
    start = threading.Barrier(100)
    ids: list[uuid.UUID] = []

    def from_a_thread(i: int) -> uuid.UUID:
        start.wait()
        return tasklib.submit_task_sync(sync_account, account_id=42)

    def from_sql(i: int) -> uuid.UUID:
        with psycopg.connect(tasklib_url, autocommit=True) as own:
            start.wait()
            row = own.execute(
                "SELECT tasklib.submit('tests.client.unique.sync_account', '{\"account_id\": 42}',"
                " unique_args => ARRAY['account_id'])"
            ).fetchone()
        assert row is not None
        value: uuid.UUID = row[0]
        return value

    with ThreadPoolExecutor(max_workers=100) as pool:
        futures = [pool.submit(from_a_thread if i % 2 else from_sql, i) for i in range(100)]
        ids.extend(future.result() for future in futures)

    async def from_asyncio() -> list[uuid.UUID]:
        client = tasklib.AsyncClient(tasklib.Config(database_url=tasklib_url, max_pool_size=20))
        try:
            return list(
                await asyncio.gather(
                    *(client.submit_task(sync_account, account_id=42) for _ in range(100))
                )
            )
        finally:
            await client.aclose()

    ids.extend(asyncio.run(from_asyncio()))

    assert len(ids) == 200
    assert len(set(ids)) == 1
    row = conn.execute(
        "SELECT count(*) FROM tasklib.tasks WHERE name = 'tests.client.unique.sync_account'"
    ).fetchone()
    assert row == (1,)

    _finish(conn, ids[0])
    assert tasklib.submit_task_sync(sync_account, account_id=42) != ids[0]
