"""CLI times carry their UTC offset, so they can be compared across machines and logs."""

from __future__ import annotations

import re
from typing import Any

import psycopg

from tasklib.config import DATABASE_URL_ENV

from .conftest import run_tasklib

_WITH_OFFSET = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d")


def test_tasks_show_prints_times_with_their_offset(
    database_url: str, conn: psycopg.Connection[Any]
) -> None:
    row = conn.execute("SELECT tasklib.submit('cli.timestamps', '{}')").fetchone()
    assert row is not None
    env = {DATABASE_URL_ENV: database_url, "TZ": "Asia/Kolkata"}
    shown = run_tasklib("tasks", "show", str(row[0]), env=env)
    assert shown.code == 0, shown.err
    created = next(line for line in shown.out.splitlines() if line.startswith("created_at"))
    assert _WITH_OFFSET.search(created), created
    assert "+05:30" in created
