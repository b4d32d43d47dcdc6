"""The task list's query string: what each filter becomes, and what it refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tasklib.cli._params import tag_candidates as cli_tag_candidates
from tasklib.dashboard._filters import id_at, parse_query, submitted_at, tag_candidates

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", ["welcome", "12345", "1.5", "true", "null", "", '"x"', "[1]"])
def test_tag_values_match_as_the_cli_matches_them(value: str) -> None:
    assert tag_candidates("k", value) == cli_tag_candidates("k", value)


def test_every_filter_is_read() -> None:
    query = parse_query(
        {
            "state": "retrying",
            "name": "billing.charge",
            "queue": "billing",
            "tags": "campaign=welcome, user=42",
            "range": "1h",
            "to": "2026-12-01T11:30",
            "limit": "100",
        },
        now=NOW,
    )
    assert query.problems == []
    f = query.task_filter
    assert (f.state, f.name, f.queue, query.limit) == ("retrying", "billing.charge", "billing", 100)
    assert f.tag_groups == (
        (json.dumps({"campaign": "welcome"}),),
        (json.dumps({"user": "42"}), json.dumps({"user": 42})),
    )
    assert f.since is not None
    assert f.until is not None
    assert submitted_at(f.since) == NOW - timedelta(hours=1)
    assert submitted_at(f.until) == datetime(2026, 12, 1, 11, 30, tzinfo=UTC)


def test_a_time_with_an_offset_is_converted() -> None:
    query = parse_query({"from": "2026-12-01T13:00+01:00"}, now=NOW)
    assert query.task_filter.since == id_at(NOW)


def test_what_does_not_parse_is_named_and_left_out() -> None:
    query = parse_query(
        {
            "state": "done",
            "tags": "nokey",
            "range": "2y",
            "from": "soon",
            "limit": "7",
            "before": "x",
        },
        now=NOW,
    )
    assert query.task_filter.is_empty()
    assert len(query.problems) == 6
    assert "unknown state 'done'" in query.problems[0]


def test_links_keep_the_filter_and_change_the_cursor() -> None:
    query = parse_query({"state": "failed", "name": "", "before": "ignored-in-links"}, now=NOW)
    assert query.link(before="abc") == "?state=failed&before=abc"
    assert query.link() == "?state=failed"
