"""Fixtures for the schedule tests: tasklib on the emptied test database, declarations undone,
and logins in one TaskLib role."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest

import tasklib
from tasklib import registry, schedules
from tests.support.database import login_url


@pytest.fixture
def url(database_url: str) -> Iterator[str]:
    """The emptied test database, with tasklib.init() pointing at it."""
    tasklib.init(tasklib.Config(database_url=database_url))
    yield database_url
    tasklib.close()


@pytest.fixture
def declarations() -> Iterator[None]:
    """Tasks and schedules a test declares are forgotten after it: every TaskWorker of this
    pytest process would otherwise apply (and fire) them in later tests."""
    tasks = dict(registry._REGISTRY)
    declared = dict(schedules._DECLARED)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(tasks)
    schedules._DECLARED.clear()
    schedules._DECLARED.update(declared)


@pytest.fixture
def login(database_url: str) -> Iterator[Callable[[str], str]]:
    """``login("tasklib_worker")``: the test database as a new LOGIN role in that role."""
    made: list[str] = []

    def make(member_of: str) -> str:
        role = f"tlcron_{member_of.removeprefix('tasklib_')}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'x' IN ROLE {member_of}")
        made.append(role)
        return login_url(database_url, role, "x")

    yield make
    with psycopg.connect(database_url, autocommit=True) as conn:
        for role in made:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")
