"""Client and AsyncClient through PgBouncer in transaction mode: submits, reads, waits (issue 20).

Consecutive transactions of one client land on different server connections here (see
tests/support/pgbouncer.py), so anything that relies on session state fails at once: a
statement psycopg prepared on one server connection is missing on the next ("prepared
statement "_pg3_0" does not exist") or another client's is in the way ("... already
exists"), and a LISTEN sits on a server connection the client no longer has.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import tasklib
from tasklib import AsyncClient, Client, Config
from tests.pooler.support import WOKEN_WITHIN, Conn, add, finish
from tests.support.waiting import wait_until, wait_until_async


def _count(conn: Conn) -> int:
    row = conn.execute("SELECT count(*) FROM tasklib.tasks").fetchone()
    assert row is not None
    return int(row[0])


def test_2000_sequential_submits(pooled_config: Config, conn: Conn) -> None:
    with Client(pooled_config) as client:
        ids = [client.submit_task(add, a=i, b=1) for i in range(2000)]
    assert len(set(ids)) == 2000
    assert _count(conn) == 2000


async def test_async_submits_one_after_another_and_at_once(
    pooled_config: Config, conn: Conn
) -> None:
    async with AsyncClient(pooled_config) as client:
        for i in range(200):
            await client.submit_task(add, a=i, b=1)
        await asyncio.gather(*(client.submit_task(add, a=i, b=2) for i in range(200)))
    assert _count(conn) == 400


async def test_the_module_level_api_and_unflushed_submits(
    pooled_config: Config, conn: Conn
) -> None:
    tasklib.init(dataclasses.replace(pooled_config, durable_submits=False))
    try:
        for i in range(100):
            tasklib.submit_task_sync(add, a=i, b=1)
            await tasklib.submit_task(add, a=i, b=2)
    finally:
        await tasklib.aclose()
    assert _count(conn) == 200


async def test_submit_many(pooled_config: Config, conn: Conn) -> None:
    with Client(pooled_config) as client:
        async with AsyncClient(pooled_config) as async_client:
            for batch in range(15):
                calls = [add.prepare(a=batch, b=i) for i in range(50)]
                assert len(client.submit_many(calls)) == 50
                assert len(await async_client.submit_many(calls, queue="other")) == 50
    assert _count(conn) == 1500


def test_reads_and_administration(pooled_config: Config) -> None:
    with Client(pooled_config) as client:
        ids = [client.submit_task(add, a=i, b=0, tags={"n": i % 2}) for i in range(10)]
        later = [client.submit_task(add, a=i, b=0, delay_seconds=3600) for i in range(6)]
        for task_id in ids:
            assert client.get_task(task_id).id == task_id
        for _ in range(6):
            assert len(client.list_tasks(tags={"n": 1})) == 5
            assert len(client.list_tasks(state="pending", name=add, queue="default")) == 16
            assert client.status()["overall"]["pending"] == 16
        for task_id in later:
            assert client.cancel_task(task_id).state == "cancelled"
            assert client.retry_task(task_id, delay_seconds=60).state == "pending"


async def test_async_reads(pooled_config: Config) -> None:
    async with AsyncClient(pooled_config) as client:
        ids = [await client.submit_task(add, a=i, b=0) for i in range(10)]
        for task_id in ids:
            assert (await client.get_task(task_id)).id == task_id
        for _ in range(6):
            assert len(await client.list_tasks(name=add)) == 10
            assert (await client.status())["overall"]["total"] == 10


# -- waits -------------------------------------------------------------------------------------


def _first_read(client: Client | AsyncClient, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """An event set once the client has read a task row (the wait's first look)."""
    read = threading.Event()
    one: Callable[..., Any] = client._one
    if isinstance(client, AsyncClient):

        async def spy_async(*args: Any) -> Any:
            try:
                return await one(*args)
            finally:
                read.set()

        monkeypatch.setattr(client, "_one", spy_async)
    else:

        def spy(*args: Any) -> Any:
            try:
                return one(*args)
            finally:
                read.set()

        monkeypatch.setattr(client, "_one", spy)
    return read


def _polling(config: Config) -> Config:
    return dataclasses.replace(config, listen_notify=False, poll_interval_seconds=0.05)


@pytest.mark.parametrize("mode", ["listen", "poll"])
def test_a_wait_ends_when_the_task_finishes(
    pooled_config: Config,
    conn: Conn,
    no_fallback: None,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
) -> None:
    config = pooled_config if mode == "listen" else _polling(pooled_config)
    with Client(config) as client, ThreadPoolExecutor(1) as pool:
        task_id = client.submit_task(add, a=2, b=3)
        read = _first_read(client, monkeypatch)
        waiter = pool.submit(client.wait_for_result, add, task_id, timeout=2 * WOKEN_WITHIN)
        wait_until(read.is_set, what="the wait's first read of its task")
        finish(conn)
        assert waiter.result(timeout=WOKEN_WITHIN) == 5


@pytest.mark.parametrize("mode", ["listen", "poll"])
async def test_an_async_wait_ends_when_the_task_finishes(
    pooled_config: Config,
    conn: Conn,
    no_fallback: None,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
) -> None:
    config = pooled_config if mode == "listen" else _polling(pooled_config)
    async with AsyncClient(config) as client:
        task_id = await client.submit_task(add, a=2, b=3)
        read = _first_read(client, monkeypatch)
        waiter = asyncio.create_task(client.wait_for_result(add, task_id, timeout=2 * WOKEN_WITHIN))
        await wait_until_async(read.is_set, what="the wait's first read of its task")
        await asyncio.to_thread(finish, conn)
        assert await asyncio.wait_for(waiter, WOKEN_WITHIN) == 5
