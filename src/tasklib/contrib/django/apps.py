"""The Django app ``tasklib.contrib.django`` (label ``tasklib``)."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TaskLibConfig(AppConfig):
    """Migrations that install TaskLib's schema, the tasklib_worker command, the admin pages."""

    name = "tasklib.contrib.django"
    label = "tasklib"
    verbose_name = "TaskLib"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_schema_up_to_date, sender=self)


def _schema_up_to_date(using: str, plan: Any = None, **kwargs: Any) -> None:
    """After each ``manage.py migrate``: apply the sql/ changes a newer TaskLib brought.

    Migration 0001 installs the schema once; a TaskLib upgrade adds sqitch changes, not
    Django migrations, and this applies them (yoyo skips what is applied already).
    """
    from tasklib.contrib.django import _schema

    _schema.bring_up_to_date(using)
