"""Parsing of durations and tag filters (no database)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tasklib.cli._params import format_duration, parse_duration, parse_tag_filter, tag_candidates


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("30m", 1800),
        ("12h", 43200),
        ("7d", 604800),
        ("2w", 1209600),
        ("1d12h", 129600),
        ("1.5h", 5400),
        ("0s", 0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)
    assert parse_duration(format_duration(parse_duration(text))) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "7", "d", "7x", "-1d", "7 days", "1d-2h"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_tag_filters() -> None:
    assert parse_tag_filter("batch=weekly") == ("batch", "weekly")
    assert parse_tag_filter("note=a=b") == ("note", "a=b")
    assert parse_tag_filter("empty=") == ("empty", "")
    for bad in ("batch", "=x", " =x"):
        with pytest.raises(ValueError, match="is not a tag filter"):
            parse_tag_filter(bad)
    assert tag_candidates("user_id", "12345") == [{"user_id": "12345"}, {"user_id": 12345}]
    assert tag_candidates("flag", "true") == [{"flag": "true"}, {"flag": True}]
    assert tag_candidates("batch", "weekly") == [{"batch": "weekly"}]
    assert tag_candidates("list", "[1]") == [{"list": "[1]"}]
