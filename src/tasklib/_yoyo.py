"""The sqitch changes as yoyo migrations, and yoyo's backend: imported only when one runs."""

from __future__ import annotations

from typing import Any

from yoyo import get_backend
from yoyo.migrations import Migration, MigrationList, StepCollector

from tasklib.migrate import Change, script


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
        collector.add_step(script(self._change.deploy), script(self._change.revert))
        self.source = self._change.deploy.read_text()
        self._depends = self._declared_depends
        self.use_transactions = True
        self.steps = collector.create_steps(True)


def migrations(plan: list[Change]) -> Any:
    """yoyo's list of migrations, one per change of the plan, with its requirements."""
    by_name: dict[str, Migration] = {}
    ordered = []
    for change in plan:
        depends = {by_name[name] for name in change.requires}
        migration = _SqitchMigration(change, depends)
        by_name[change.name] = migration
        ordered.append(migration)
    return MigrationList(ordered)


def backend(yoyo_url: str) -> Any:
    """yoyo's backend for the database, on a connection that prepares no statements.

    yoyo runs BEGIN, SAVEPOINT and its bookkeeping inserts once per change, so psycopg would
    prepare them; behind a transaction-mode pooler a prepared statement is missing on the
    next server connection. A migration gains nothing from preparing.
    """
    backend = get_backend(yoyo_url)
    backend.connection.prepare_threshold = None
    return backend
