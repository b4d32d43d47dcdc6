"""Installs TaskLib's schema (sql/, through tasklib.migrate) and declares the unmanaged Task.

Reversing it (``manage.py migrate tasklib zero``) reverts the schema: every task is dropped.
Later TaskLib releases add sql/ changes, which apps.py applies after each ``manage.py migrate``.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models


def install_schema(apps: Any, schema_editor: Any) -> None:
    from tasklib.contrib.django import _schema

    _schema.install(schema_editor.connection.alias)


def remove_schema(apps: Any, schema_editor: Any) -> None:
    from tasklib.contrib.django import _schema

    _schema.remove(schema_editor.connection.alias)


class Migration(migrations.Migration):
    initial = True
    # yoyo applies sql/ on a connection of its own, committing each change: no transaction of
    # Django's connection should be open (and holding locks) meanwhile.
    atomic = False
    dependencies = ()

    operations = (
        migrations.RunPython(install_schema, remove_schema, elidable=False),
        migrations.CreateModel(
            name="Task",
            fields=[
                ("id", models.UUIDField(primary_key=True, serialize=False)),
                ("name", models.TextField()),
                ("queue", models.TextField()),
                (
                    "state",
                    models.TextField(
                        choices=[
                            ("pending", "pending"),
                            ("running", "running"),
                            ("completed", "completed"),
                            ("failed", "failed"),
                            ("cancelled", "cancelled"),
                        ]
                    ),
                ),
                ("priority", models.IntegerField()),
                ("args", models.JSONField()),
                ("tags", models.JSONField()),
                ("result", models.JSONField(null=True)),
                ("error", models.TextField(null=True)),
                ("retry_count", models.IntegerField()),
                ("attempt", models.IntegerField()),
                ("max_retries", models.IntegerField()),
                ("timeout_seconds", models.FloatField(null=True)),
                ("scheduled_at", models.DateTimeField()),
                ("next_retry_at", models.DateTimeField(null=True)),
                ("started_at", models.DateTimeField(null=True)),
                ("completed_at", models.DateTimeField(null=True)),
                ("created_at", models.DateTimeField()),
                ("worker_id", models.TextField(null=True)),
                ("submitted_by", models.TextField()),
                ("terminal", models.BooleanField()),
            ],
            options={
                "verbose_name": "task",
                "verbose_name_plural": "tasks",
                "db_table": 'tasklib"."tasks',
                "ordering": ("-created_at",),
                "managed": False,
            },
        ),
    )
