"""Fixtures for the worker tests: tasklib initialised on the emptied test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import tasklib
from tests.worker import tasks_inprocess


@pytest.fixture
def url(database_url: str) -> Iterator[str]:
    """The emptied test database, with tasklib.init() pointing at it and no calls recorded."""
    tasks_inprocess.calls.clear()
    tasklib.init(tasklib.Config(database_url=database_url))
    yield database_url
    tasklib.close()
