"""@task: turns a function into a TaskDefinition and records it by its stable name."""

from __future__ import annotations

import dataclasses
import decimal
import inspect
import json
import sys
import typing
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Literal, ParamSpec, TypeVar, overload

import pydantic
import pydantic_core

from tasklib.cron import Cron
from tasklib.errors import ConfigurationError, InvalidArgumentError, TaskValidationError

P = ParamSpec("P")
R = TypeVar("R")

_REGISTRY: dict[str, TaskDefinition[..., Any]] = {}

# The options one call may set, as submit_task and prepare take them: keywords beside the task's
# own arguments. A task parameter with one of these names (or "connection") could never be
# passed, so @task refuses it: better than a surprise at submit time.
CALL_OPTIONS = (
    "delay_seconds",
    "priority",
    "tags",
    "max_retries",
    "queue",
    "timeout_seconds",
    "backoff_base_seconds",
    "limit_key",
    "unique_key",
    "on_conflict",
    "unique_for_seconds",
)
RESERVED_PARAMETERS = frozenset({*CALL_OPTIONS, "connection"})

# What a submit does when another unfinished task holds its unique key (tasklib.submit's
# on_conflict): return the holder's id, raise DuplicateTaskError, or replace a pending holder.
OnConflict = Literal["return", "raise", "replace"]


@dataclass(frozen=True, slots=True)
class TaskOptions:
    """Options a ``@task`` sets; None leaves the option to the database's defaults.

    Their ranges are checked in one place, the database (tasklib.submit and
    tasklib.register_task_type), which names a bad value with InvalidArgumentError.
    """

    max_retries: int | None = None
    timeout_seconds: float | None = None
    backoff_base_seconds: float | None = None
    priority: int | None = None
    queue: str | None = None
    # The parameter whose value is each task's limit key (the queue's per-key limits count by
    # it) when the submitter gives none.
    limit_key_arg: str | None = None
    # Deduplication: the parameters whose values make a task's unique key when the submitter
    # gives none, how long a key stays taken after a submit (None: while the task is
    # unfinished), and what a conflicting submit does (None: the database's "return").
    unique_args: tuple[str, ...] | None = None
    unique_for_seconds: float | None = None
    on_conflict: OnConflict | None = None
    # How long purge keeps this task's finished rows (None: as long as purge is told).
    result_ttl_seconds: float | None = None
    # A cron expression (normalised): the task also runs on this schedule (tasklib.schedules).
    schedule: str | None = None


