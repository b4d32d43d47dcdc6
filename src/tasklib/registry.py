"""@task: turns a function into a TaskDefinition and records it by its stable name."""

from __future__ import annotations

import inspect
import sys
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, ParamSpec, TypeVar, overload

import pydantic

from tasklib.errors import ConfigurationError, TaskValidationError

P = ParamSpec("P")
R = TypeVar("R")

_REGISTRY: dict[str, TaskDefinition[..., Any]] = {}


@dataclass(frozen=True, slots=True)
class TaskOptions:
    """Per-task defaults; None means "use the Config's (or the database's) default"."""

    max_retries: int | None = None
    timeout_seconds: float | None = None
    backoff_base_seconds: float | None = None
    priority: int | None = None
    queue: str = "default"

    def __post_init__(self) -> None:
        if self.max_retries is not None and self.max_retries < 0:
            raise ConfigurationError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.timeout_seconds is not None and not self.timeout_seconds > 0:
            raise ConfigurationError(f"timeout_seconds must be > 0, got {self.timeout_seconds}")
        if self.backoff_base_seconds is not None and not self.backoff_base_seconds > 0:
            raise ConfigurationError(
                f"backoff_base_seconds must be > 0, got {self.backoff_base_seconds}"
            )
        if not self.queue:
            raise ConfigurationError("queue must be a non-empty string")


class TaskDefinition(Generic[P, R]):
    """A registered task: the function, its stable name, options and argument model.

    Calling it calls the function directly, so decorated functions stay usable in tests.
    """

    def __init__(self, fn: Callable[P, R], name: str, options: TaskOptions) -> None:
        self.fn = fn
        self.name = name
        self.options = options
        self.is_async = inspect.iscoroutinefunction(fn)
        self.args_model = _build_args_model(fn, name)
        self._param_names: dict[str, str] = {
            field_name: info.alias or field_name
            for field_name, info in self.args_model.model_fields.items()
        }
        hints = typing.get_type_hints(fn, include_extras=True)
        return_type: Any = hints.get("return", Any)
        if self.is_async and typing.get_origin(return_type) in (Awaitable, typing.Coroutine):
            return_type = typing.get_args(return_type)[-1]
        self.result_adapter: pydantic.TypeAdapter[R] = pydantic.TypeAdapter(return_type)
        self.__doc__ = fn.__doc__
        self.__name__ = getattr(fn, "__name__", name)
        self.__qualname__ = getattr(fn, "__qualname__", name)
        self.__module__ = fn.__module__
        self.__wrapped__ = fn

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<TaskDefinition {self.name!r}>"

    def validate_args(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Check keyword arguments against the signature; return them as JSON-ready values."""
        try:
            model = self.args_model.model_validate(kwargs)
        except pydantic.ValidationError as error:
            raise _validation_error(self.name, error) from None
        dumped: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
        return dumped

    def rebuild_args(self, stored: dict[str, Any]) -> dict[str, Any]:
        """Turn stored JSON arguments back into the declared Python types, ready for a call."""
        try:
            model = self.args_model.model_validate(stored)
        except pydantic.ValidationError as error:
            raise _validation_error(self.name, error) from None
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
        annotation = hints.get(param_name, Any)
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[f"arg_{index}"] = (annotation, pydantic.Field(default, alias=param_name))
    config = pydantic.ConfigDict(
        extra="allow" if allow_extra else "forbid",
        populate_by_name=False,
        arbitrary_types_allowed=False,
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


@overload
def task(fn: Callable[P, R], /) -> TaskDefinition[P, R]: ...


@overload
def task(
    *,
    name: str | None = None,
    max_retries: int | None = None,
    timeout_seconds: float | None = None,
    backoff_base_seconds: float | None = None,
    priority: int | None = None,
    queue: str = "default",
) -> Callable[[Callable[P, R]], TaskDefinition[P, R]]: ...


def task(
    fn: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    max_retries: int | None = None,
    timeout_seconds: float | None = None,
    backoff_base_seconds: float | None = None,
    priority: int | None = None,
    queue: str = "default",
) -> TaskDefinition[P, R] | Callable[[Callable[P, R]], TaskDefinition[P, R]]:
    """Mark a function as a task, bare (``@task``) or with options (``@task(max_retries=5)``).

    ``name`` is what workers and SQL submitters use to find the function; it defaults to
    ``module.qualname``. Set it explicitly for tasks that other services submit by name.
    """
    options = TaskOptions(
        max_retries=max_retries,
        timeout_seconds=timeout_seconds,
        backoff_base_seconds=backoff_base_seconds,
        priority=priority,
        queue=queue,
    )
    if name is not None and not name.strip():
        raise ConfigurationError("task name must be a non-empty string")

    def decorate(function: Callable[P, R]) -> TaskDefinition[P, R]:
        if isinstance(function, TaskDefinition):
            raise ConfigurationError(f"{function.name!r} is already a task")
        definition = TaskDefinition(function, name or default_task_name(function), options)
        register(definition)
        return definition

    if fn is not None:
        return decorate(fn)
    return decorate
