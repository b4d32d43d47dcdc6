"""TaskLib's schema (sql/, applied by tasklib.migrate through yoyo) from Django's migrate.

``tasklib migrate`` and ``manage.py migrate`` share yoyo's bookkeeping in the database, so
either may run first and the other then finds nothing to do.
"""

from __future__ import annotations

from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

from tasklib.contrib.django import _settings
from tasklib.migrate import migrate, rollback

APP_LABEL = "tasklib"
INITIAL_MIGRATION = "0001_initial"


def applies_to(alias: str) -> bool:
    """Whether the schema belongs in the database of ``alias`` (TASKLIB["DATABASE"])."""
    return alias == _settings.database_alias()


def install(alias: str) -> list[str]:
    """Apply every sql/ change not yet applied to ``alias``'s database; their names."""
    if not applies_to(alias):
        return []
    return migrate(_settings.database_url(_settings.postgresql_connection(alias)))


def bring_up_to_date(alias: str) -> list[str]:
    """``install``, once migration 0001 is applied (not after ``migrate tasklib zero``)."""
    if not applies_to(alias):
        return []
    recorder = MigrationRecorder(connections[alias])
    if (APP_LABEL, INITIAL_MIGRATION) not in recorder.applied_migrations():
        return []
    return install(alias)


def remove(alias: str) -> list[str]:
    """Revert every applied sql/ change (``manage.py migrate tasklib zero``): drops the schema."""
    if not applies_to(alias):
        return []
    return rollback(_settings.database_url(connections[alias]))
