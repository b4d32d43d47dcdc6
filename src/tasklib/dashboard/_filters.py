"""The task list's query string: filters and the page cursor, parsed and put back into links."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from tasklib.db.dashboard import STATE_CONDITIONS, TaskFilter, tag_groups

STATES = tuple(STATE_CONDITIONS)
# The choices of the "submitted in the last" menu.
RANGE_SPANS = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}
RANGES = tuple(RANGE_SPANS)
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
FILTER_KEYS = ("state", "name", "queue", "tags", "range", "from", "to", "limit")


def tag_candidates(key: str, value: str) -> list[dict[str, Any]]:
    """The tag objects ``key=value`` matches: the value as a string, and as JSON if a scalar.

    The twin of the CLI's (``tasklib tasks list --tag``, cli/_params.py), which the dashboard
    does not import (the CLI sits above it); tests/dashboard/test_filters.py keeps them equal.
    """
    candidates: list[dict[str, Any]] = [{key: value}]
    try:
        parsed = json.loads(value)
    except ValueError:
        return candidates
    if isinstance(parsed, bool | int | float) or parsed is None:
        candidates.append({key: parsed})
    return candidates


def id_at(moment: datetime) -> UUID:
    """The smallest task id submitted at or after ``moment`` (its millisecond, UUIDv7 layout)."""
    milliseconds = int(moment.timestamp() * 1000)
    return UUID(int=max(0, milliseconds) << 80)


def submitted_at(task_id: UUID) -> datetime:
    """The submit time a task id carries (its first 48 bits, Unix milliseconds)."""
    return datetime.fromtimestamp((task_id.int >> 80) / 1000, UTC)


def parse_time(text: str) -> datetime:
    """An ISO 8601 time (``2026-12-01T10:00``, ``2026-12-01 10:00:00+01:00``); UTC if no offset."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a time: use ISO 8601, e.g. 2026-12-01T10:00") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ListQuery:
    """The parsed query string of the task list: its filter, page and any problems found."""

    task_filter: TaskFilter
    values: dict[str, str]
    before: UUID | None = None
    after: UUID | None = None
    limit: int = DEFAULT_PAGE_SIZE
    problems: list[str] = field(default_factory=list)

    def link(self, **changes: str | None) -> str:
        """The query string of this filter with some values changed (None removes one)."""
        values = {key: value for key, value in self.values.items() if value}
        for key, value in changes.items():
            if value:
                values[key] = value
            else:
                values.pop(key, None)
        return "?" + urlencode(values) if values else ""


def parse_query(params: Mapping[str, str], now: datetime | None = None) -> ListQuery:
    """The task list's filter from a query string (or a bulk form's fields).

    A value that does not parse is left out of the filter and named in ``problems``.
    """
    now = now or datetime.now(UTC)
    values = {key: params.get(key, "").strip() for key in FILTER_KEYS}
    problems: list[str] = []
    state = values["state"] or None
    if state is not None and state not in STATES:
        problems.append(f"unknown state {state!r}: choose one of {', '.join(STATES)}")
        state = None
    groups: list[list[str]] = []
    for item in filter(None, (part.strip() for part in values["tags"].split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            problems.append(f"{item!r} is not a tag filter: use key=value, e.g. batch=weekly")
            continue
        groups.append([json.dumps(c) for c in tag_candidates(key.strip(), value.strip())])
    since = until = None
    if values["range"]:
        span = RANGE_SPANS.get(values["range"])
        if span is None:
            problems.append(f"range {values['range']!r} is not one of {', '.join(RANGES)}")
        else:
            since = id_at(now - span)
    for key in ("from", "to"):
        if values[key]:
            try:
                bound = id_at(parse_time(values[key]))
            except ValueError as error:
                problems.append(f"{key}: {error}")
                continue
            if key == "from":
                since = bound if since is None else max(since, bound)
            else:
                until = bound
    limit = DEFAULT_PAGE_SIZE
    if values["limit"]:
        if values["limit"].isdigit() and int(values["limit"]) in PAGE_SIZES:
            limit = int(values["limit"])
        else:
            problems.append(f"limit must be one of {', '.join(map(str, PAGE_SIZES))}")
    cursors: dict[str, UUID | None] = {"before": None, "after": None}
    for key in cursors:
        raw = params.get(key, "").strip()
        if raw:
            try:
                cursors[key] = UUID(raw)
            except ValueError:
                problems.append(f"{key} must be a task id")
    task_filter = TaskFilter(
        state=state,
        name=values["name"] or None,
        queue=values["queue"] or None,
        tag_groups=tag_groups(groups),
        since=since,
        until=until,
    )
    return ListQuery(
        task_filter=task_filter,
        values=values,
        before=cursors["before"],
        after=cursors["after"] if cursors["before"] is None else None,
        limit=limit,
        problems=problems,
    )


def describe(query: ListQuery) -> str:
    """The filter in words, for a bulk action's confirmation."""
    parts = [
        f"{label} {query.values[key]}"
        for key, label in (
            ("state", "state"),
            ("name", "name"),
            ("queue", "queue"),
            ("tags", "tags"),
            ("range", "submitted in the last"),
            ("from", "submitted from"),
            ("to", "submitted before"),
        )
        if query.values[key]
    ]
    return ", ".join(parts) if parts else "no filter"


def age(seconds: float | None) -> str:
    """A short age: 42s, 5m3s, 2h10m, 3d4h."""
    if seconds is None:
        return ""
    value = timedelta(seconds=max(0.0, seconds))
    total = int(value.total_seconds())
    if total < 60:
        return f"{value.total_seconds():.0f}s" if total else f"{value.total_seconds():.1f}s"
    for size, unit, small, small_unit in (
        (86400, "d", 3600, "h"),
        (3600, "h", 60, "m"),
        (60, "m", 1, "s"),
    ):
        if total >= size:
            rest = (total % size) // small
            return f"{total // size}{unit}{rest}{small_unit}" if rest else f"{total // size}{unit}"
    return f"{total}s"
