"""The pooler settings against the server directly: what each sends and where it connects.

PgBouncer 1.21+ keeps prepared statements working (``max_prepared_statements``); no such build
is at hand (Debian 12 ships 1.18), so prepared_statements=True is checked on the server: it
prepares, and =False prepares nothing, on every connection TaskLib opens.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

import tasklib
from tasklib import AsyncClient, Client, Config
from tasklib.config import LISTEN_URL_ENV, PREPARED_STATEMENTS_ENV
from tasklib.db import connections
from tasklib.errors import ConfigurationError
from tests.pooler.support import WOKEN_WITHIN, Conn, add, finish
from tests.support.waiting import wait_until, wait_until_async

# Nothing listens here: connecting is refused at once.
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/tasklib"


def _prepared_in_pool(client: Client) -> list[str]:
    """Names of the statements prepared in the session of the client's one pooled connection."""
    with client.pool().connection() as conn:
        rows = conn.execute(
            "SELECT name FROM pg_prepared_statements ORDER BY name", prepare=False
        ).fetchall()
    return [str(row[0]) for row in rows]


@pytest.mark.parametrize("prepared", [True, False])
def test_prepared_statements_setting(database_url: str, prepared: bool) -> None:
    config = Config(
        database_url=database_url, min_pool_size=1, max_pool_size=1, prepared_statements=prepared
    )
    with Client(config) as client:
        for i in range(10):
            task_id = client.submit_task(add, a=i, b=0)
            client.get_task(task_id)
        names = _prepared_in_pool(client)
    assert (names != []) is prepared, names
    with connections.connect(config) as conn:
        assert conn.prepare_threshold == (5 if prepared else None)


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, expected in [("off", False), ("0", False), ("No", False), ("on", True), ("", True)]:
        monkeypatch.setenv(PREPARED_STATEMENTS_ENV, value)
        assert Config().prepared_statements is expected
    monkeypatch.setenv(PREPARED_STATEMENTS_ENV, "sometimes")
    with pytest.raises(ConfigurationError, match="TASKLIB_PREPARED_STATEMENTS must be on or off"):
        Config()
    monkeypatch.delenv(PREPARED_STATEMENTS_ENV)
    assert Config().prepared_statements is True

    monkeypatch.setenv(LISTEN_URL_ENV, "postgresql://me:secret@db.internal/app")
    assert Config().listen_url == "postgresql://me:secret@db.internal/app"
    monkeypatch.setenv(LISTEN_URL_ENV, "db.internal:5432")
    with pytest.raises(ConfigurationError, match="listen_url must start with postgresql://"):
        Config()
    with pytest.raises(ConfigurationError, match=r"malformed listen_url .*me:\*\*\*@"):
        Config(listen_url="postgresql://me:secret@db.internal:99999/app")


def _listen_connections(conn: Conn) -> int:
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE application_name LIKE '%:listen' AND datname = current_database()"
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_listen_goes_to_listen_url_and_polling_listens_nowhere(
    database_url: str, make_database: Any, conn: Conn
) -> None:
    # The tasks live in one database; LISTEN is made on another database's URL, so the
    # listening session shows up there and not here.
    elsewhere = make_database("listen_elsewhere")
    config = Config(database_url=database_url, listen_url=elsewhere)
    with Client(config) as client:
        task_id = client.submit_task(add, a=1, b=1)
        with pytest.raises(tasklib.TaskTimeoutError):
            client.wait_for_task(task_id, timeout=0.01)
        with psycopg.connect(elsewhere) as other:
            assert _listen_connections(other) == 1
        assert _listen_connections(conn) == 0

    polling = dataclasses.replace(config, listen_url=None, listen_notify=False)
    with Client(polling) as client:
        task_id = client.submit_task(add, a=1, b=1)
        with pytest.raises(tasklib.TaskTimeoutError):
            client.wait_for_task(task_id, timeout=0.01)
        assert _listen_connections(conn) == 0


def test_an_unreachable_listen_url_falls_back_to_polling(
    database_url: str, conn: Conn, no_fallback: None, caplog: pytest.LogCaptureFixture
) -> None:
    config = Config(database_url=database_url, listen_url=UNREACHABLE, poll_interval_seconds=0.05)
    with (
        caplog.at_level(logging.WARNING, logger="tasklib.client"),
        Client(config) as client,
        ThreadPoolExecutor(1) as pool,
    ):
        task_id = client.submit_task(add, a=2, b=2)
        waiter = pool.submit(client.wait_for_result, add, task_id, timeout=2 * WOKEN_WITHIN)
        wait_until(lambda: "cannot LISTEN" in caplog.text, what="the listener's warning")
        finish(conn)
        assert waiter.result(timeout=WOKEN_WITHIN) == 4
    assert "cannot LISTEN for finished tasks at postgresql://postgres@127.0.0.1:1/" in caplog.text
    assert "waits re-read their task every 0.05 s" in caplog.text


async def test_an_unreachable_listen_url_falls_back_to_polling_async(
    database_url: str, conn: Conn, no_fallback: None, caplog: pytest.LogCaptureFixture
) -> None:
    config = Config(database_url=database_url, listen_url=UNREACHABLE, poll_interval_seconds=0.05)
    with caplog.at_level(logging.WARNING, logger="tasklib.client"):
        async with AsyncClient(config) as client:
            task_id = await client.submit_task(add, a=2, b=2)
            waiter = asyncio.create_task(
                client.wait_for_result(add, task_id, timeout=2 * WOKEN_WITHIN)
            )
            await wait_until_async(
                lambda: "cannot LISTEN" in caplog.text, what="the listener's warning"
            )
            await asyncio.to_thread(finish, conn)
            assert await asyncio.wait_for(waiter, WOKEN_WITHIN) == 4


@pytest.mark.slow
def test_the_pooler_benchmark_runs(pg_server_url: str) -> None:
    """bench/poolers.py (the numbers of docs/poolers.md) on a tiny scale, so it cannot rot."""
    from bench.poolers import run

    report = run(pg_server_url, submits=20, waits=1)
    assert "| pgbouncer | off |" in report
    assert "| LISTEN on `listen_url` (direct) |" in report