class TaskDefinition(Generic[P, R]):
    """A registered task: the function, its stable name, options and argument model.

    ``R`` is the value the task produces, the awaited value for an ``async def``, so
    ``Task.result_as(definition)`` and ``wait_for_result`` are typed alike for both kinds.
    ``@task`` returns a SyncTaskDefinition or an AsyncTaskDefinition; calling either calls
    the function directly, so decorated functions stay usable in tests.
    """

    def __init__(self, fn: Callable[P, Any], name: str, options: TaskOptions) -> None:
        self.fn = fn
        self.name = name
        self.options = options
        self.is_async = inspect.iscoroutinefunction(fn)
        self._signature = inspect.signature(fn)
        self.args_model = _build_args_model(fn, name)
        _check_limit_key_arg(self._signature, name, options.limit_key_arg)
        for arg in options.unique_args or ():
            _check_parameter(self._signature, name, "unique", arg)
        self._param_names: dict[str, str] = {
            field_name: info.alias or field_name
            for field_name, info in self.args_model.model_fields.items()
        }
        hints = typing.get_type_hints(fn, include_extras=True)
        return_type: Any = hints.get("return", Any)
        if self.is_async and typing.get_origin(return_type) in (Awaitable, Coroutine):
            return_type = typing.get_args(return_type)[-1]
        self.result_adapter: pydantic.TypeAdapter[R] = pydantic.TypeAdapter(return_type)
        self.__doc__ = fn.__doc__
        self.__name__ = getattr(fn, "__name__", name)
        self.__qualname__ = getattr(fn, "__qualname__", name)
        self.__module__ = fn.__module__
        self.__wrapped__ = fn

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Any:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<TaskDefinition {self.name!r}>"

    def validate_args(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Check keyword arguments against the signature; return them as JSON-ready values."""
        dumped: dict[str, Any] = self._validate(kwargs).model_dump(mode="json", by_alias=True)
        return dumped

    def validate_args_json(self, kwargs: dict[str, Any]) -> str:
        """Check keyword arguments against the signature; return them as a JSON object text.

        The submit path uses this: pydantic writes the JSON in one step, without building
        the intermediate dict that ``validate_args`` returns.
        """
        if not kwargs and not self._param_names:
            return "{}"  # a task without parameters called without arguments: nothing to check
        model = self._validate(kwargs)
        try:
            return model.model_dump_json(by_alias=True)
        except pydantic_core.PydanticSerializationError as error:
            # E.g. a lone surrogate in a str: valid Python, not encodable as UTF-8 JSON.
            raise TaskValidationError(
                f"arguments of task {self.name!r} cannot be stored as JSON: {error}"
            ) from None

    def _validate(self, kwargs: dict[str, Any]) -> pydantic.BaseModel:
        # One rule for Python and SQL submitters: arguments are checked as the JSON they are
        # stored as, strictly, as tasklib.submit checks a SQL caller's JSON. "5" is not an int
        # (no silent coercion), while a UUID, datetime or enum may be given as an object or as
        # its JSON text, since JSON has no other form for them.
        try:
            as_json = pydantic_core.to_json(kwargs, inf_nan_mode="constants")
        except pydantic_core.PydanticSerializationError as error:
            # E.g. a lone surrogate in a str: valid Python, not encodable as UTF-8 JSON.
            raise TaskValidationError(
                f"arguments of task {self.name!r} cannot be stored as JSON: {error}"
            ) from None
        try:
            return self.args_model.model_validate_json(as_json, strict=True)
        except pydantic.ValidationError as error:
            raise _validation_error(self.name, error) from None

    def prepare(self, *args: P.args, **kwargs: P.kwargs) -> PreparedTask[R]:
        """Validate one call's arguments now, for ``submit_many`` to queue later.

        The call's options (``delay_seconds``, ``priority``, ``tags``, ``max_retries``,
        ``queue``, ``timeout_seconds``, ``backoff_base_seconds``, ``limit_key``) may be given
        here as keywords too, or later with ``with_options`` (which type checkers can follow).

        Positional arguments are bound to their parameter names, so
        ``resize.prepare("a.png", 64)`` and ``resize.prepare(path="a.png", size=64)`` agree.
        """
        options: dict[str, Any] = {
            name: kwargs.pop(name) for name in CALL_OPTIONS if name in kwargs
        }
        if not args:  # the common case, and the fast one: pydantic checks the names
            return PreparedTask(self, self.validate_args_json(kwargs), **options)
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TaskValidationError(
                f"invalid arguments for task {self.name!r}: {error}"
            ) from None
        arguments = dict(bound.arguments)
        for param_name, param in self._signature.parameters.items():
            if param.kind is inspect.Parameter.VAR_KEYWORD and param_name in arguments:
                arguments.update(arguments.pop(param_name))
        return PreparedTask(self, self.validate_args_json(arguments), **options)

    def limit_key_from_json(self, args_json: str) -> str | None:
        """The limit key the task declares (``@task(limit_key=...)``) from validated arguments.

        The argument's JSON value as text, as PostgreSQL's ``args ->> limit_key_arg`` reads it,
        so that a task submitted from Python gets the key a SQL submission of the same
        arguments gets; None when the task declares no key argument or its value is null.
        """
        arg = self.options.limit_key_arg
        if arg is None:
            return None
        # Decimal keeps a number's digits as written, which ->> prints as numeric does.
        value = json.loads(args_json, parse_float=decimal.Decimal).get(arg)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, decimal.Decimal):
            # numeric has no negative zero and no exponent notation.
            return format(abs(value) if value.is_zero() else value, "f")
        raise InvalidArgumentError(
            f"task {self.name!r} takes its limit key from argument {arg!r}, which holds a "
            f"{'list' if isinstance(value, list) else 'dict'}: a limit key is a string, "
            "number or boolean"
        )

    def rebuild_args(self, stored: dict[str, Any]) -> dict[str, Any]:
        """Turn stored JSON arguments back into the declared Python types, ready for a call."""
        if not stored and not self._param_names:
            return {}  # the worker's per-task path: skip pydantic when there is nothing to build
        try:
            # Stored JSON holds datetimes, UUIDs, decimals and enums as text: read them back
            # leniently (the strict rule applies to what is submitted).
            model = self.args_model.model_validate(stored, strict=False)
        except pydantic.ValidationError as error:
            raise _validation_error(self.name, error) from None
        return self._call_arguments(model)

    def rebuild_args_json(self, stored: str) -> dict[str, Any]:
        """``rebuild_args`` from the stored JSON text: pydantic parses and converts in one pass."""
        if stored == "{}" and not self._param_names:
            return {}  # the worker's per-task path: nothing to parse, nothing to build
        try:
            model = self.args_model.model_validate_json(stored, strict=False)
        except pydantic.ValidationError as error:
            raise _validation_error(self.name, error) from None
        return self._call_arguments(model)

    def _call_arguments(self, model: pydantic.BaseModel) -> dict[str, Any]:
        values = {
            self._param_names[field_name]: getattr(model, field_name)
            for field_name in self.args_model.model_fields
        }
        if model.model_extra:
            values.update(model.model_extra)
        return values

    def dump_result(self, value: Any) -> Any:
        """Return the task's return value as JSON-ready data."""
        return self.result_adapter.dump_python(value, mode="json")

    def parse_result(self, stored_value: Any) -> R:
        """Return a stored result value as the function's declared return type."""
        return self.result_adapter.validate_python(stored_value)

    def args_json_schema(self) -> dict[str, Any]:
        """The JSON Schema of the arguments, as recorded in tasklib.task_types."""
        return self.args_model.model_json_schema(by_alias=True)


