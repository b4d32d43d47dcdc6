"""The test database: $TASKLIB_TEST_DATABASE_URL, else testcontainers, else embedded PostgreSQL.

Built on tasklib.testing, the plugin users run their own tests with: the same server choice
(``database_server``, with one step of our own: a postgres:18 container when Docker answers),
the same scratch databases (``temporary_database``) and the same emptying (``empty_tables``).
Each pytest session works in databases it creates (and drops) on that server, so runs never
see each other's rows and the server's own databases are left alone.
"""

from __future__ import annotations

import contextlib
import os
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import psycopg
import pytest

from tasklib.testing import TEST_DATABASE_URL_ENV, database_server, empty_tables, temporary_database

TEST_URL_ENV = TEST_DATABASE_URL_ENV


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:
        return False
    return True


@contextlib.contextmanager
def _server() -> Iterator[tuple[str, str]]:
    """(admin URL, how it was found); the server lives as long as the context."""
    if not os.environ.get(TEST_URL_ENV) and _docker_answers():
        # testcontainers is a dev dependency only, hence imported here.
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:18", driver=None) as container:
            yield container.get_connection_url(), "testcontainers postgres:18"
        return
    origin = TEST_URL_ENV if os.environ.get(TEST_URL_ENV) else "embedded PostgreSQL"
    with database_server() as url:
        yield url, origin


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """An admin URL to the server the tests run against."""
    with _server() as (url, origin):
        with psycopg.connect(url, autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()
        print(f"\ntest database: {origin}, PostgreSQL {version[0] if version else '?'}")
        yield url


@pytest.fixture(scope="session")
def make_database(pg_server_url: str) -> Iterator[Callable[[str], str]]:
    """Create a fresh empty database named after a purpose; all are dropped at session end."""
    with ExitStack() as stack:

        def make(purpose: str) -> str:
            return stack.enter_context(
                temporary_database(pg_server_url, f"test_{purpose}", migrated=False)
            )

        yield make


@pytest.fixture(scope="session")
def migrated_url(pg_server_url: str) -> Iterator[str]:
    """A database with the tasklib schema applied, shared by the session."""
    with temporary_database(pg_server_url, "test_main") as url:
        yield url


@pytest.fixture
def database_url(migrated_url: str) -> str:
    """The migrated database, every tasklib table emptied before the test."""
    empty_tables(migrated_url)
    return migrated_url


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """An autocommit connection to the emptied test database."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        yield connection


def login_url(url: str, user: str, password: str) -> str:
    """The same database URL, logging in as another user (e.g. a role a test created)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    credentials = f"{urllib.parse.quote(user)}:{urllib.parse.quote(password)}"
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{credentials}@{host}"))
