"""Parsing of the CLI's argument values: task ids, durations (7d), rates (50/1s), tags (k=v)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import click

# click.ParamType is generic only from click 8.4 on; subscripting it at runtime breaks before.
if TYPE_CHECKING:
    _ParamType = click.ParamType[Any]
else:
    _ParamType = click.ParamType

_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_duration(text: str) -> timedelta:
    """Parse ``7d``, ``12h``, ``1d12h``, ``90s`` (units s, m, h, d, w) into a timedelta."""
    compact = text.strip().lower().replace(" ", "")
    if not compact or _DURATION_PART.sub("", compact) != "":
        raise ValueError(
            f"{text!r} is not a duration: use a number and a unit s, m, h, d or w, e.g. 7d or 12h"
        )
    seconds = sum(
        float(number) * _DURATION_UNITS[unit] for number, unit in _DURATION_PART.findall(compact)
    )
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The inverse of parse_duration for display: 7d, 1d12h, 90s -> 1m30s."""
    seconds = value.total_seconds()
    parts: list[str] = []
    for unit, size in sorted(_DURATION_UNITS.items(), key=lambda item: -item[1]):
        if unit == "w":
            continue  # 14d reads better than 2w for an age
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count:g}{unit}")
    if seconds:
        parts.append(f"{seconds:g}s")
    return "".join(parts) or "0s"


def parse_seconds(text: str) -> float:
    """Seconds from ``90`` (a plain number) or a duration such as ``90s``, ``5m``, ``1h30m``."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return parse_duration(text).total_seconds()
    except ValueError:
        raise ValueError(
            f"{text!r} is not a duration: use seconds (90) or a number and a unit s, m, h, d "
            "or w (90s, 5m, 1h30m)"
        ) from None


def parse_rate(text: str) -> tuple[int, float]:
    """(limit, period in seconds) from ``50/1s``, ``100/1m``, ``10/30s`` or ``50/s``."""
    count, sep, period = text.strip().partition("/")
    try:
        if not sep:
            raise ValueError(text)
        limit = int(count)
        period = period.strip()
        seconds = parse_duration(period if period[:1].isdigit() else f"1{period}")
    except ValueError:
        raise ValueError(
            f"{text!r} is not a rate: use starts/period, e.g. 50/1s, 100/1m or 5/10s"
        ) from None
    return limit, seconds.total_seconds()


def format_rate(limit: int, per_seconds: float, burst: int | None = None) -> str:
    """The inverse of parse_rate for display, with the burst when it is above 1: 50/1s burst 10."""
    shown = f"{limit}/{format_duration(timedelta(seconds=per_seconds))}"
    return f"{shown} burst {burst}" if burst is not None and burst > 1 else shown


def parse_tag_filter(text: str) -> tuple[str, str]:
    """Split ``key=value`` into (key, value); the value may be empty, the key may not."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"{text!r} is not a tag filter: use key=value, e.g. --tag batch=weekly")
    return key.strip(), value


def tag_candidates(key: str, value: str) -> list[dict[str, Any]]:
    """The tag objects a filter matches: the value as a string, and as JSON when it is a scalar.

    Tags are JSON, so ``user_id=12345`` should find ``{"user_id": 12345}`` as well as
    ``{"user_id": "12345"}``; both forms are tested with ``@>`` so the GIN index serves them.
    """
    candidates: list[dict[str, Any]] = [{key: value}]
    try:
        parsed = json.loads(value)
    except ValueError:
        return candidates
    if isinstance(parsed, bool | int | float) or parsed is None:
        candidates.append({key: parsed})
    return candidates


class DurationType(_ParamType):
    """A click parameter holding a duration such as 7d."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, timedelta):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


class TagFilterType(_ParamType):
    """A click parameter holding a key=value tag filter."""

    name = "key=value"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        try:
            return parse_tag_filter(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


class TaskIdType(_ParamType):
    """A click parameter holding a task id (a UUID)."""

    name = "task_id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, UUID):
            return value
        try:
            return UUID(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a task id (a UUID such as 550e8400-e29b-41d4-...)")


class SecondsType(_ParamType):
    """A click parameter holding a number of seconds, given as 90 or as a duration (5m)."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, float):
            return value
        try:
            return parse_seconds(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


class RateType(_ParamType):
    """A click parameter holding a rate such as 50/1s, as (limit, period in seconds)."""

    name = "N/period"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        try:
            return parse_rate(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


DURATION = DurationType()
SECONDS = SecondsType()
RATE = RateType()
TAG_FILTER = TagFilterType()
TASK_ID = TaskIdType()
