"""Cron schedules as Python declares and reads them: ``tasklib.schedule``, definitions, rows.

A declaration (``@task(schedule=...)`` or ``tasklib.schedule(fn, cron=...)``) is recorded in
this process; a worker applies the declarations of its process when it starts (as a login in
``tasklib_admin``; see docs/cron.md), and ``tasklib schedules apply MODULE`` does at deploy
time. ``create_schedule`` on a client writes one to the database at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args
from uuid import UUID

import pydantic
import pydantic_core

from tasklib.cron import Cron
from tasklib.errors import ConfigurationError, InvalidScheduleError
from tasklib.registry import TaskDefinition, registered_tasks

CatchUp = Literal["one", "skip"]
CATCH_UP_POLICIES: tuple[str, ...] = get_args(CatchUp)

_DECLARED: dict[str, ScheduleDefinition] = {}


@dataclass(frozen=True, slots=True)
class ScheduleDefinition:
    """One schedule as ``tasklib.create_schedule`` takes it: checked, arguments as JSON data.

    ``cron`` is normalised (single spaces). Build one with ``define_schedule`` or
    ``tasklib.schedule`` rather than by hand: they check the expression, the time zone and the
    arguments against the task's signature.
    """

    name: str
    task_name: str
    cron: str
    args: Mapping[str, Any] = field(default_factory=dict)
    timezone: str = "UTC"
    catch_up: CatchUp = "one"

    def row(self) -> dict[str, Any]:
        """The definition as a JSON object (the keys of create_schedule's parameters)."""
        return {
            "name": self.name,
            "task_name": self.task_name,
            "cron": self.cron,
            "args": dict(self.args),
            "timezone": self.timezone,
            "catch_up": self.catch_up,
        }

    def same_as_stored(self, stored: Mapping[str, Any]) -> list[str]:
        """The fields in which a stored row (of tasklib.schedules) differs from this one."""
        mine = self.row()
        return [key for key in mine if key != "name" and stored.get(key) != mine[key]]


def define_schedule(
    task: TaskDefinition[..., Any] | str,
    *,
    cron: str,
    name: str | None = None,
    args: Mapping[str, Any] | None = None,
    timezone: str = "UTC",
    catch_up: CatchUp = "one",
) -> ScheduleDefinition:
    """Check a schedule and return its definition (nothing is recorded or sent).

    ``task`` is a ``@task`` (its arguments are validated against the signature) or a task
    name (its arguments must be JSON; the database checks them against the task's registered
    schema). ``name`` defaults to the task's name. InvalidScheduleError names a bad cron
    expression, time zone, catch-up policy or name; TaskValidationError bad arguments.
    """
    parsed = Cron(cron, timezone)
    if catch_up not in CATCH_UP_POLICIES:
        raise InvalidScheduleError(f"catch_up must be 'one' or 'skip', got {catch_up!r}")
    if isinstance(task, TaskDefinition):
        task_name = task.name
        checked = task.validate_args(dict(args or {}))
    elif isinstance(task, str) and task:
        task_name = task
        checked = _json_object(args)
    else:
        raise InvalidScheduleError(f"task must be a @task or a task name, got {task!r}")
    schedule_name = task_name if name is None else name
    if not isinstance(schedule_name, str) or not schedule_name or len(schedule_name) > 255:
        raise InvalidScheduleError(
            f"schedule name must be a non-empty string of at most 255 characters, got {name!r}"
        )
    return ScheduleDefinition(
        name=schedule_name,
        task_name=task_name,
        cron=parsed.expression,
        args=checked,
        timezone=parsed.timezone,
        catch_up=catch_up,
    )


def schedule(
    fn: TaskDefinition[..., Any],
    /,
    *,
    cron: str,
    name: str | None = None,
    args: Mapping[str, Any] | None = None,
    timezone: str = "UTC",
    catch_up: CatchUp = "one",
) -> ScheduleDefinition:
    """Declare that ``fn`` runs with ``args`` at each fire time of ``cron`` in ``timezone``.

    Call it at module level next to the ``@task``, as you would decorate: workers that import
    the module apply the declaration when they start. ``name`` (default: the task's name)
    tells several schedules of one task apart. ``catch_up`` says what a worker that starts
    does with fire times that passed while no worker ran: ``"one"`` runs the latest of them
    once, ``"skip"`` none. Raises at once for a bad expression, time zone or arguments.
    """
    if not isinstance(fn, TaskDefinition):
        raise ConfigurationError(f"tasklib.schedule takes a @task, got {fn!r}")
    definition = define_schedule(
        fn, cron=cron, name=name, args=args, timezone=timezone, catch_up=catch_up
    )
    _declare(definition)
    return definition


def _declare(definition: ScheduleDefinition) -> None:
    existing = _DECLARED.get(definition.name)
    if existing is not None and existing != definition:
        raise ConfigurationError(
            f"schedule {definition.name!r} is declared twice with different definitions: give "
            "each schedule of a task its own name="
        )
    _DECLARED[definition.name] = definition


def declared_schedules() -> list[ScheduleDefinition]:
    """Every schedule this process declares, by name: ``tasklib.schedule`` calls and
    ``@task(schedule=...)`` (named after its task, no arguments, UTC, catch-up ``one``)."""
    found = dict(_DECLARED)
    for task_name, definition in registered_tasks().items():
        cron = definition.options.schedule
        if cron is None:
            continue
        from_task = ScheduleDefinition(name=task_name, task_name=task_name, cron=cron)
        existing = found.get(task_name)
        if existing is not None and existing != from_task:
            raise ConfigurationError(
                f"schedule {task_name!r} is declared by @task(schedule=...) and by "
                "tasklib.schedule with another definition: give the latter its own name="
            )
        found[task_name] = from_task
    return [found[name] for name in sorted(found)]


def _json_object(args: Mapping[str, Any] | None) -> dict[str, Any]:
    if args is None:
        return {}
    if not isinstance(args, Mapping):
        raise InvalidScheduleError(f"args must be a dict, got {type(args).__name__}")
    try:
        loaded: dict[str, Any] = json.loads(pydantic_core.to_json(args))
    except (pydantic_core.PydanticSerializationError, ValueError) as error:
        raise InvalidScheduleError(f"args must be JSON data: {error}") from None
    return loaded


class Schedule(pydantic.BaseModel):
    """One cron schedule as ``tasklib.schedule_status`` shows it."""

    model_config = pydantic.ConfigDict(frozen=True)

    name: str
    task_name: str
    cron: str
    timezone: str
    catch_up: CatchUp
    paused: bool
    # As the workers' schedulers computed it (None until one has, and while paused).
    next_fire_at: datetime | None
    # The latest fire time fired, its task (None if submit refused it) and that task's state.
    last_fire_at: datetime | None
    last_task_id: UUID | None
    last_task_state: str | None
    # Whether submit refused the latest fire's task; last_error says why (None for a reader
    # who may not read tasklib.schedules, e.g. tasklib_monitor, as is args).
    last_fire_refused: bool
    last_error: str | None
    args: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
