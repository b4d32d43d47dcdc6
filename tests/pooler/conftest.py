"""TaskLib behind a real PgBouncer in transaction mode (tests/support/pgbouncer.py).

``pooled_config`` is the Config an application behind such a pooler uses, and ``pooled_env``
the environment of a command run behind it (docs/poolers.md): statements unprepared, LISTEN
on a direct connection. One place says how TaskLib is set up there.
"""

from __future__ import annotations

import pytest

from tasklib.client import _async, _listener, _sync
from tasklib.config import DATABASE_URL_ENV, PREPARED_STATEMENTS_ENV, Config


@pytest.fixture
def pooled_config(pooled_url: str, database_url: str) -> Config:
    """TaskLib through the pooler, listening on a direct connection."""
    return Config(database_url=pooled_url, prepared_statements=False, listen_url=database_url)


@pytest.fixture
def pooled_env(pooled_url: str) -> dict[str, str | None]:
    """The environment of a `tasklib` command run through the pooler."""
    return {DATABASE_URL_ENV: pooled_url, PREPARED_STATEMENTS_ENV: "off"}


@pytest.fixture
def no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Waits re-read their task on a wake-up (or a poll) only, not every 5 s regardless."""
    for module in (_listener, _sync, _async):
        monkeypatch.setattr(module, "FALLBACK_SECONDS", 600.0, raising=False)
