"""tasklib.tasks as an unmanaged Django model, for the admin and for queries in the ORM.

The table belongs to TaskLib's schema (its migrations create and change it), so Django
never creates, alters or writes it: change tasks through TaskLib (cancel, retry), not here.
Only the columns Django shows are declared; TaskLib may add others.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import models


class Task(models.Model):
    """One row of tasklib.tasks (read-only)."""

    STATES = (
        ("pending", "pending"),
        ("running", "running"),
        ("completed", "completed"),
        ("failed", "failed"),
        ("cancelled", "cancelled"),
    )

    id: models.UUIDField[UUID, UUID] = models.UUIDField(primary_key=True)
    name: models.TextField[str, str] = models.TextField()
    queue: models.TextField[str, str] = models.TextField()
    state: models.TextField[str, str] = models.TextField(choices=STATES)
    priority: models.IntegerField[int, int] = models.IntegerField()
    args: models.JSONField[Any, Any] = models.JSONField()
    tags: models.JSONField[Any, Any] = models.JSONField()
    result: models.JSONField[Any, Any] = models.JSONField(null=True)
    error: models.TextField[str | None, str | None] = models.TextField(null=True)
    retry_count: models.IntegerField[int, int] = models.IntegerField()
    attempt: models.IntegerField[int, int] = models.IntegerField()
    max_retries: models.IntegerField[int, int] = models.IntegerField()
    timeout_seconds: models.FloatField[float | None, float | None] = models.FloatField(null=True)
    scheduled_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    next_retry_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True
    )
    started_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True
    )
    completed_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True
    )
    created_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    worker_id: models.TextField[str | None, str | None] = models.TextField(null=True)
    submitted_by: models.TextField[str, str] = models.TextField()
    terminal: models.BooleanField[bool, bool] = models.BooleanField()

    class Meta:
        managed = False
        # Quoted by Django as "tasklib"."tasks": the table of schema tasklib.
        db_table = 'tasklib"."tasks'
        ordering = ("-created_at",)
        verbose_name = "task"
        verbose_name_plural = "tasks"

    def __str__(self) -> str:
        return f"{self.name} {self.id} ({self.state})"
