"""The Django test project (tests/contrib/django_project) on a database of its own.

Django is set up once per pytest process, on a fresh database migrated by ``manage.py
migrate`` (call_command): Django's tables, the test app's, and TaskLib's schema through
tasklib.contrib.django's migration. Subprocesses (``manage.py tasklib_worker``, ``migrate``)
get the same settings through ``project_env``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tasklib.testing import empty_tables

PROJECT = Path(__file__).resolve().parent / "django_project"
SETTINGS = "testsite.settings"
URL_ENV = "TESTSITE_DATABASE_URL"


def project_env(url: str) -> dict[str, str]:
    """The environment of a manage.py subprocess of the test project on ``url``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TASKLIB_")}
    return {**env, "DJANGO_SETTINGS_MODULE": SETTINGS, URL_ENV: url, "PYTHONUNBUFFERED": "1"}


def manage(url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python manage.py ARGS`` of the test project on ``url``; fails on a non-zero exit."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=project_env(url),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="session")
def django_url(make_database: Callable[[str], str]) -> Iterator[str]:
    """The test project's database, set up in this process (django.setup, migrate)."""
    django = pytest.importorskip("django")
    url = make_database("django")
    sys.path.insert(0, str(PROJECT))
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ[URL_ENV] = url
    try:
        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    finally:
        # Settings are read by now; other tests' subprocesses should not inherit these.
        del os.environ["DJANGO_SETTINGS_MODULE"], os.environ[URL_ENV]
    yield url
    from django.db import connections

    connections.close_all()


@pytest.fixture
def project(django_url: str) -> Iterator[str]:
    """The test project's database with no tasks and no orders; its URL."""
    from django.db import connections

    empty_tables(django_url)
    from shop.models import Order

    Order.objects.all().delete()
    yield django_url
    connections.close_all()
