"""What Client and AsyncClient share: checking inputs, building statements, reading rows.

Nothing here does I/O, so the sync and async clients are thin shells around the same code
and cannot drift apart. Ranges of options (priority, delays, retries) are checked by the
database, the one home of those rules; only Python types are checked here.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, get_args
from uuid import UUID

import pydantic_core
from psycopg.adapt import AdaptersMap
from psycopg.types.json import JsonbLoader, JsonLoader

from tasklib.config import Config
from tasklib.db import statements
from tasklib.errors import (
    InvalidArgumentError,
    NotATaskError,
    QueueNotFoundError,
    ScheduleNotFoundError,
    TaskNotFoundError,
    TaskTimeoutError,
)
from tasklib.models import Task, TaskFailedError, TaskState, is_completed
from tasklib.queues import Queue, RateLimit
from tasklib.registry import PreparedTask, TaskDefinition
from tasklib.schedules import CatchUp, Schedule, ScheduleDefinition, define_schedule

R = TypeVar("R")
Row = tuple[Any, ...]

STATES = frozenset(get_args(TaskState))


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement and its parameters, ready for a cursor."""

    query: str
    params: tuple[Any, ...]


class ClientCore:
    """Builds each client call's statement under one Config and parses what comes back."""

    def __init__(self, config: Config) -> None:
        self.config = config

    # -- submit ----------------------------------------------------------------------------

    def submit(
        self,
        fn: object,
        kwargs: dict[str, Any],
        call: Mapping[str, Any],
        *,
        own_connection: bool,
    ) -> Statement:
        """tasklib.submit for one validated call; options nobody set go as NULL.

        ``call`` holds the call's options by name (see registry.CALL_OPTIONS; None: unset).
        """
        definition = definition_of(fn)
        args_json = definition.validate_args_json(kwargs)
        options = self._resolve(definition, call)
        limit_key = options["limit_key"]
        if limit_key is None:
            limit_key = definition.limit_key_from_json(args_json)
        unflushed = self._unflushed(own_connection)
        return Statement(
            statements.SUBMIT_UNFLUSHED if unflushed else statements.SUBMIT,
            (
                definition.name,
                args_json,
                options["delay_seconds"] if options["delay_seconds"] is not None else 0.0,
                options["priority"],
                tags_json(call.get("tags")),
                options["max_retries"],
                options["timeout_seconds"],
                options["queue"],
                options["backoff_base_seconds"],
                limit_key,
                options["unique_key"],
                options["on_conflict"],
                options["unique_for_seconds"],
                options["unique_args"],
                options["traceparent"],
            ),
        )

    def submit_many(
        self,
        tasks: Iterable[PreparedTask[Any]],
        call: Mapping[str, Any],
        *,
        own_connection: bool,
    ) -> Statement | None:
        """tasklib.submit_many for prepared calls (None when there are none).

        ``call`` holds the options given to submit_many, for the calls that do not set their
        own.
        """
        # Most batches repeat one task with the call's options: encode those once per task.
        shared: dict[str, str] = {}
        items: list[str] = []
        for position, prepared in enumerate(tasks):
            if not isinstance(prepared, PreparedTask):
                raise InvalidArgumentError(
                    f"submit_many takes prepared calls (definition.prepare(...)), "
                    f"got {type(prepared).__name__} at position {position}"
                )
            definition = prepared.definition
            has_own = prepared.sets_options()
            encoded = None if has_own else shared.get(definition.name)
            if encoded is None:
                own = prepared.options()
                merged = {
                    name: own[name] if own[name] is not None else call.get(name) for name in own
                }
                merged["traceparent"] = call.get("traceparent")
                encoded = self._many_options(definition, merged)
                if not has_own:
                    shared[definition.name] = encoded
            item = '{"args":' + prepared.args_json + ","
            # A key the task takes from its arguments differs from call to call: not shared.
            if definition.options.limit_key_arg is not None and (
                prepared.limit_key is None and call.get("limit_key") is None
            ):
                derived = definition.limit_key_from_json(prepared.args_json)
                if derived is not None:
                    item += '"limit_key":' + json.dumps(derived) + ","
            items.append(item + encoded)
        if not items:
            return None
        unflushed = self._unflushed(own_connection)
        query = statements.SUBMIT_MANY_UNFLUSHED if unflushed else statements.SUBMIT_MANY
        return Statement(query, ("[" + ",".join(items) + "]",))

    def _unflushed(self, own_connection: bool) -> bool:
        # A caller's connection is the caller's transaction: its durability is theirs to choose.
        return own_connection and not self.config.durable_submits

    def _resolve(
        self, definition: TaskDefinition[..., Any], call: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Each option from the call, else the task, else the Config's override, else None.

        None leaves the option to the database (the task_types row, then task_defaults()),
        which also checks every range; only Python types are checked here.
        """
        task = definition.options
        config = self.config
        return {
            "delay_seconds": _number("delay_seconds", call.get("delay_seconds")),
            "priority": _first_set(
                _integer("priority", call.get("priority")), task.priority, config.priority
            ),
            "max_retries": _first_set(
                _integer("max_retries", call.get("max_retries")),
                task.max_retries,
                config.max_retries,
            ),
            "timeout_seconds": _first_set(
                _number("timeout_seconds", call.get("timeout_seconds")), task.timeout_seconds
            ),
            "queue": _first_set(_text("queue", call.get("queue")), task.queue),
            "backoff_base_seconds": _first_set(
                _number("backoff_base_seconds", call.get("backoff_base_seconds")),
                task.backoff_base_seconds,
                config.backoff_base_seconds,
            ),
            # Only a key given by the call: one taken from the arguments is the caller's to add.
            "limit_key": _text("limit_key", call.get("limit_key")),
            "unique_key": _text("unique_key", call.get("unique_key")),
            "on_conflict": _first_set(
                _text("on_conflict", call.get("on_conflict")), task.on_conflict
            ),
            "unique_for_seconds": _first_set(
                _number("unique_for_seconds", call.get("unique_for_seconds")),
                task.unique_for_seconds,
            ),
            # The task's declaration goes with each submit: the database makes the key from it
            # (one rule for Python and SQL submitters), registered or not.
            "unique_args": list(task.unique_args) if task.unique_args is not None else None,
            # The submitting span's W3C trace context (tracing), when a tracer is set up.
            "traceparent": _text("traceparent", call.get("traceparent")),
        }

    def _many_options(self, definition: TaskDefinition[..., Any], call: Mapping[str, Any]) -> str:
        """One submit_many element's keys after "args", as JSON text without the opening brace."""
        values: dict[str, Any] = {"name": definition.name}
        for key, value in self._resolve(definition, call).items():
            if value is not None:  # absent: the database's default applies
                values[key] = value
        encoded = json.dumps(values, separators=(",", ":"))
        return encoded[1:-1] + ',"tags":' + tags_json(call.get("tags")) + "}"

    # -- inspect and administer ------------------------------------------------------------

    def get(self, task_id: UUID | str) -> tuple[Statement, UUID]:
        task_uuid = as_uuid(task_id)
        return Statement(statements.GET_TASK, (task_uuid,)), task_uuid

    def list(
        self,
        tags: Mapping[str, Any] | None,
        state: TaskState | Sequence[TaskState] | None,
        name: str | TaskDefinition[..., Any] | None,
        queue: str | None,
        limit: int,
        offset: int,
    ) -> Statement:
        states: list[str] = []
        if state is not None:
            states = [state] if isinstance(state, str) else list(state)
            unknown = [s for s in states if s not in STATES]
            if unknown:
                raise InvalidArgumentError(
                    f"unknown state {unknown[0]!r}: expected one of {', '.join(sorted(STATES))}"
                )
        for label, value in (("limit", limit), ("offset", offset)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidArgumentError(f"{label} must be an integer >= 0, got {value!r}")
        names = [name.name if isinstance(name, TaskDefinition) else name] if name else []
        query, params = statements.list_tasks(
            tag_groups=[[tags_json(tags)]] if tags is not None else [],
            states=states,
            names=names,
            queue=queue,
            limit=limit,
            offset=offset,
        )
        return Statement(query, params)

    def cancel(self, task_id: UUID | str, reason: str | None) -> Statement:
        return Statement(statements.CANCEL_TASK, (as_uuid(task_id), _text("reason", reason)))

    def cancel_many(
        self,
        name: str | TaskDefinition[..., Any] | None,
        queue: str | None,
        tags: Mapping[str, Any] | None,
        reason: str | None,
    ) -> Statement:
        """tasklib.cancel_tasks: the database requires a filter (TL002 without one)."""
        task_name = name.name if isinstance(name, TaskDefinition) else _text("name", name)
        return Statement(
            statements.CANCEL_TASKS,
            (
                task_name,
                _text("queue", queue),
                None if tags is None else tags_json(tags),
                _text("reason", reason),
            ),
        )

    def retry(self, task_id: UUID | str, delay_seconds: float) -> Statement:
        delay = _number("delay_seconds", delay_seconds)
        return Statement(statements.RETRY_TASK, (as_uuid(task_id), delay))

    # -- queues ----------------------------------------------------------------------------

    def set_queue_limits(
        self,
        queue: str,
        concurrency: int | None,
        key_concurrency: int | None,
        rate: RateLimit | None,
        key_rate: RateLimit | None,
    ) -> Statement:
        """tasklib.set_queue_limits: every limit of the queue replaced (None: no limit)."""
        return Statement(
            statements.SET_QUEUE_LIMITS,
            (
                _queue_name(queue),
                _integer("concurrency", concurrency),
                _integer("key_concurrency", key_concurrency),
                *_rate_params("rate", rate),
                *_rate_params("key_rate", key_rate),
            ),
        )

    def pause_queue(self, queue: str) -> Statement:
        return Statement(statements.PAUSE_QUEUE, (_queue_name(queue),))

    def resume_queue(self, queue: str) -> Statement:
        return Statement(statements.RESUME_QUEUE, (_queue_name(queue),))

    def suspend_queue(
        self, queue: str, seconds: float | None, until: datetime | None, key: str | None
    ) -> Statement:
        """tasklib.suspend_queue until a time, or for seconds by the database's clock."""
        if (seconds is None) == (until is None):
            raise InvalidArgumentError("suspend_queue takes either seconds or until, not both")
        if until is not None and (not isinstance(until, datetime) or until.tzinfo is None):
            raise InvalidArgumentError(
                f"until must be a timezone-aware datetime, got {until!r}: a naive one would "
                "be read in the database session's time zone"
            )
        return Statement(
            statements.SUSPEND_QUEUE,
            (_queue_name(queue), until, _number("seconds", seconds), _text("key", key)),
        )

    def get_queue(self, queue: str) -> Statement:
        return Statement(statements.GET_QUEUE, (_queue_name(queue),))

    def list_queues(self) -> Statement:
        return Statement(statements.LIST_QUEUES, ())

    # -- cron schedules --------------------------------------------------------------------

    def create_schedule(
        self,
        task: TaskDefinition[..., Any] | str,
        cron: str,
        name: str | None,
        args: Mapping[str, Any] | None,
        timezone: str,
        catch_up: CatchUp,
    ) -> Statement:
        """tasklib.create_schedule for a definition checked here (expression, zone, args)."""
        definition = define_schedule(
            task, cron=cron, name=name, args=args, timezone=timezone, catch_up=catch_up
        )
        return Statement(
            statements.CREATE_SCHEDULE,
            (
                definition.name,
                definition.task_name,
                definition.cron,
                json.dumps(dict(definition.args)),
                definition.timezone,
                definition.catch_up,
            ),
        )

    def apply_schedules(self, definitions: Iterable[ScheduleDefinition]) -> Statement | None:
        """tasklib.create_schedule for each definition, in one statement (None: no definition)."""
        rows = [definition.row() for definition in definitions]
        if not rows:
            return None
        return Statement(statements.APPLY_SCHEDULES, (json.dumps(rows),))

    def get_schedule(self, name: str) -> Statement:
        return Statement(statements.GET_SCHEDULE, (_schedule_name(name),))

    def list_schedules(self) -> Statement:
        return Statement(statements.LIST_SCHEDULES, ())

    def pause_schedule(self, name: str) -> Statement:
        return Statement(statements.PAUSE_SCHEDULE, (_schedule_name(name),))

    def resume_schedule(self, name: str) -> Statement:
        return Statement(statements.RESUME_SCHEDULE, (_schedule_name(name),))

    def remove_schedule(self, name: str) -> Statement:
        return Statement(statements.REMOVE_SCHEDULE, (_schedule_name(name),))


# -- rows -----------------------------------------------------------------------------------------


def default_json_loaders(adapters: AdaptersMap) -> None:
    """Load json and jsonb as Python values in one cursor, whatever its connection registered.

    Django's PostgreSQL backend loads them as text on its connections (its JSONField decodes
    them itself), which TaskLib's rows, read on a caller's connection, must not inherit.
    """
    adapters.register_loader("jsonb", JsonbLoader)
    adapters.register_loader("json", JsonLoader)


def task_from_row(row: Row) -> Task:
    """A row of the task columns (statements.TASK_COLUMNS, in order) as a Task."""
    return Task.model_validate(dict(zip(statements.TASK_COLUMNS, row, strict=True)))


def task_or_not_found(row: Row | None, task_id: UUID) -> Task:
    if row is None:
        raise TaskNotFoundError(f"task {task_id} not found")
    return task_from_row(row)


def queue_from_row(row: Row) -> Queue:
    """A row of the queue columns (statements.QUEUE_COLUMNS, in order) as a Queue."""
    return Queue.model_validate(dict(zip(statements.QUEUE_COLUMNS, row, strict=True)))


def queue_or_not_found(row: Row | None, queue: str) -> Queue:
    if row is None:
        raise QueueNotFoundError(f"queue {queue!r} not found")
    return queue_from_row(row)


def schedule_from_row(row: Row) -> Schedule:
    """A row of the schedule columns (statements.SCHEDULE_COLUMNS, in order) as a Schedule."""
    return Schedule.model_validate(dict(zip(statements.SCHEDULE_COLUMNS, row, strict=True)))


def schedule_or_not_found(row: Row | None, name: str) -> Schedule:
    if row is None:
        raise ScheduleNotFoundError(f"schedule {name!r} not found")
    return schedule_from_row(row)


def changed_schedule(row: Row | None, name: str) -> str:
    """The name a schedule function returned, or ScheduleNotFoundError (it returned no row)."""
    if row is None or row[0] is None or row[0] is False:
        raise ScheduleNotFoundError(f"schedule {name!r} not found")
    return name if row[0] is True else str(row[0])


def required(row: Row | None) -> Row:
    if row is None:  # the SQL functions return a row or raise
        raise TaskNotFoundError("the database returned no task")
    return row


def first_value(row: Row | None) -> Any:
    return required(row)[0]


def status_from_rows(rows: Iterable[Row]) -> dict[str, Any]:
    """statements.STATUS rows as {"overall": counts, "by_name": [{"name": ..., **counts}]}."""
    overall = dict.fromkeys(statements.STATUS_COUNTS, 0)
    by_name: list[dict[str, Any]] = []
    for name, *values in rows:
        counts = {
            column: int(value or 0)
            for column, value in zip(statements.STATUS_COUNTS, values, strict=True)
        }
        if name is None:
            overall = counts
        else:
            by_name.append({"name": name, **counts})
    return {"overall": overall, "by_name": by_name}


def result_of(definition: TaskDefinition[..., R], task: Task) -> R:
    """A finished task's result as ``definition``'s return type, or TaskFailedError."""
    if task.name != definition.name:
        raise InvalidArgumentError(
            f"task {task.id} runs {task.name!r}, not {definition.name!r}: its result has "
            "another type"
        )
    if not is_completed(task):
        reason = (task.error or "").strip().splitlines()
        detail = f": {reason[-1]}" if reason else ""
        state = "was cancelled" if task.state == "cancelled" else "failed permanently"
        raise TaskFailedError(f"task {task.id} ({task.name}) {state}{detail}", task)
    return task.result_as(definition)


# -- checks of Python types (ranges are the database's) ------------------------------------------


def definition_of(fn: object) -> TaskDefinition[..., Any]:
    if isinstance(fn, TaskDefinition):
        return fn
    name = getattr(fn, "__qualname__", None) or repr(fn)
    raise NotATaskError(
        f"{name} is not a task: decorate it with @tasklib.task before submitting it"
    )


def _number(option: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError(
            f"{option} must be a number of seconds, got {type(value).__name__}"
        )
    return float(value)


def _integer(option: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{option} must be an integer, got {type(value).__name__}")
    return value


def _text(option: str, value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InvalidArgumentError(f"{option} must be a string, got {type(value).__name__}")


def _queue_name(queue: object) -> str:
    if isinstance(queue, str):
        return queue
    raise InvalidArgumentError(f"queue must be a string, got {type(queue).__name__}")


def _rate_params(option: str, rate: RateLimit | None) -> tuple[Any, Any, Any]:
    """(limit, period, burst) of a rate limit; all NULL for none."""
    if rate is None:
        return (None, None, None)
    if not isinstance(rate, RateLimit):
        raise InvalidArgumentError(
            f"{option} must be a RateLimit(limit, per_seconds, burst), got {type(rate).__name__}"
        )
    return (
        _integer(f"{option}.limit", rate.limit),
        _number(f"{option}.per_seconds", rate.per_seconds),
        _integer(f"{option}.burst", rate.burst),
    )


def _schedule_name(name: object) -> str:
    if not isinstance(name, str):
        raise InvalidArgumentError(f"schedule name must be a string, got {type(name).__name__}")
    return name


def tags_json(tags: Mapping[str, Any] | None) -> str:
    if tags is None:
        return "{}"
    if not isinstance(tags, Mapping):
        raise InvalidArgumentError(f"tags must be a dict, got {type(tags).__name__}")
    problem = _unstorable_json(tags)
    if problem is not None:
        raise InvalidArgumentError(f"tags {problem}")
    try:
        return pydantic_core.to_json(tags).decode()
    except pydantic_core.PydanticSerializationError as error:
        raise InvalidArgumentError(f"tags must be JSON-serializable: {error}") from None


def _unstorable_json(value: object) -> str | None:
    """Why jsonb would refuse ``value`` (a NUL character, NaN or Infinity), or None."""
    found_nul = found_non_finite = False
    pending: list[object] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found_nul = found_nul or "\x00" in item
        elif isinstance(item, float):
            found_non_finite = found_non_finite or not math.isfinite(item)
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    if found_nul:
        return "contain a NUL character (\\u0000), which PostgreSQL's jsonb cannot store"
    if found_non_finite:
        return "contain NaN or Infinity, which JSON cannot represent"
    return None


def as_uuid(task_id: UUID | str) -> UUID:
    if isinstance(task_id, UUID):
        return task_id
    try:
        return UUID(str(task_id))
    except ValueError:
        raise InvalidArgumentError(f"task id must be a UUID, got {task_id!r}") from None


def deadline(timeout: float | None) -> float | None:
    """The monotonic time a wait of ``timeout`` seconds ends (None: never)."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or math.isnan(timeout):
        raise InvalidArgumentError(f"timeout must be a number of seconds, got {timeout!r}")
    return time.monotonic() + max(0.0, float(timeout))


def remaining(end: float | None, task_id: UUID, timeout: float | None) -> float | None:
    """Seconds left before ``end``, or TaskTimeoutError once it has passed."""
    if end is None:
        return None
    left = end - time.monotonic()
    if left <= 0:
        raise TaskTimeoutError(f"task {task_id} did not finish within {timeout} seconds")
    return left


def _first_set(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)
