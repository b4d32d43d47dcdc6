"""What one run of a task came to (Completed, Failed, Throttled, Cancelled): from its value or its
error, or from the cancellation that stopped it."""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from tasklib.db.statements import TaskId
from tasklib.errors import RateLimited, RateLimitScope
from tasklib.models import TaskState
from tasklib.registry import TaskDefinition


@dataclass(frozen=True, slots=True)
class Completed:
    """The function returned; ``result_json`` is the JSON text of its return value."""

    task_id: TaskId
    result_json: str


@dataclass(frozen=True, slots=True)
class Failed:
    """The attempt failed with ``error``; a non-retryable failure spends the remaining retries."""

    task_id: TaskId
    error: str
    retryable: bool


@dataclass(frozen=True, slots=True)
class Throttled:
    """The task raised RateLimited: back to pending after ``retry_after`` seconds, no retry
    spent, its limit key or its queue (``scope``; None: the key if it has one) suspended."""

    task_id: TaskId
    retry_after: float
    scope: RateLimitScope | None


@dataclass(frozen=True, slots=True)
class CancelRequest:
    """A running task's cancellation, as ``tasklib.cancel`` recorded it: by whom and why."""

    task_id: TaskId
    cancelled_by: str | None
    reason: str | None

    def describe(self) -> str:
        """'cancelled by alice: the customer left' (the stored error of the run it stopped)."""
        who = f"cancelled by {self.cancelled_by or 'an unknown login'}"
        return f"{who}: {self.reason}" if self.reason else who


@dataclass(frozen=True, slots=True)
class Cancelled:
    """The run was stopped because its cancellation was asked for; recorded through fail, which
    ends the task cancelled (never retried). ``error`` is the text stored ("cancelled by alice:
    why"); ``forced`` when the task ignored the request past the grace period."""

    task_id: TaskId
    error: str
    cancelled_by: str | None
    reason: str | None
    forced: bool = False


Outcome = Completed | Failed | Throttled | Cancelled


@dataclass(frozen=True, slots=True)
class TaskRun:
    """One task run by ``TaskWorker.run_until_idle``, and the state its outcome left it in.

    ``state`` is ``"completed"`` or ``"failed"`` (then ``next_retry_at`` says when the retry is
    due, or is None when the failure is terminal), ``"cancelled"`` when the worker stopped it
    on request (``error`` says who asked and why), or ``"pending"`` when the task raised
    RateLimited and was handed back (``error`` then says for how long), as the database
    recorded it; None when the database refused the outcome because this worker no longer held
    the task (lease lost). ``result`` is the return value as stored (JSON), ``error`` the text
    of a failure.
    """

    task_id: UUID
    name: str
    state: TaskState | None
    result: Any = None
    error: str | None = None
    next_retry_at: datetime | None = None


def clean_error(text: str) -> str:
    """The text with what PostgreSQL text cannot hold (NUL, lone surrogates) shown escaped."""
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            # Left as is, the whole batch of outcomes would fail to encode, again and again.
            text = text.encode(errors="backslashreplace").decode()
    return text


def failed(task_id: TaskId, text: str, *, retryable: bool) -> Failed:
    """A failed attempt with this error text."""
    return Failed(task_id, clean_error(text), retryable)


def failed_with_exception(task_id: TaskId, *, retryable: bool = True) -> Failed:
    """The exception being handled, as a failure carrying its full traceback."""
    return Failed(task_id, clean_error(traceback.format_exc()), retryable)


def throttled(task_id: TaskId, error: RateLimited) -> Throttled:
    """The outcome of a task that raised RateLimited."""
    return Throttled(task_id, error.retry_after, error.scope)


def returned(task_id: TaskId, definition: TaskDefinition[..., Any], value: Any) -> Outcome:
    """The return value as JSON text, or a non-retryable failure saying why it cannot be stored.

    Running the function again would return the same unstorable value, so retrying is useless.
    """
    if value is None:
        return Completed(task_id, "null")  # most tasks return nothing: skip the serializer
    try:
        text = json.dumps(definition.dump_result(value), allow_nan=False, separators=(",", ":"))
    except Exception as error:
        return failed(
            task_id,
            f"ResultNotSerializable: the return value of task {definition.name!r} "
            f"(a {type(value).__name__}) cannot be stored as JSON: {error}",
            retryable=False,
        )
    if "\\u0000" in text:
        return failed(
            task_id,
            f"ResultNotSerializable: the return value of task {definition.name!r} contains a "
            "NUL character, which PostgreSQL jsonb cannot store",
            retryable=False,
        )
    return Completed(task_id, text)


_TIMEOUT_PREFIX = "TimeoutError: task "


def is_timeout(failure: Failed) -> bool:
    """Whether the failure is one that ``timed_out`` made (a traceback starts otherwise)."""
    return failure.error.startswith(_TIMEOUT_PREFIX) and "exceeded its timeout" in failure.error


def timed_out(
    task_id: TaskId, definition: TaskDefinition[..., Any], timeout: float, how: str
) -> Failed:
    """A retryable failure for a task that ran past its timeout."""
    return failed(
        task_id,
        f"{_TIMEOUT_PREFIX}{definition.name!r} exceeded its timeout of {timeout:g} s and was {how}",
        retryable=True,
    )


def cancelled(request: CancelRequest, *, forced: str | None = None) -> Cancelled:
    """The outcome of a run that its cancellation stopped; ``forced`` says how, when the task
    ignored it past the grace period."""
    text = request.describe()
    if forced is not None:
        text = f"{text} ({forced})"
    return Cancelled(
        request.task_id,
        clean_error(text),
        request.cancelled_by,
        request.reason,
        forced=forced is not None,
    )
