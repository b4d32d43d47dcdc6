"""``manage.py migrate`` installs TaskLib's schema through tasklib.migrate, so either tool
may run first and the other then has nothing to do; ``migrate tasklib zero`` removes it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from tasklib.migrate import applied_changes, read_plan
from tests.contrib.conftest import manage

pytest.importorskip("django")

EVERY_CHANGE = [change.name for change in read_plan()]


def _tasklib_migrate(url: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tasklib", "migrate", "--database-url", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_manage_py_migrate_installs_the_schema_then_tasklib_migrate_has_nothing_to_do(
    make_database: Callable[[str], str],
) -> None:
    url = make_database("django_migrate_first")
    assert applied_changes(url) == []

    done = manage(url, "migrate")
    assert "Applying tasklib.0001_initial... OK" in done.stdout
    assert applied_changes(url) == EVERY_CHANGE

    assert "schema is up to date" in _tasklib_migrate(url)
    assert applied_changes(url) == EVERY_CHANGE
    # And Django's side agrees: nothing left to migrate, the test app's tables are there.
    assert "No migrations to apply" in manage(url, "migrate").stdout
    manage(url, "tasklib_worker", "--until-idle")


def test_tasklib_migrate_first_then_manage_py_migrate(make_database: Callable[[str], str]) -> None:
    url = make_database("django_tasklib_first")
    _tasklib_migrate(url)
    assert applied_changes(url) == EVERY_CHANGE

    done = manage(url, "migrate")
    assert "Applying tasklib.0001_initial... OK" in done.stdout
    assert applied_changes(url) == EVERY_CHANGE


def test_migrate_tasklib_zero_removes_the_schema_and_migrate_restores_it(
    make_database: Callable[[str], str],
) -> None:
    url = make_database("django_zero")
    manage(url, "migrate")

    manage(url, "migrate", "tasklib", "zero")
    assert applied_changes(url) == []

    manage(url, "migrate")
    assert applied_changes(url) == EVERY_CHANGE


def test_migrate_brings_an_older_schema_up_to_date(make_database: Callable[[str], str]) -> None:
    """A TaskLib upgrade adds sql/ changes, not Django migrations: migrate applies them."""
    url = make_database("django_upgrade")
    manage(url, "migrate")
    from tasklib.migrate import rollback

    rollback(url, steps=1)
    assert applied_changes(url) == EVERY_CHANGE[:-1]

    done = manage(url, "migrate")
    assert "No migrations to apply" in done.stdout
    assert applied_changes(url) == EVERY_CHANGE
