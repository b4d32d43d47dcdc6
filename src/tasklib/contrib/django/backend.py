"""TaskLibBackend: Django's Tasks framework on tasklib.tasks, run by TaskLib workers.

``task.enqueue(...)`` inserts a row through ``tasklib.submit`` on Django's own connection, so
inside ``transaction.atomic()`` the task exists only if the block commits. ``get_result``
reads the row back on that connection and answers in Django's terms (TaskResult).
"""

from __future__ import annotations

import builtins
import dataclasses
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ParamSpec, TypeVar
from uuid import UUID

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from tasklib import errors
from tasklib.client import Client
from tasklib.contrib.django import _settings
from tasklib.contrib.django._compat import (
    BaseTaskBackend,
    InvalidTask,
    Task,
    TaskError,
    TaskResult,
    TaskResultDoesNotExist,
    TaskResultStatus,
    normalize_json,
    task_enqueued,
)
from tasklib.contrib.django._runner import definition_for, django_task
from tasklib.errors import TaskLibError, TaskNotFoundError
from tasklib.models import Task as TaskRow

T = TypeVar("T")
P = ParamSpec("P")

# OPTIONS of a TASKS entry: defaults for every task enqueued through that backend (each left
# to TaskLib's defaults when absent: 3 retries, 5 s backoff base, no timeout).
OPTION_NAMES = frozenset({"max_retries", "backoff_base_seconds", "timeout_seconds"})

# The last line of a Python traceback names the exception: "ValueError: ..." for a builtin,
# "myapp.errors.Declined: ..." for others (traceback.format_exception's own rule).
_EXCEPTION_LINE = re.compile(r"^(?P<path>[A-Za-z_][\w.]*)(?::|$)")


class TaskCancelledError(Exception):
    """The error of a Django TaskResult whose TaskLib task was cancelled (its status is FAILED)."""


