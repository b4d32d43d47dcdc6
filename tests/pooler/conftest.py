"""TaskLib behind a real PgBouncer in transaction mode (tests/support/pgbouncer.py).

``pooled_config`` is the Config an application behind such a pooler uses, and ``pooled_env``
the environment of a command run behind it: one place says how TaskLib is set up there.
"""

from __future__ import annotations

import pytest

from tasklib.config import DATABASE_URL_ENV, Config


@pytest.fixture
def pooled_config(pooled_url: str) -> Config:
    """TaskLib through the pooler."""
    return Config(database_url=pooled_url)


@pytest.fixture
def pooled_env(pooled_url: str) -> dict[str, str | None]:
    """The environment of a `tasklib` command run through the pooler."""
    return {DATABASE_URL_ENV: pooled_url}
