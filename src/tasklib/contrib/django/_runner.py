"""The TaskLib task behind each Django task: named by the Django task's module path.

A Django task ``myapp.tasks.send_welcome`` is queued as the TaskLib task of that name, with
arguments ``{"args": [...], "kwargs": {...}}``. Its definition is registered when the Django
task is made (the backend's ``validate_task`` runs as ``@task`` decorates the function), so a
worker knows every Django task of the modules it imported: ``manage.py tasklib_worker``
imports each installed app's ``tasks`` module and TASKLIB["TASK_MODULES"].
"""

from __future__ import annotations

import inspect
import threading
from typing import Any

from django.db import close_old_connections
from django.utils.module_loading import import_string

from tasklib.contrib.django._compat import Task, normalize_json
from tasklib.errors import ConfigurationError
from tasklib.registry import TaskDefinition, TaskOptions, get_definition, register

_lock = threading.Lock()
_definitions: dict[tuple[str, bool], TaskDefinition[..., Any]] = {}


def definition_for(task: Task[..., Any]) -> TaskDefinition[..., Any]:
    """The TaskLib definition that runs ``task``, registered under its module path."""
    path = task.module_path
    is_async = inspect.iscoroutinefunction(task.func)
    with _lock:
        definition = _definitions.get((path, is_async))
        if definition is None:
            existing = get_definition(path)
            if existing is not None and not getattr(existing.fn, "_tasklib_django", False):
                raise ConfigurationError(
                    f"{path!r} is already the name of a TaskLib @task; a Django task cannot "
                    "have the same module path"
                )
            function = _async_runner(path) if is_async else _sync_runner(path)
            definition = TaskDefinition(function, path, TaskOptions())
            _definitions[(path, is_async)] = definition
        register(definition)
    return definition


def django_task(path: str) -> Task[..., Any]:
    """The Django task at a module path (the name of its TaskLib task)."""
    found = import_string(path)
    if not isinstance(found, Task):
        raise TypeError(f"{path} is {type(found).__name__}, not a Django task")
    return found


# Each Django task gets a function of its own (a closure), so that the registry's check that
# a name is not taken by another function holds per task. Its "<locals>" qualified name also
# tells a worker running a sync task with a timeout to fork the child from itself, Django set
# up, rather than import the function again in a fresh interpreter.


def _sync_runner(path: str) -> Any:
    def run(args: list[Any], kwargs: dict[str, Any]) -> Any:
        # A sync task runs in a worker thread: Django's per-thread connections are closed
        # after it (as after a request), so that none outlives CONN_MAX_AGE or a broken state.
        close_old_connections()
        try:
            return normalize_json(django_task(path).func(*args, **kwargs))
        finally:
            close_old_connections()

    run._tasklib_django = True  # type: ignore[attr-defined]
    return run


def _async_runner(path: str) -> Any:
    async def run(args: list[Any], kwargs: dict[str, Any]) -> Any:
        return normalize_json(await django_task(path).func(*args, **kwargs))

    run._tasklib_django = True  # type: ignore[attr-defined]
    return run