class SyncTaskDefinition(TaskDefinition[P, R]):
    """A task whose function is a plain ``def``; calling it returns the function's value."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        result: R = self.fn(*args, **kwargs)
        return result


class AsyncTaskDefinition(TaskDefinition[P, R]):
    """A task whose function is an ``async def``; calling it returns the coroutine."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, R]:
        coroutine: Coroutine[Any, Any, R] = self.fn(*args, **kwargs)
        return coroutine


@dataclass(frozen=True, slots=True)
class PreparedTask(Generic[R]):
    """One validated call of a task, with its own options, waiting to be queued by submit_many.

    Options left None take the values given to ``submit_many``, then the task's, then the
    database's defaults. Build one with ``definition.prepare(...)`` (which also takes the
    options as keywords), adjust with ``with_options``.
    """

    definition: TaskDefinition[..., R]
    args_json: str
    delay_seconds: float | None = None
    priority: int | None = None
    tags: Mapping[str, Any] | None = None
    max_retries: int | None = None
    queue: str | None = None
    timeout_seconds: float | None = None
    backoff_base_seconds: float | None = None
    limit_key: str | None = None
    unique_key: str | None = None
    on_conflict: OnConflict | None = None
    unique_for_seconds: float | None = None

    def with_options(
        self,
        *,
        delay_seconds: float | None = None,
        priority: int | None = None,
        tags: Mapping[str, Any] | None = None,
        max_retries: int | None = None,
        queue: str | None = None,
        timeout_seconds: float | None = None,
        backoff_base_seconds: float | None = None,
        limit_key: str | None = None,
        unique_key: str | None = None,
        on_conflict: OnConflict | None = None,
        unique_for_seconds: float | None = None,
    ) -> PreparedTask[R]:
        """A copy with the given options set (the others kept)."""
        return dataclasses.replace(
            self,
            delay_seconds=_first(delay_seconds, self.delay_seconds),
            priority=_first(priority, self.priority),
            tags=_first(tags, self.tags),
            max_retries=_first(max_retries, self.max_retries),
            queue=_first(queue, self.queue),
            timeout_seconds=_first(timeout_seconds, self.timeout_seconds),
            backoff_base_seconds=_first(backoff_base_seconds, self.backoff_base_seconds),
            limit_key=_first(limit_key, self.limit_key),
            unique_key=_first(unique_key, self.unique_key),
            on_conflict=_first(on_conflict, self.on_conflict),
            unique_for_seconds=_first(unique_for_seconds, self.unique_for_seconds),
        )

    def sets_options(self) -> bool:
        """Whether this call sets any option of its own (the common bulk case sets none)."""
        return not (
            self.delay_seconds is None
            and self.priority is None
            and self.tags is None
            and self.max_retries is None
            and self.queue is None
            and self.timeout_seconds is None
            and self.backoff_base_seconds is None
            and self.limit_key is None
            and self.unique_key is None
            and self.on_conflict is None
            and self.unique_for_seconds is None
        )

    def options(self) -> dict[str, Any]:
        """The options this call sets (None: not set)."""
        return {name: getattr(self, name) for name in CALL_OPTIONS}


