"""TaskLib in Django: a Django Tasks backend, migrations, ``manage.py tasklib_worker``, admin.

Add ``"tasklib.contrib.django"`` to INSTALLED_APPS and
``TASKS = {"default": {"BACKEND": "tasklib.contrib.django.TaskLibBackend"}}`` to settings.py
(docs/django.md). The backend is imported on first use, so that listing the app imports
nothing of Django's Tasks framework before the app registry is ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tasklib.contrib.django._settings import database_settings
    from tasklib.contrib.django.backend import TaskCancelledError, TaskLibBackend

__all__ = ["TaskCancelledError", "TaskLibBackend", "database_settings"]


def __getattr__(name: str) -> Any:
    if name in ("TaskLibBackend", "TaskCancelledError"):
        from tasklib.contrib.django import backend

        return getattr(backend, name)
    if name == "database_settings":
        from tasklib.contrib.django import _settings

        return _settings.database_settings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
