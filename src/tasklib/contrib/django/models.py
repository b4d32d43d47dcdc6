"""tasklib.tasks as an unmanaged Django model, for the admin and for queries in the ORM.

The table belongs to TaskLib's schema (its migrations create and change it), so Django
never creates, alters or writes it: change tasks through TaskLib (cancel, retry), not here.
Only the columns Django shows are declared; TaskLib may add others.
"""

from __future__ import annotations

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

    id = models.UUIDField(primary_key=True)
    name = models.TextField()
    queue = models.TextField()
    state = models.TextField(choices=STATES)
    priority = models.IntegerField()
    args = models.JSONField()
    tags = models.JSONField()
    result = models.JSONField(null=True)
    error = models.TextField(null=True)
    retry_count = models.IntegerField()
    attempt = models.IntegerField()
    max_retries = models.IntegerField()
    timeout_seconds = models.FloatField(null=True)
    scheduled_at = models.DateTimeField()
    next_retry_at = models.DateTimeField(null=True)
    started_at = models.DateTimeField(null=True)
    completed_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField()
    worker_id = models.TextField(null=True)
    submitted_by = models.TextField()
    terminal = models.BooleanField()

    class Meta:
        managed = False
        # Quoted by Django as "tasklib"."tasks": the table of schema tasklib.
        db_table = 'tasklib"."tasks'
        ordering = ("-created_at",)
        verbose_name = "task"
        verbose_name_plural = "tasks"

    def __str__(self) -> str:
        return f"{self.name} {self.id} ({self.state})"
