"""Calling a task function and turning what happened into an Outcome for the database."""

from __future__ import annotations

import json
import traceback
from typing import Any

from tasklib.registry import TaskDefinition

# (succeeded, JSON text of the result or the error text, retryable).
Outcome = tuple[bool, str, bool]

_NULL_RESULT: Outcome = (True, "null", True)


def clean_error(text: str) -> str:
    """PostgreSQL text cannot hold NUL characters; show them escaped instead."""
    return text.replace("\x00", "\\x00") if "\x00" in text else text


def error_outcome(text: str, *, retryable: bool) -> Outcome:
    """A failed attempt with this error text."""
    return (False, clean_error(text), retryable)


def exception_outcome() -> Outcome:
    """The exception being handled, as a retryable failure carrying its full traceback."""
    return (False, clean_error(traceback.format_exc()), True)


def result_outcome(definition: TaskDefinition[..., Any], value: Any) -> Outcome:
    """The return value as JSON text, or a non-retryable failure saying why it cannot be stored.

    Running the function again would return the same unstorable value, so retrying is useless.
    """
    if value is None:
        return _NULL_RESULT  # most tasks return nothing: skip the serializer
    try:
        text = json.dumps(definition.dump_result(value), allow_nan=False, separators=(",", ":"))
    except Exception as error:
        return error_outcome(
            f"ResultNotSerializable: the return value of task {definition.name!r} "
            f"(a {type(value).__name__}) cannot be stored as JSON: {error}",
            retryable=False,
        )
    if "\\u0000" in text:
        return error_outcome(
            f"ResultNotSerializable: the return value of task {definition.name!r} contains a "
            "NUL character, which PostgreSQL jsonb cannot store",
            retryable=False,
        )
    return (True, text, True)


def call_sync(definition: TaskDefinition[..., Any], kwargs: dict[str, Any]) -> Outcome:
    """Call a sync task function (in a pool thread) and return its outcome."""
    try:
        value = definition.fn(**kwargs)
    except BaseException:
        return exception_outcome()
    return result_outcome(definition, value)


def timeout_outcome(definition: TaskDefinition[..., Any], timeout: float, how: str) -> Outcome:
    """A retryable failure for a task that ran past its timeout."""
    return error_outcome(
        f"TimeoutError: task {definition.name!r} exceeded its timeout of {timeout:g} s "
        f"and was {how}",
        retryable=True,
    )