T = TypeVar("T")


def _first(given: T | None, kept: T | None) -> T | None:
    return kept if given is None else given


def _check_runs_without_arguments(definition: TaskDefinition[..., Any]) -> None:
    try:
        definition.validate_args({})
    except TaskValidationError as error:
        raise ConfigurationError(
            f"task {definition.name!r} has schedule= but needs arguments ({error}): declare the "
            "schedule with tasklib.schedule(fn, cron=..., args={...}) instead"
        ) from None


def _validation_error(task_name: str, error: pydantic.ValidationError) -> TaskValidationError:
    problems = error.errors(include_url=False, include_context=False, include_input=False)
    described = "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or '(arguments)'}: {problem['msg']}"
        for problem in problems
    )
    details: list[dict[str, Any]] = [dict(problem) for problem in problems]
    return TaskValidationError(f"invalid arguments for task {task_name!r}: {described}", details)


def _build_args_model(fn: Callable[..., Any], task_name: str) -> type[pydantic.BaseModel]:
    # Fields get neutral internal names and the parameter name as alias, so that parameters
    # called e.g. "json" or "model_config" cannot collide with BaseModel's own attributes.
    signature = inspect.signature(fn)
    hints = typing.get_type_hints(fn, include_extras=True)
    fields: dict[str, Any] = {}
    allow_extra = False
    for index, (param_name, param) in enumerate(signature.parameters.items()):
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            allow_extra = True
            continue
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.POSITIONAL_ONLY):
            raise ConfigurationError(
                f"task {task_name!r}: parameter {param_name!r} is positional-only or *args; "
                "task arguments are passed by keyword"
            )
        if param_name in RESERVED_PARAMETERS:
            raise ConfigurationError(
                f"task {task_name!r}: parameter {param_name!r} has the name of a submit_task "
                f"option ({', '.join(sorted(RESERVED_PARAMETERS))}); rename the parameter"
            )
        annotation = hints.get(param_name, Any)
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[f"arg_{index}"] = (annotation, pydantic.Field(default, alias=param_name))
    config = pydantic.ConfigDict(
        extra="allow" if allow_extra else "forbid",
        populate_by_name=False,
        arbitrary_types_allowed=False,
        # JSON has no NaN or Infinity: stored, they would silently become null.
        allow_inf_nan=False,
    )
    model_name = f"{getattr(fn, '__name__', 'task')}_args"
    try:
        model: type[pydantic.BaseModel] = pydantic.create_model(
            model_name, __config__=config, **fields
        )
    except (pydantic.PydanticSchemaGenerationError, TypeError) as error:
        raise ConfigurationError(
            f"task {task_name!r}: its parameter types cannot be stored as JSON: {error}"
        ) from None
    return model


