"""Read-only admin pages for tasklib.tasks: list, filter, search, and every field of a task."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tasklib.contrib.django.models import Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin[Task]):
    """Tasks newest first; nothing can be added, changed or deleted here."""

    list_display = ("id", "name", "state", "queue", "priority", "attempt", "created_at")
    list_filter = ("state", "queue", "name")
    search_fields = ("=id", "name", "worker_id")
    date_hierarchy = "created_at"
    list_per_page = 50
    show_full_result_count = False  # a count(*) over a large queue on every page is costly

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Task._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
