"""TaskLib's settings in a Django project: the ``TASKLIB`` dict of settings.py, and URLs.

``TASKLIB`` is optional; every key has a default::

    TASKLIB = {
        "DATABASE": "default",        # the DATABASES alias that holds the tasklib schema
        "DATABASE_URL": None,         # TaskLib's own connections (worker); default: built
                                      # from DATABASES[DATABASE]
        "CONFIG": {},                 # more tasklib.Config fields: {"lease_seconds": 60, ...}
        "TASK_MODULES": [],           # modules the worker imports besides each app's tasks.py
        "WORKER": {},                 # tasklib_worker defaults: concurrency, queues,
                                      # shutdown_grace_seconds
    }
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Mapping
from typing import Any

import psycopg.conninfo
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from tasklib.config import Config

_KEYS = frozenset({"DATABASE", "DATABASE_URL", "CONFIG", "TASK_MODULES", "WORKER"})
_WORKER_KEYS = frozenset({"concurrency", "queues", "shutdown_grace_seconds"})
# DATABASES OPTIONS that Django consumes itself; the others are libpq connection parameters.
_DJANGO_ONLY_OPTIONS = frozenset(
    {
        "assume_role",
        "context",
        "cursor_factory",
        "isolation_level",
        "pool",
        "prepare_threshold",
        "server_side_binding",
    }
)


def tasklib_settings() -> dict[str, Any]:
    """settings.TASKLIB with unknown keys refused (a typo would otherwise be ignored)."""
    value = getattr(settings, "TASKLIB", None) or {}
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured(f"settings.TASKLIB must be a dict, got {type(value).__name__}")
    unknown = sorted(set(value) - _KEYS)
    if unknown:
        raise ImproperlyConfigured(
            f"settings.TASKLIB has unknown keys {unknown}: expected some of {sorted(_KEYS)}"
        )
    return dict(value)


def database_alias() -> str:
    """The DATABASES alias whose database holds the tasklib schema (TASKLIB["DATABASE"])."""
    alias = tasklib_settings().get("DATABASE", "default")
    if alias not in settings.DATABASES:
        raise ImproperlyConfigured(
            f'settings.TASKLIB["DATABASE"] is {alias!r}, which is not in settings.DATABASES'
        )
    return str(alias)


def postgresql_connection(alias: str | None = None) -> BaseDatabaseWrapper:
    """Django's connection for ``alias`` (default: TASKLIB["DATABASE"]), checked: PostgreSQL."""
    connection = connections[alias or database_alias()]
    if connection.vendor != "postgresql":
        raise ImproperlyConfigured(
            f"TaskLib needs PostgreSQL: DATABASES[{connection.alias!r}] uses the "
            f"{connection.vendor} backend"
        )
    return connection


def raw_connection(connection: BaseDatabaseWrapper) -> psycopg.Connection[Any]:
    """The psycopg 3 connection under a Django connection, opened if need be.

    Statements sent on it run in Django's transaction: inside ``transaction.atomic()`` they
    commit or roll back with the caller's own writes.
    """
    connection.ensure_connection()
    raw = connection.connection
    if not isinstance(raw, psycopg.Connection):
        raise ImproperlyConfigured(
            f"TaskLib needs Django's PostgreSQL backend on psycopg 3; DATABASES"
            f"[{connection.alias!r}] runs on {type(raw).__module__} (pip install 'psycopg[binary]'"
            " and uninstall psycopg2 so that Django picks psycopg 3)"
        )
    return raw


def database_url(connection: BaseDatabaseWrapper | None = None) -> str:
    """A postgresql:// URL for TaskLib's own connections to the database of ``connection``.

    TASKLIB["DATABASE_URL"] if set, else built from the connection's settings (NAME, USER,
    PASSWORD, HOST, PORT and the libpq parameters among OPTIONS). Built from the connection's
    current settings, so under Django's test runner it names the test database.
    """
    configured = tasklib_settings().get("DATABASE_URL")
    if configured and connection is None:
        return str(configured)
    connection = connection or postgresql_connection()
    return url_from_settings(connection.settings_dict)


def url_from_settings(settings_dict: Mapping[str, Any]) -> str:
    """The libpq URL of one DATABASES entry: user and password in it, the rest as parameters."""
    params: dict[str, str] = {}
    for key, value in (settings_dict.get("OPTIONS") or {}).items():
        if key not in _DJANGO_ONLY_OPTIONS and isinstance(value, str | int | float):
            params[key] = str(value)
    for key, setting in (("dbname", "NAME"), ("host", "HOST"), ("port", "PORT")):
        if settings_dict.get(setting):
            params[key] = str(settings_dict[setting])
    credentials = ""
    if settings_dict.get("USER"):
        credentials = urllib.parse.quote(str(settings_dict["USER"]), safe="")
        if settings_dict.get("PASSWORD"):
            credentials += ":" + urllib.parse.quote(str(settings_dict["PASSWORD"]), safe="")
        credentials += "@"
    query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    return f"postgresql://{credentials}?{query}" if query else f"postgresql://{credentials}"


def database_settings(url: str, **extra: Any) -> dict[str, Any]:
    """A DATABASES entry for a postgresql:// URL (e.g. $DATABASE_URL or the embedded server).

    ``extra`` adds or overrides keys of the entry (CONN_MAX_AGE, TEST, ...).
    """
    params: dict[str, Any] = psycopg.conninfo.conninfo_to_dict(url)
    entry: dict[str, Any] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": params.pop("dbname", ""),
        "USER": params.pop("user", ""),
        "PASSWORD": params.pop("password", ""),
        "HOST": params.pop("host", ""),
        "PORT": str(params.pop("port", "")),
        "OPTIONS": {key: str(value) for key, value in params.items()},
    }
    entry.update(extra)
    return entry


def config(connection: BaseDatabaseWrapper | None = None) -> Config:
    """The tasklib.Config of this project: its URL, then TASKLIB["CONFIG"]."""
    overrides = dict(tasklib_settings().get("CONFIG") or {})
    fields = {f.name for f in dataclasses.fields(Config)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ImproperlyConfigured(
            f'settings.TASKLIB["CONFIG"] has unknown keys {unknown}: they are tasklib.Config '
            "fields (lease_seconds, poll_interval_seconds, listen_url, ...)"
        )
    overrides.setdefault("database_url", database_url(connection))
    return Config(**overrides)


def worker_defaults() -> dict[str, Any]:
    """TASKLIB["WORKER"]: the defaults of ``manage.py tasklib_worker``'s options."""
    values = dict(tasklib_settings().get("WORKER") or {})
    unknown = sorted(set(values) - _WORKER_KEYS)
    if unknown:
        raise ImproperlyConfigured(
            f'settings.TASKLIB["WORKER"] has unknown keys {unknown}: expected some of '
            f"{sorted(_WORKER_KEYS)}"
        )
    return values


def task_modules() -> list[str]:
    """TASKLIB["TASK_MODULES"]: modules that define tasks outside the apps' tasks.py."""
    modules = tasklib_settings().get("TASK_MODULES") or []
    if isinstance(modules, str) or not all(isinstance(m, str) for m in modules):
        raise ImproperlyConfigured(
            'settings.TASKLIB["TASK_MODULES"] must be a list of module names'
        )
    return list(modules)
