"""Task, the row of tasklib.tasks as a pydantic model, and the predicates that read it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypeVar
from uuid import UUID

import pydantic

from tasklib.errors import TaskLibError
from tasklib.registry import TaskDefinition

TaskState = Literal["pending", "running", "completed", "failed", "cancelled"]
R = TypeVar("R")


class Task(pydantic.BaseModel):
    """One task as stored: every column of tasklib.tasks."""

    model_config = pydantic.ConfigDict(frozen=True)

    id: UUID
    name: str
    queue: str
    # What the queue's per-key limits count by (set at submit or taken from the argument the
    # task declares); None: only the queue's own limits apply.
    limit_key: str | None
    # Deduplication key: no two unfinished tasks of one name share it.
    unique_key: str | None
    args: dict[str, Any]
    state: TaskState
    priority: int
    tags: dict[str, Any]
    result: dict[str, Any] | None
    # What the running attempt last reported (tasklib.report_progress), as free JSON.
    progress: Any | None
    error: str | None
    # Every failed attempt, oldest first (the last 25): attempt, worker, started_at, failed_at,
    # error. None until one fails.
    failures: list[dict[str, Any]] | None
    retry_count: int
    # How many times the task was claimed (each claim adds 1, nothing resets it).
    attempt: int
    max_retries: int
    timeout_seconds: float | None
    backoff_base_seconds: float
    backoff_max_seconds: float
    scheduled_at: datetime
    next_retry_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    worker_id: str | None
    # Cancellation (tasklib.cancel): when it was asked for, by which login, and why. A running
    # task with cancel_requested_at set is still running: its worker is stopping it, and it
    # ends cancelled (or completed, if it finished first).
    cancel_requested_at: datetime | None
    cancelled_by: str | None
    cancel_reason: str | None
    # The login that submitted the task (session_user): a producer login sees only its own.
    submitted_by: str
    locked_until: datetime | None
    run_at: datetime | None
    # Finished for good: completed, cancelled, or failed with its retries spent. Read from the
    # database (a generated column), which holds the one definition of that rule.
    terminal: bool

    def result_as(self, definition: TaskDefinition[..., R]) -> R:
        """The stored result parsed into the task function's declared return type.

        For ``async def`` tasks too, this is the awaited type: a pydantic model comes back
        as that model. TaskLibError if the task has not completed.
        """
        if self.result is None:
            raise TaskLibError(f"task {self.id} has no result (state {self.state})")
        try:
            return definition.parse_result(self.result.get("value"))
        except pydantic.ValidationError as error:
            raise TaskLibError(
                f"task {self.id}: its stored result does not parse as the return type of "
                f"{definition.name!r}: {error}"
            ) from None


def is_pending(task: Task) -> bool:
    """Waiting for its first run (or handed back by a stopping worker)."""
    return task.state == "pending"


def is_running(task: Task) -> bool:
    """Claimed by a worker and executing."""
    return task.state == "running"


def is_completed(task: Task) -> bool:
    """Finished successfully; ``task.result`` holds ``{"value": ...}``."""
    return task.state == "completed"


def is_failed(task: Task) -> bool:
    """Its latest attempt failed: waiting for a retry, or permanently (see is_terminal)."""
    return task.state == "failed"


def is_cancelled(task: Task) -> bool:
    """Cancelled: before it ran, or stopped by its worker on request (``cancelled_by`` says
    who, ``cancel_reason`` why)."""
    return task.state == "cancelled"


def has_result(task: Task) -> bool:
    """A result is stored (the task completed)."""
    return task.result is not None


def has_error(task: Task) -> bool:
    """An error (traceback) of a failed attempt is stored."""
    return task.error is not None


def is_terminal(task: Task) -> bool:
    """Will never run again: completed, cancelled, or failed with no retries left."""
    return task.terminal


class TaskFailedError(TaskLibError):
    """The awaited task failed permanently or was cancelled; ``task`` holds its final row."""

    def __init__(self, message: str, task: Task) -> None:
        super().__init__(message)
        self.task = task