def _unique_args(unique: Sequence[str] | None) -> tuple[str, ...] | None:
    if unique is None:
        return None
    if isinstance(unique, str):
        raise ConfigurationError(
            f"unique takes a list of parameter names, not a string: {unique!r}"
        )
    if not unique:
        raise ConfigurationError("unique needs at least one parameter name")
    return tuple(unique)


def _check_parameter(
    signature: inspect.Signature, task_name: str, option: str, parameter: str
) -> None:
    named = [
        param_name
        for param_name, param in signature.parameters.items()
        if param.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    ]
    if not isinstance(parameter, str) or parameter not in named:
        raise ConfigurationError(
            f"task {task_name!r}: {option} names {parameter!r}, which is not one of its "
            f"parameters ({', '.join(named) or 'it has none'})"
        )


def _check_limit_key_arg(
    signature: inspect.Signature, task_name: str, limit_key_arg: str | None
) -> None:
    if limit_key_arg is None:
        return
    named = [
        param_name
        for param_name, param in signature.parameters.items()
        if param.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    ]
    if not isinstance(limit_key_arg, str) or limit_key_arg not in named:
        raise ConfigurationError(
            f"task {task_name!r}: limit_key={limit_key_arg!r} must name one of its parameters "
            f"({', '.join(named) or 'it has none'}): that argument's value is each task's "
            "limit key"
        )


def default_task_name(fn: Callable[..., Any]) -> str:
    """module.qualname, with the real module name when the function lives in __main__."""
    module = fn.__module__
    if module == "__main__":
        main = sys.modules.get("__main__")
        spec = getattr(main, "__spec__", None)
        if spec is not None and spec.name:
            module = spec.name.removesuffix(".__main__")
        elif main is not None and getattr(main, "__file__", None):
            module = Path(str(main.__file__)).stem
    return f"{module}.{fn.__qualname__}"


def register(definition: TaskDefinition[..., Any]) -> None:
    """Record a definition by name; the same function may register again (module reloads)."""
    existing = _REGISTRY.get(definition.name)
    if existing is not None and (
        existing.fn.__qualname__ != definition.fn.__qualname__
        or _source_module(existing) != _source_module(definition)
    ):
        raise ConfigurationError(
            f"task name {definition.name!r} is already registered by "
            f"{existing.fn.__module__}.{existing.fn.__qualname__}"
        )
    _REGISTRY[definition.name] = definition


def _source_module(definition: TaskDefinition[..., Any]) -> str:
    return default_task_name(definition.fn).rsplit(".", 1)[0]


def get_definition(name: str) -> TaskDefinition[..., Any] | None:
    """The definition registered under name, if any."""
    return _REGISTRY.get(name)


def registered_tasks() -> dict[str, TaskDefinition[..., Any]]:
    """A copy of the registry: name -> definition."""
    return dict(_REGISTRY)


class _Decorator(typing.Protocol):
    """What ``@task(...)`` with options returns: the decorator proper."""

    # An async function matches both overloads; the first wins, which is the point.
    @overload
    def __call__(  # type: ignore[overload-overlap]
        self, fn: Callable[P, Coroutine[Any, Any, R]], /
    ) -> AsyncTaskDefinition[P, R]: ...

    @overload
    def __call__(self, fn: Callable[P, R], /) -> SyncTaskDefinition[P, R]: ...

    def __call__(self, fn: Callable[P, Any], /) -> TaskDefinition[P, Any]: ...


@overload
def task(  # type: ignore[overload-overlap]
    fn: Callable[P, Coroutine[Any, Any, R]], /
) -> AsyncTaskDefinition[P, R]: ...


