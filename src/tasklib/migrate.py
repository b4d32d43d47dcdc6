"""Applies and reverts the sql/ changes through yoyo-migrations, in the order of sqitch.plan."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yoyo import get_backend
from yoyo.migrations import Migration, MigrationList, StepCollector

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


def _script(path: Path) -> str:
    # sqitch scripts carry their own BEGIN/COMMIT; yoyo already runs each change in a transaction.
    return _TRANSACTION_LINE.sub("", path.read_text())


class _SqitchMigration(Migration):  # type: ignore[misc]
    """A yoyo migration whose steps come from a sqitch change instead of a yoyo file."""

    def __init__(self, change: Change, depends: set[Migration]) -> None:
        super().__init__(change.name, str(change.deploy), str(change.deploy.parent.parent))
        self._change = change
        self._declared_depends = depends

    def load(self) -> None:
        if self.loaded:
            return
        collector = StepCollector(migration=self)
        collector.add_step(_script(self._change.deploy), _script(self._change.revert))
        self.source = self._change.deploy.read_text()
        self._depends = self._declared_depends
        self.use_transactions = True
        self.steps = collector.create_steps(True)


def _migrations() -> Any:
    by_name: dict[str, Migration] = {}
    ordered = []
    for change in read_plan():
        depends = {by_name[name] for name in change.requires}
        migration = _SqitchMigration(change, depends)
        by_name[change.name] = migration
        ordered.append(migration)
    return MigrationList(ordered)


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


def _backend(database_url: str) -> Any:
    """yoyo's backend for the database, on a connection that prepares no statements.

    yoyo runs BEGIN, SAVEPOINT and its bookkeeping inserts once per change, so psycopg would
    prepare them; behind a transaction-mode pooler a prepared statement is missing on the
    next server connection. A migration gains nothing from preparing.
    """
    backend = get_backend(_yoyo_url(database_url))
    backend.connection.prepare_threshold = None
    return backend


def _resolve_url(database_url: str | None) -> str:
    return database_url if database_url is not None else Config().require_database_url()


def migrate(database_url: str | None = None) -> list[str]:
    """Apply every change not yet applied; return their names (empty when up to date)."""
    url = _resolve_url(database_url)
    with _migration_lock(url):
        backend = _backend(url)
        try:
            with backend.lock():
                pending = backend.to_apply(_migrations())
                backend.apply_migrations(pending)
            return [migration.id for migration in pending]
        finally:
            backend.connection.close()


def rollback(database_url: str | None = None, *, steps: int | None = None) -> list[str]:
    """Revert the last ``steps`` applied changes (all when None); return their names."""
    url = _resolve_url(database_url)
    with _migration_lock(url):
        backend = _backend(url)
        try:
            with backend.lock():
                applied = backend.to_rollback(_migrations())
                if steps is not None:
                    applied = applied[:steps]
                backend.rollback_migrations(applied)
            return [migration.id for migration in applied]
        finally:
            backend.connection.close()


def applied_changes(database_url: str | None = None) -> list[str]:
    """Names of the changes applied to the database, in plan order."""
    url = _resolve_url(database_url)
    backend = _backend(url)
    try:
        applied = backend.get_applied_migration_hashes()
        return [m.id for m in _migrations() if m.hash in applied]
    finally:
        backend.connection.close()
