"""The TaskLib exception hierarchy and the mapping from SQLSTATEs raised by the SQL API."""

from __future__ import annotations

import math
from typing import Any, Literal
from uuid import UUID

import psycopg


class TaskLibError(Exception):
    """Base class of every error TaskLib raises on purpose."""


class ConfigurationError(TaskLibError):
    """The configuration is missing or malformed (database URL, pool sizes, options)."""


class SchemaMissingError(ConfigurationError):
    """The tasklib schema (or one of its functions) is absent: the database was never migrated,
    or is older than this package. Run ``tasklib migrate``."""


class DatabaseUnavailableError(TaskLibError):
    """PostgreSQL could not be reached or the connection was lost."""


class NotATaskError(TaskLibError):
    """A function that was not decorated with ``@task`` was submitted."""


class TaskValidationError(TaskLibError):
    """Arguments do not match the task's signature. ``errors`` lists each problem by field."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors: list[dict[str, Any]] = errors or []


class InvalidArgumentError(TaskLibError):
    """An option passed to TaskLib (priority, delay, tags, ...) is out of range (SQLSTATE TL002)."""


class UnknownTaskError(TaskLibError):
    """No task of that name is registered (SQLSTATE TL001)."""


class TaskNotFoundError(TaskLibError):
    """No task has that id (SQLSTATE TL003)."""


class InvalidStateError(TaskLibError):
    """The task's state does not allow the operation, e.g. cancelling a running task (TL004)."""


class ArgumentSchemaError(TaskValidationError):
    """A SQL submission's arguments break the task's registered JSON Schema (TL005)."""


class TaskTypeConflictError(TaskLibError):
    """A task type is registered with another definition (options or argument schema), and only
    a login in ``tasklib_admin`` may change it, e.g. with ``tasklib register`` (TL006)."""


class DuplicateTaskError(TaskLibError):
    """Another task holds the unique key, and the submit asked to raise rather than return its
    id (``on_conflict="raise"``), or to replace a holder that has already started (TL007).
    ``holder_id`` is the holding task's id when the database named it."""

    def __init__(self, message: str, holder_id: UUID | None = None) -> None:
        super().__init__(message)
        self.holder_id = holder_id


class TaskTimeoutError(TaskLibError):
    """Waiting for a task's result took longer than the timeout given."""


class QueueNotFoundError(TaskLibError):
    """No queue has that name: no task was ever submitted to it and no limit set on it."""


RateLimitScope = Literal["key", "queue"]


class RateLimited(TaskLibError):
    """Raised by a task that the outside world turned away (e.g. an HTTP 429 with Retry-After).

    The worker hands the task back to pending, due in ``retry_after`` seconds, without spending
    one of its retries, and suspends until then its limit key (``scope="key"``, the default for
    a task that has a key) or its whole queue (``scope="queue"``, the default without a key),
    so that no other worker wastes a call meanwhile.
    """

    def __init__(self, retry_after: float, scope: RateLimitScope | None = None) -> None:
        if (
            isinstance(retry_after, bool)
            or not isinstance(retry_after, int | float)
            or not math.isfinite(retry_after)
            or retry_after < 0
        ):
            raise ValueError(f"retry_after must be a finite number >= 0, got {retry_after!r}")
        if scope not in (None, "key", "queue"):
            raise ValueError(f"scope must be 'key', 'queue' or None, got {scope!r}")
        scoped = "" if scope is None else f", scope {scope}"
        super().__init__(f"rate limited: retry after {retry_after:g} s{scoped}")
        self.retry_after = float(retry_after)
        self.scope: RateLimitScope | None = scope

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its own arguments (the default would pass the message as retry_after).
        return (type(self), (self.retry_after, self.scope))


class InvalidScheduleError(InvalidArgumentError):
    """A cron schedule's expression, time zone or catch-up policy cannot be used; the message
    names the problem (e.g. ``cron must have 5 fields ..., got 4``)."""


