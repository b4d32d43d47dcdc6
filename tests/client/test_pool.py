"""init, close and aclose; lazy pools per event loop; dead connections; a missing schema."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

import tasklib
from tasklib.client import _default, default_async_client, default_client


@tasklib.task
def ping(n: int) -> int:
    return n


def test_close_then_use_again_reopens(tasklib_url: str) -> None:
    first = tasklib.submit_task_sync(ping, n=1)
    opened = default_client().pool()
    tasklib.close()
    assert opened.closed
    assert tasklib.get_task(first).id == first
    assert default_client().pool() is not opened
    tasklib.close()
    tasklib.close()  # closing twice is harmless


async def test_aclose_closes_the_loops_pool(tasklib_url: str) -> None:
    await tasklib.submit_task(ping, n=1)
    pool = await default_async_client().pool()
    await tasklib.aclose()
    assert pool.closed
    assert len(await tasklib.list_tasks_async()) == 1


def test_each_event_loop_gets_its_own_pool(tasklib_url: str) -> None:
    pools = []

    async def submit() -> None:
        await tasklib.submit_task(ping, n=1)
        pools.append(await default_async_client().pool())

    asyncio.run(submit())
    asyncio.run(submit())  # a new loop: the first loop's pool cannot serve it
    assert pools[0] is not pools[1]
    assert len(tasklib.list_tasks()) == 2


def test_init_with_another_config_replaces_the_pools(
    tasklib_url: str, make_database: Callable[[str], str]
) -> None:
    tasklib.submit_task_sync(ping, n=1)
    old = default_client().pool()
    other_url = make_database("client_other")
    tasklib.migrate(other_url)
    tasklib.init(tasklib.Config(database_url=other_url))
    assert old.closed
    assert tasklib.list_tasks() == []
    tasklib.init(tasklib.Config(database_url=tasklib_url))
    assert len(tasklib.list_tasks()) == 1


def test_without_init_the_environment_is_used(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasklib.close()
    monkeypatch.setattr(_default, "_config", None)
    monkeypatch.setenv("TASKLIB_DATABASE_URL", database_url)
    task_id = tasklib.submit_task_sync(ping, n=3)
    assert tasklib.get_task(task_id).args == {"n": 3}
    tasklib.close()


def test_without_any_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    tasklib.close()
    monkeypatch.setattr(_default, "_config", None)
    monkeypatch.delenv("TASKLIB_DATABASE_URL", raising=False)
    with pytest.raises(tasklib.ConfigurationError, match="TASKLIB_DATABASE_URL"):
        tasklib.submit_task_sync(ping, n=1)


def test_connections_killed_by_the_server_are_replaced(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    tasklib.submit_task_sync(ping, n=1)
    # The timeout makes pg_terminate_backend wait until the backends have exited.
    killed = conn.execute(
        "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
        " WHERE application_name = 'tasklib' AND datname = current_database()"
        " AND pid <> pg_backend_pid()"
    ).fetchone()
    assert killed is not None
    assert killed[0] >= 1
    # The pool checks a connection before handing it out, so no call sees a dead one.
    tasklib.submit_task_sync(ping, n=2)
    assert len(tasklib.list_tasks()) == 2


async def test_async_connections_killed_by_the_server_are_replaced(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    await tasklib.submit_task(ping, n=1)
    conn.execute(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
        " WHERE application_name = 'tasklib' AND datname = current_database()"
        " AND pid <> pg_backend_pid()"
    )
    await tasklib.submit_task(ping, n=2)
    assert len(await tasklib.list_tasks_async()) == 2


def test_a_database_without_the_schema(make_database: Callable[[str], str]) -> None:
    tasklib.init(tasklib.Config(database_url=make_database("client_bare")))
    try:
        with pytest.raises(tasklib.ConfigurationError, match="tasklib migrate"):
            tasklib.submit_task_sync(ping, n=1)
    finally:
        tasklib.close()


async def test_an_unreachable_database_when_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    tasklib.init(tasklib.Config(database_url="postgresql://nobody@127.0.0.1:1/none"))
    try:
        with pytest.raises(tasklib.DatabaseUnavailableError):
            await tasklib.wait_for_task("00000000-0000-0000-0000-000000000000", timeout=1)
    finally:
        tasklib.close()


SCRIPT = """
import asyncio, sys, tasklib

@tasklib.task
def hello(n: int) -> int:
    return n

async def main() -> None:
    # Concurrent submits make the pool grow, so connections are still being made at exit.
    await asyncio.gather(*(tasklib.submit_task(hello, n=i) for i in range(20)))

for _ in range(5):
    asyncio.run(main())  # no aclose(): the loop's end must close the pool by itself
print("exited")
"""


def test_a_script_that_never_closes_exits(database_url: str) -> None:
    env = {**os.environ, "TASKLIB_DATABASE_URL": database_url}
    finished = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == "exited\n"
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM tasklib.tasks").fetchone() == (100,)
