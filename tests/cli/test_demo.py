"""`tasklib demo` end to end: every sample task reaches its planned end, on a given database
and on the embedded one a first run creates."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from tasklib.config import DATABASE_URL_ENV
from tests.cli.conftest import Result, run_tasklib

# (name, state, retry_count) -> how many tasks of the demo end that way.
EXPECTED_ENDS = Counter(
    {
        ("demo.send_email", "completed", 0): 150,
        ("demo.resize_image", "completed", 0): 60,
        ("demo.alert_admin", "completed", 0): 10,
        ("demo.cleanup_logs", "completed", 0): 20,
        ("demo.flaky_api", "completed", 0): 10,
        ("demo.flaky_api", "completed", 1): 10,
        ("demo.flaky_api", "completed", 2): 10,
        ("demo.charge_card", "completed", 0): 10,
        ("demo.charge_card", "failed", 2): 10,
        ("demo.send_reminder", "completed", 0): 20,
    }
)


def _run_id(result: Result) -> str:
    assert result.code == 0, result.out + result.err
    assert "✓ All 310 tasks ended as expected" in result.out
    assert "Status of demo run" in result.out
    assert "ValueError: card declined" in result.out
    match = re.search(r"demo_run=([0-9a-f]{8})", result.out)
    assert match is not None, result.out
    return match.group(1)


def test_demo_on_a_fresh_database(make_database: Callable[[str], str]) -> None:
    url = make_database("demo")  # not migrated: the demo migrates it
    run_id = _run_id(run_tasklib("demo", env={DATABASE_URL_ENV: url}))

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT name, state, retry_count, started_at - created_at, max_retries"
            " FROM tasklib.tasks WHERE tags @> %s::jsonb",
            (json.dumps({"demo_run": run_id}),),
        ).fetchall()
    assert Counter((name, state, retries) for name, state, retries, _, _ in rows) == EXPECTED_ENDS
    for name, state, retries, waited, max_retries in rows:
        if name == "demo.send_reminder":
            assert waited.total_seconds() >= 3.0
        if state == "failed":
            assert retries == max_retries  # permanent: no retry left


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A TASKLIB_HOME of the test's own; a server a failed run left there is stopped after."""
    yield tmp_path
    run_tasklib("db", "stop", env={"TASKLIB_HOME": str(tmp_path)})


def test_demo_as_a_first_run_with_nothing_configured(home: Path) -> None:
    env: dict[str, str | None] = {"TASKLIB_HOME": str(home), DATABASE_URL_ENV: None}
    demo = run_tasklib("demo", env=env)
    run_id = _run_id(demo)
    assert f"Creating an embedded PostgreSQL in {home / 'pgdata'}" in demo.err

    # The data outlives the command: the CLI finds the same tasks in the next one.
    listed = run_tasklib(
        "tasks", "list", "--json", "--limit", "1000", "--tag", f"demo_run={run_id}", env=env
    )
    assert listed.code == 0, listed.err
    ends = Counter((t["name"], t["state"], t["retry_count"]) for t in json.loads(listed.out))
    assert ends == EXPECTED_ENDS