class ScheduleNotFoundError(TaskLibError):
    """No cron schedule has that name."""


class TaskCancelled(BaseException):
    """Raised inside a sync task that its worker is stopping: its cancellation was asked for.

    In a task that runs in a thread it is raised at the next Python instruction (a call blocked
    in C, such as ``time.sleep`` or a socket read, returns first); in a task that runs in a
    child process (one with a timeout) it is raised by SIGTERM's handler, at once. Async tasks
    get ``asyncio.CancelledError`` instead. A ``BaseException``, like ``CancelledError`` and
    ``KeyboardInterrupt``, so that ``except Exception`` does not swallow it: catch it to clean
    up, then let it go on. The run ends ``cancelled`` whatever the task does after it.
    """


SQLSTATE_ERRORS: dict[str, type[TaskLibError]] = {
    "TL001": UnknownTaskError,
    "TL002": InvalidArgumentError,
    "TL003": TaskNotFoundError,
    "TL004": InvalidStateError,
    "TL005": ArgumentSchemaError,
    "TL006": TaskTypeConflictError,
    "TL007": DuplicateTaskError,
}


# Undefined schema, table or function: the tasklib schema is absent or older than this package.
_SCHEMA_MISSING = frozenset({"3F000", "42P01", "42883"})


def is_schema_missing(error: BaseException) -> bool:
    """Whether a psycopg error says the tasklib schema is absent or outdated."""
    return isinstance(error, psycopg.Error) and (error.sqlstate or "") in _SCHEMA_MISSING


def translate(error: psycopg.Error) -> TaskLibError:
    """Return the TaskLib error for a psycopg error, keeping the server's message.

    Every error maps to a TaskLibError subclass: the TL SQLSTATEs to their classes, a
    missing schema to SchemaMissingError, connection trouble to DatabaseUnavailableError,
    bad data and constraint violations to InvalidArgumentError, anything else to TaskLibError.
    """
    sqlstate = error.sqlstate or ""
    message = error.diag.message_primary or str(error)
    error_class = SQLSTATE_ERRORS.get(sqlstate)
    if error_class is DuplicateTaskError:
        holder_detail = error.diag.message_detail or ""
        holder = (
            holder_detail.removeprefix("holder: ") if holder_detail.startswith("holder: ") else None
        )
        return DuplicateTaskError(message, UUID(holder) if holder else None)
    if error_class is not None:
        return error_class(message)
    if sqlstate in _SCHEMA_MISSING:
        return SchemaMissingError(
            f"{message}: is the tasklib schema installed and up to date in this database? "
            "Run `tasklib migrate`"
        )
    if sqlstate == "54001":
        # PostgreSQL's JSON parser gives up on very deep nesting before any TaskLib check runs.
        return InvalidArgumentError(
            f"{message}: JSON nested too deeply (TaskLib accepts at most 64 levels, see "
            "tasklib.limits())"
        )
    if isinstance(error, psycopg.OperationalError):
        return DatabaseUnavailableError(f"database unavailable: {message}")
    if isinstance(error, psycopg.errors.DataError | psycopg.errors.IntegrityError):
        detail = error.diag.message_detail
        if sqlstate == "22P05" and detail and "\\u0000" in detail:
            # The server only says "unsupported Unicode escape sequence".
            return InvalidArgumentError(
                "a JSON string contains a NUL character (\\u0000), which PostgreSQL cannot "
                "store in jsonb: remove it or encode the value (e.g. base64)"
            )
        # The detail names the offending token or value ("Token "NaN" is invalid.").
        return InvalidArgumentError(f"{message}: {detail}" if detail else message)
    return TaskLibError(f"database error {sqlstate}: {message}")


def first_line(error: BaseException) -> str:
    """The first line of an error's text (libpq messages run over several), or its type."""
    text = str(error).strip()
    return text.splitlines()[0].strip() if text else type(error).__name__
