"""The test database: $TASKLIB_TEST_DATABASE_URL, else testcontainers, else embedded PostgreSQL.

Each pytest session works in databases it creates (and drops) on that server, so runs never
see each other's rows and the server's own databases are left alone.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

import tasklib

TEST_URL_ENV = "TASKLIB_TEST_DATABASE_URL"


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:
        return False
    return True


def _start_server(stack: ExitStack) -> tuple[str, str]:
    """Return (admin URL, how it was found)."""
    if url := os.environ.get(TEST_URL_ENV):
        return url, f"{TEST_URL_ENV}"
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:18", driver=None)
        container.start()
        stack.callback(container.stop)
        return container.get_connection_url(), "testcontainers postgres:18"
    from tasklib.embedded import EmbeddedPostgres

    data_dir = Path(tempfile.mkdtemp(prefix="tasklib-test-pg-"))
    shutil.rmtree(data_dir)
    server = EmbeddedPostgres(data_dir, delete=True)
    stack.callback(server.stop)
    return server.url(), f"embedded PostgreSQL in {data_dir}"


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """An admin URL to the server the tests run against."""
    with ExitStack() as stack:
        url, origin = _start_server(stack)
        with psycopg.connect(url, autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()
        print(f"\ntest database: {origin}, PostgreSQL {version[0] if version else '?'}")
        yield url


@pytest.fixture(scope="session")
def make_database(pg_server_url: str) -> Iterator[Callable[[str], str]]:
    """Create a fresh empty database named after a purpose; all are dropped at session end."""
    created: list[str] = []

    def make(purpose: str) -> str:
        name = f"tasklib_test_{purpose}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return with_database(pg_server_url, name)

    yield make
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        for name in created:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def migrated_url(make_database: Callable[[str], str]) -> str:
    """A database with the tasklib schema applied, shared by the session."""
    url = make_database("main")
    tasklib.migrate(url)
    return url


@pytest.fixture
def database_url(migrated_url: str) -> str:
    """The migrated database, every tasklib table emptied before the test."""
    with psycopg.connect(migrated_url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
            " WHERE schemaname = 'tasklib'"
        ).fetchall()
        if tables:
            conn.execute("TRUNCATE " + ", ".join(str(row[0]) for row in tables))
    return migrated_url


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """An autocommit connection to the emptied test database."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        yield connection
