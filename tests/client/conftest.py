"""Fixtures for the client tests: tasklib initialised on the emptied test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import tasklib


@pytest.fixture
def tasklib_url(database_url: str) -> Iterator[str]:
    """tasklib.init() on the emptied test database; every pool closed after the test."""
    tasklib.init(tasklib.Config(database_url=database_url))
    yield database_url
    tasklib.close()