@overload
def task(fn: Callable[P, R], /) -> SyncTaskDefinition[P, R]: ...


@overload
def task(
    *,
    name: str | None = None,
    max_retries: int | None = None,
    timeout_seconds: float | None = None,
    backoff_base_seconds: float | None = None,
    priority: int | None = None,
    queue: str | None = None,
    limit_key: str | None = None,
    unique: Sequence[str] | None = None,
    unique_for_seconds: float | None = None,
    on_conflict: OnConflict | None = None,
    result_ttl_seconds: float | None = None,
    schedule: str | None = None,
) -> _Decorator: ...


def task(
    fn: Callable[P, Any] | None = None,
    /,
    *,
    name: str | None = None,
    max_retries: int | None = None,
    timeout_seconds: float | None = None,
    backoff_base_seconds: float | None = None,
    priority: int | None = None,
    queue: str | None = None,
    limit_key: str | None = None,
    unique: Sequence[str] | None = None,
    unique_for_seconds: float | None = None,
    on_conflict: OnConflict | None = None,
    result_ttl_seconds: float | None = None,
    schedule: str | None = None,
) -> TaskDefinition[P, Any] | _Decorator:
    """Mark a function as a task, bare (``@task``) or with options (``@task(max_retries=5)``).

    ``name`` is what workers and SQL submitters use to find the function; it defaults to
    ``module.qualname``. Set it explicitly for tasks that other services submit by name.
    ``limit_key`` names the parameter whose value is each task's limit key, what its queue's
    per-key limits count by (e.g. ``"customer_id"``), unless the submitter gives a key.
    ``unique`` names the parameters whose values make each task's unique key (no two
    unfinished tasks share one; with ``unique_for_seconds``, no two submitted within that
    window), unless the submitter gives a key; ``on_conflict`` says what a duplicate submit does
    (``"return"`` the holder's id, the default; ``"raise"`` DuplicateTaskError; ``"replace"`` a
    pending holder's arguments). ``result_ttl_seconds`` is how long purge keeps its finished
    tasks (default: purge's own age, 7 days).
    Parameters may not be named like submit_task's options (delay_seconds, priority, tags,
    limit_key, connection): such a task raises ConfigurationError here rather than be
    unsubmittable.

    ``schedule`` is a cron expression (UTC, catch-up ``one``; see docs/cron.md) on which the
    task also runs, without arguments, once per fire time however many workers run; it is
    checked here (InvalidScheduleError). For arguments, a time zone or several schedules, use
    ``tasklib.schedule(fn, cron=..., args=...)``.
    """
    options = TaskOptions(
        max_retries=max_retries,
        timeout_seconds=timeout_seconds,
        backoff_base_seconds=backoff_base_seconds,
        priority=priority,
        queue=queue,
        limit_key_arg=limit_key,
        unique_args=_unique_args(unique),
        unique_for_seconds=unique_for_seconds,
        on_conflict=on_conflict,
        result_ttl_seconds=result_ttl_seconds,
        schedule=None if schedule is None else Cron(schedule).expression,
    )
    if name is not None and not name.strip():
        raise ConfigurationError("task name must be a non-empty string")

    def decorate(function: Callable[P, Any], /) -> TaskDefinition[P, Any]:
        if isinstance(function, TaskDefinition):
            raise ConfigurationError(f"{function.name!r} is already a task")
        if not callable(function):
            raise ConfigurationError(f"@task decorates a function, got {function!r}")
        kind = AsyncTaskDefinition if inspect.iscoroutinefunction(function) else SyncTaskDefinition
        definition: TaskDefinition[P, Any] = kind(
            function, name or default_task_name(function), options
        )
        if options.schedule is not None:
            _check_runs_without_arguments(definition)
        register(definition)
        return definition

    if fn is not None:
        return decorate(fn)
    return typing.cast(_Decorator, decorate)
