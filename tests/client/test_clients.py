"""Client and AsyncClient: own pools, context managers, one listener for many waits, and the
same option columns whether a task is submitted from Python or from SQL."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import psycopg
import pytest

import tasklib
from tasklib.db import statements

from .simulated_worker import claim, complete


@tasklib.task(name="clients.plain")
def plain(n: int) -> int:
    return n


@tasklib.task(name="clients.configured", max_retries=7, priority=3, queue="special")
def configured(n: int) -> int:
    return n


OPTION_COLUMNS = (
    "queue, priority, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds"
)


def _options(conn: psycopg.Connection[Any], task_id: object) -> tuple[Any, ...]:
    row = conn.execute(
        f"SELECT {OPTION_COLUMNS} FROM tasklib.tasks WHERE id = %s", (task_id,)
    ).fetchone()
    assert row is not None
    return tuple(row)


def _submit_in_sql(conn: psycopg.Connection[Any], name: str) -> object:
    row = conn.execute("SELECT tasklib.submit(%s, '{\"n\": 1}')", (name,)).fetchone()
    assert row is not None
    return row[0]


def test_python_and_sql_submits_without_options_store_the_same_options(
    database_url: str, conn: psycopg.Connection[Any]
) -> None:
    with tasklib.Client(tasklib.Config(database_url=database_url)) as client:
        from_python = client.submit_task(plain, n=1)
        from_many = client.submit_many([plain.prepare(n=1)])[0]
    from_sql = _submit_in_sql(conn, plain.name)
    assert _options(conn, from_python) == _options(conn, from_sql) == _options(conn, from_many)


def test_python_and_sql_submits_agree_once_the_task_type_is_registered(
    database_url: str, conn: psycopg.Connection[Any]
) -> None:
    with tasklib.Client(tasklib.Config(database_url=database_url)) as client:
        assert client.register_task_types([configured]) == [configured.name]
        from_python = client.submit_task(configured, n=1)
    from_sql = _submit_in_sql(conn, configured.name)
    assert _options(conn, from_python) == _options(conn, from_sql)
    assert _options(conn, from_sql)[:3] == ("special", 3, 7)


def test_a_client_owns_its_pool_and_closes_it(database_url: str) -> None:
    client = tasklib.Client(tasklib.Config(database_url=database_url))
    with client:
        task_id = client.submit_task(plain, n=5)
        pool = client.pool()
        assert client.get_task(task_id).args == {"n": 5}
    assert pool.closed
    assert client.get_task(task_id).id == task_id  # reopened on use
    client.close()


async def test_an_async_client_owns_its_pool_and_closes_it(database_url: str) -> None:
    async with tasklib.AsyncClient(tasklib.Config(database_url=database_url)) as client:
        task_id = await client.submit_task(plain, n=6)
        pool = await client.pool()
        assert (await client.get_task(task_id)).args == {"n": 6}
        assert [t.id for t in await client.list_tasks(name=plain)] == [task_id]
    assert pool.closed


def _listening_connections(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND application_name = 'tasklib:listen'"
    ).fetchone()
    assert row is not None
    return int(row[0])


async def test_many_async_waits_share_one_listening_connection(
    database_url: str, conn: psycopg.Connection[Any]
) -> None:
    async with tasklib.AsyncClient(tasklib.Config(database_url=database_url)) as client:
        ids = await client.submit_many([plain.prepare(n=i) for i in range(20)])
        waits = [asyncio.create_task(client.wait_for_task(i, timeout=30)) for i in ids]
        await client._listener._start()  # listening: the waits are subscribing meanwhile
        done, _ = await asyncio.wait(waits, timeout=0)
        assert not done
        assert _listening_connections(conn) == 1
        for task_id, _name, args in claim(conn):
            complete(conn, task_id, args["n"])
        finished = await asyncio.gather(*waits)
    assert [task.result for task in finished] == [{"value": i} for i in range(20)]
    assert all(task.terminal for task in finished)


def test_many_sync_waits_share_one_listening_connection(
    database_url: str, conn: psycopg.Connection[Any]
) -> None:
    with tasklib.Client(tasklib.Config(database_url=database_url)) as client:
        ids = client.submit_many([plain.prepare(n=i) for i in range(10)])
        results: dict[object, tasklib.Task] = {}
        subscribed = threading.Barrier(len(ids) + 1)

        def wait(task_id: object) -> None:
            subscribed.wait()
            results[task_id] = client.wait_for_task(task_id, timeout=30)  # type: ignore[arg-type]

        threads = [threading.Thread(target=wait, args=(i,)) for i in ids]
        for thread in threads:
            thread.start()
        subscribed.wait()
        for task_id, _name, args in claim(conn):
            complete(conn, task_id, args["n"])
        for thread in threads:
            thread.join(timeout=30)
        assert _listening_connections(conn) == 1
    assert {tid: task.result for tid, task in results.items()} == {
        i: {"value": n} for n, i in enumerate(ids)
    }


def test_statements_select_every_column_the_task_model_reads() -> None:
    assert tuple(tasklib.Task.model_fields) == statements.TASK_COLUMNS
    assert "terminal" in statements.TASK_COLUMNS


def test_a_client_needs_a_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASKLIB_DATABASE_URL", raising=False)
    with pytest.raises(tasklib.ConfigurationError, match="TASKLIB_DATABASE_URL"):
        tasklib.Client()