class TaskLibBackend(BaseTaskBackend):
    """A Django Tasks backend whose tasks are rows of tasklib.tasks, run by TaskLib workers.

    ``TASKS = {"default": {"BACKEND": "tasklib.contrib.django.TaskLibBackend"}}``; ``QUEUES``
    as in Django (``[]`` allows any queue name), ``OPTIONS`` may set ``max_retries``,
    ``backoff_base_seconds`` and ``timeout_seconds`` for its tasks. The database is
    settings.TASKLIB["DATABASE"] (default "default").
    """

    supports_defer = True
    supports_async_task = True
    supports_get_result = True
    supports_priority = True

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        unknown = sorted(set(self.options) - OPTION_NAMES)
        if unknown:
            raise ImproperlyConfigured(
                f"TASKS[{alias!r}]['OPTIONS'] has unknown keys {unknown}: TaskLibBackend "
                f"takes {sorted(OPTION_NAMES)}"
            )
        self._client: Client | None = None

    # -- Django's backend API --------------------------------------------------------------

    def validate_task(self, task: Task[..., Any]) -> None:
        """Django's checks, TaskLib's refusals, then the task's TaskLib definition is registered."""
        super().validate_task(task)
        if task.takes_context:
            raise InvalidTask(
                "TaskLibBackend does not support takes_context=True: a TaskLib worker does not "
                "pass a TaskContext (read the task's own id from its arguments instead)"
            )
        definition_for(task)

    def enqueue(
        self,
        task: Task[P, T],
        args: P.args,  # type: ignore[valid-type]
        kwargs: P.kwargs,  # type: ignore[valid-type]
    ) -> TaskResult[T]:
        """Queue the call in Django's current transaction; its TaskResult, status READY."""
        self.validate_task(task)
        call_args = normalize_json(list(args))
        call_kwargs = normalize_json(dict(kwargs))
        connection = _settings.postgresql_connection()
        task_id = self.client.submit_task(
            definition_for(task),
            connection=_settings.raw_connection(connection),
            priority=task.priority,
            queue=task.queue_name,
            delay_seconds=_delay_seconds(task.run_after),
            **self._call_options(),
            args=call_args,
            kwargs=call_kwargs,
        )
        result: TaskResult[T] = TaskResult(
            task=task,
            id=str(task_id),
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            finished_at=None,
            last_attempted_at=None,
            args=call_args,
            kwargs=call_kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        task_enqueued.send(type(self), task_result=result)
        return result

    def get_result(self, result_id: str) -> TaskResult[Any]:
        """The task's state now, from its row; TaskResultDoesNotExist for an unknown id."""
        try:
            task_uuid = UUID(str(result_id))
        except ValueError:
            raise TaskResultDoesNotExist(f"{result_id!r} is not a TaskLib task id") from None
        connection = _settings.postgresql_connection()
        try:
            row = self.client.get_task(task_uuid, connection=_settings.raw_connection(connection))
        except TaskNotFoundError:
            raise TaskResultDoesNotExist(f"no task with id {result_id}") from None
        return self.result_from_row(row)

    def check(self, **kwargs: Any) -> Iterable[checks.CheckMessage]:
        """Django's system checks: the configured database must be PostgreSQL on psycopg 3."""
        try:
            _settings.postgresql_connection()
        except ImproperlyConfigured as error:
            return [checks.Error(str(error), obj=type(self).__name__, id="tasklib.E001")]
        return []

    # -- TaskLib's rows in Django's terms --------------------------------------------------

    def result_from_row(self, row: TaskRow) -> TaskResult[Any]:
        """A TaskResult for a row of tasklib.tasks that runs a Django task."""
        try:
            found = django_task(row.name)
        except (ImportError, TypeError) as error:
            raise TaskResultDoesNotExist(
                f"task {row.id} runs {row.name!r}, which is not a Django task ({error})"
            ) from None
        arguments = row.args if isinstance(row.args, Mapping) else {}
        result: TaskResult[Any] = TaskResult(
            task=_as_enqueued(found, row, self.alias),
            id=str(row.id),
            status=status_of(row),
            enqueued_at=row.created_at,
            # TaskLib keeps the start of the latest attempt only.
            started_at=row.started_at,
            finished_at=row.completed_at if row.terminal else None,
            last_attempted_at=row.started_at,
            args=list(arguments.get("args") or []),
            kwargs=dict(arguments.get("kwargs") or {}),
            backend=self.alias,
            errors=errors_of(row),
            # One entry per attempt; TaskLib records the worker of the latest one only.
            worker_ids=[row.worker_id or ""] * row.attempt,
        )
        if row.state == "completed" and row.result is not None:
            object.__setattr__(result, "_return_value", row.result.get("value"))
        return result

    # -- helpers ---------------------------------------------------------------------------

    @property
    def client(self) -> Client:
        """A TaskLib Client; every call passes Django's connection, so it opens no pool."""
        if self._client is None:
            self._client = Client(_settings.config())
        return self._client

    def _call_options(self) -> dict[str, Any]:
        return {name: self.options[name] for name in OPTION_NAMES if name in self.options}


def status_of(row: TaskRow) -> TaskResultStatus:
    """TaskLib's state as Django's status.

    pending, and failed with a retry to come, are READY (ready to be executed again);
    running is RUNNING; completed is SUCCESSFUL; failed for good and cancelled are FAILED.
    """
    if row.state == "running":
        return TaskResultStatus.RUNNING
    if row.state == "completed":
        return TaskResultStatus.SUCCESSFUL
    if row.state == "cancelled" or (row.state == "failed" and row.terminal):
        return TaskResultStatus.FAILED
    return TaskResultStatus.READY


def errors_of(row: TaskRow) -> list[TaskError]:
    """The stored error as Django's TaskError (TaskLib keeps the latest attempt's only)."""
    if row.state == "cancelled":
        reason = row.error or f"task {row.id} was cancelled"
        return [TaskError(exception_class_path=_path(TaskCancelledError), traceback=reason)]
    if not row.error:
        return []
    return [TaskError(exception_class_path=exception_path(row.error), traceback=row.error)]


def exception_path(error: str) -> str:
    """The dotted path of the exception a stored traceback ends with.

    A failure TaskLib itself recorded without a traceback (a lease that expired, a result that
    cannot be stored) is named tasklib.errors.TaskLibError.
    """
    lines = [line for line in error.strip().splitlines() if line.strip()]
    match = _EXCEPTION_LINE.match(lines[-1]) if lines else None
    if match is not None:
        path = match["path"]
        if "." in path:
            return path
        for module in (builtins, errors):  # TaskLib's own failures: "UnknownTaskError: ..."
            found = getattr(module, path, None)
            if isinstance(found, type) and issubclass(found, BaseException):
                return f"{module.__name__}.{path}"
    return _path(TaskLibError)


def _path(kind: type[BaseException]) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def _delay_seconds(run_after: datetime | None) -> float:
    if run_after is None:
        return 0.0
    return max(0.0, (run_after - timezone.now()).total_seconds())


def _as_enqueued(task: Task[..., Any], row: TaskRow, alias: str) -> Task[..., Any]:
    """The Django task with the priority, queue and backend the row was enqueued with.

    Not through ``task.using()``, which validates again: a row stays readable after the
    backend's QUEUES changed.
    """
    enqueued = _copy(task)
    object.__setattr__(enqueued, "priority", row.priority)
    object.__setattr__(enqueued, "queue_name", row.queue)
    object.__setattr__(enqueued, "backend", alias)
    if row.scheduled_at > row.created_at:
        object.__setattr__(enqueued, "run_after", row.scheduled_at)
    return enqueued


def _copy(task: Task[..., Any]) -> Task[..., Any]:
    # Field by field: Django 6 pickles (and so copies) a Task by importing it again.
    copied: Task[..., Any] = object.__new__(type(task))
    for field in dataclasses.fields(task):
        object.__setattr__(copied, field.name, getattr(task, field.name))
    return copied
