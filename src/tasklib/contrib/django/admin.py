"""Read-only admin pages for tasklib.tasks: list, filter, search, and every field of a task."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from tasklib.contrib.django.models import Task

# ModelAdmin is generic for type checkers only (django-stubs); at run time it takes no subscript.
if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Task]
else:
    _ModelAdmin = admin.ModelAdmin


@admin.register(Task)
class TaskAdmin(_ModelAdmin):
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
