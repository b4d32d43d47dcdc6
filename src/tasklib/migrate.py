"""Applies and reverts the sql/ changes through yoyo-migrations, in the order of sqitch.plan.

yoyo (and sqlparse, which it loads) is imported only when a migration runs (tasklib._yoyo): a
worker, the CLI's other commands and an application that only submits never pay for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tasklib.config import Config
from tasklib.db import connections, statements
from tasklib.errors import ConfigurationError

# Serialises concurrent migrators before yoyo's own lock table exists.
_ADVISORY_LOCK_KEY = 0x7A5C_11B0
# Only unindented lines: an indented COMMIT is a statement inside a procedure body.
_TRANSACTION_LINE = re.compile(r"^(BEGIN|COMMIT)\s*;\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Change:
    """One line of sqitch.plan: a change, the changes it requires, and its three scripts."""

    name: str
    requires: tuple[str, ...]
    deploy: Path
    revert: Path
    verify: Path


def sql_dir() -> Path:
    """The sql/ folder: packaged inside the wheel, or at the top of a source checkout."""
    packaged = Path(__file__).parent / "sql"
    if (packaged / "sqitch.plan").exists():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "sql"
    if (checkout / "sqitch.plan").exists():
        return checkout
    raise ConfigurationError(f"sqitch.plan not found in {packaged} or {checkout}")


def read_plan(directory: Path | None = None) -> list[Change]:
    """Parse sqitch.plan into changes, in deployment order."""
    directory = directory or sql_dir()
    changes: list[Change] = []
    for raw in (directory / "sqitch.plan").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("%", "#", "@")):
            continue
        match = re.match(r"^(?P<name>[^\s\[]+)\s*(?:\[(?P<requires>[^\]]*)\])?", line)
        if match is None:
            raise ConfigurationError(f"cannot parse sqitch.plan line: {raw!r}")
        name = match["name"]
        requires = tuple(match["requires"].split()) if match["requires"] else ()
        changes.append(
            Change(
                name=name,
                requires=requires,
                deploy=directory / "deploy" / f"{name}.sql",
                revert=directory / "revert" / f"{name}.sql",
                verify=directory / "verify" / f"{name}.sql",
            )
        )
    return changes


def script(path: Path) -> str:
    """A sqitch script without its own BEGIN/COMMIT lines."""
    # sqitch scripts carry their own BEGIN/COMMIT; yoyo already runs each change in a transaction.
    return _TRANSACTION_LINE.sub("", path.read_text())


def _yoyo_url(database_url: str) -> str:
    _scheme, sep, rest = database_url.partition("://")
    if not sep:
        raise ConfigurationError(f"not a database URL: {database_url!r}")
    return f"postgresql+psycopg://{rest}"


@contextmanager
def _migration_lock(database_url: str) -> Iterator[None]:
    """Hold the migration lock while the block runs (yoyo's connection does the work).

    The lock is transaction-scoped, taken in a transaction that this connection of its own
    keeps open until the block ends: behind a transaction-mode pooler an open transaction
    keeps its server connection, whereas a session lock would stay behind on whichever
    server connection took it (held for good, so the next migrate waits forever).
    """
    config = Config(database_url=database_url, application_name="tasklib-migrate")
    with connections.connect(config) as connection, connection.transaction():
        connection.execute(statements.MIGRATION_LOCK, (_ADVISORY_LOCK_KEY,))
        yield


def _resolve_url(database_url: str | None) -> str:
    return database_url if database_url is not None else Config().require_database_url()


def migrate(database_url: str | None = None) -> list[str]:
    """Apply every change not yet applied; return their names (empty when up to date)."""
    from tasklib import _yoyo

    url = _resolve_url(database_url)
    with _migration_lock(url):
        backend = _yoyo.backend(_yoyo_url(url))
        try:
            with backend.lock():
                pending = backend.to_apply(_yoyo.migrations(read_plan()))
                backend.apply_migrations(pending)
            return [migration.id for migration in pending]
        finally:
            backend.connection.close()


def rollback(database_url: str | None = None, *, steps: int | None = None) -> list[str]:
    """Revert the last ``steps`` applied changes (all when None); return their names."""
    from tasklib import _yoyo

    url = _resolve_url(database_url)
    with _migration_lock(url):
        backend = _yoyo.backend(_yoyo_url(url))
        try:
            with backend.lock():
                applied = backend.to_rollback(_yoyo.migrations(read_plan()))
                if steps is not None:
                    applied = applied[:steps]
                backend.rollback_migrations(applied)
            return [migration.id for migration in applied]
        finally:
            backend.connection.close()


def applied_changes(database_url: str | None = None) -> list[str]:
    """Names of the changes applied to the database, in plan order."""
    from tasklib import _yoyo

    url = _resolve_url(database_url)
    backend = _yoyo.backend(_yoyo_url(url))
    try:
        applied = backend.get_applied_migration_hashes()
        return [m.id for m in _yoyo.migrations(read_plan()) if m.hash in applied]
    finally:
        backend.connection.close()
