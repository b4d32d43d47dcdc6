"""Load: 4 worker processes drain a mix where some tasks fail and retry and some time out.

Each key decides its task's fate, so the expected end of every task is known in advance:
the final state and retry_count of every row, and how many times its function ran, must match
exactly; no task runs more often than max_retries + 1. CI runs 100,000 tasks (about a minute
on the two-core reference machine); --soak runs 300,000.
"""

from __future__ import annotations

import collections
import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest

from tasklib.registry import TaskDefinition
from tests.reliability import tasks
from tests.reliability.conftest import Scale
from tests.reliability.support import (
    ScenarioReport,
    final_rows,
    read_runs,
    submit,
    wait_until_settled,
    workers,
)

pytestmark = pytest.mark.slow


@dataclasses.dataclass(frozen=True)
class Fate:
    definition: TaskDefinition[..., Any]
    state: str
    retry_count: int
    runs: int
    error: str | None = None


def plan(n: int, sync_timeouts: int) -> dict[str, tuple[Fate, dict[str, Any]]]:
    """Key -> (expected fate, arguments), by the key's number."""
    fates: dict[str, tuple[Fate, dict[str, Any]]] = {}
    for i in range(n - sync_timeouts):
        key, bucket = f"k{i}", i % 100
        args: dict[str, Any]
        if bucket < 80:
            fate, args = Fate(tasks.work, "completed", 0, 1), {"key": key}
        elif bucket < 85:
            fate, args = Fate(tasks.work_sync, "completed", 0, 1), {"key": key}
        elif bucket < 91:
            failures = 1 + i % 3  # up to max_retries (3): the last retry succeeds
            fate = Fate(tasks.flaky, "completed", failures, failures + 1)
            args = {"key": key, "failures": failures}
        elif bucket < 95:
            fate, args = Fate(tasks.doomed, "failed", 2, 3, "fails every time"), {"key": key}
        elif bucket < 97:
            fate = Fate(tasks.unstorable, "failed", 0, 1, "ResultNotSerializable")
            args = {"key": key}
        else:
            fate = Fate(tasks.hang, "failed", 1, 2, "exceeded its timeout of 0.2 s")
            args = {"key": key}
        fates[key] = (fate, args)
    for i in range(sync_timeouts):
        fate = Fate(tasks.hang_sync, "failed", 1, 2, "killed with its child process")
        fates[f"h{i}"] = (fate, {"key": f"h{i}"})
    return fates


def test_load_with_retries_and_timeouts(
    database_url: str, records: Path, scale: Scale, report: ScenarioReport
) -> None:
    n = scale.load_tasks
    fates = plan(n, sync_timeouts=50 if scale.soak else 10)
    by_definition: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for fate, args in fates.values():
        by_definition[fate.definition.name].append(args)
    for name, args_list in by_definition.items():
        definition = next(f.definition for f, _ in fates.values() if f.definition.name == name)
        report.submitted += submit(database_url, definition, args_list)
    options = ("-c", "32", "--poll-interval", "0.2", "--log-level", "WARNING")
    began = time.monotonic()
    with workers(database_url, records, *options) as group:
        ids = [group.start() for _ in range(scale.load_workers)]
        settled = wait_until_settled(database_url, n, within=1200, poll=0.5)
        took = time.monotonic() - began
        assert sorted(group.alive()) == sorted(ids)
        codes = group.stop_all()
    assert all(code == 0 for code in codes.values()), codes

    rows = final_rows(database_url)
    runs = read_runs(records)
    wrong: list[str] = []
    over_limit: list[str] = []
    unplanned_reruns = 0
    for key, (fate, _) in fates.items():
        row = rows.get(key)
        ran = runs.count(key)
        if row is None:
            wrong.append(f"{key}: no row")
            continue
        limit = (fate.definition.options.max_retries or 0) + 1
        if ran > limit:
            over_limit.append(f"{key}: ran {ran} times, limit {limit}")
        if ran > fate.runs:
            unplanned_reruns += 1
        if (row.state, row.retry_count, ran) != (fate.state, fate.retry_count, fate.runs) or (
            fate.error is not None and fate.error not in (row.error or "")
        ):
            wrong.append(
                f"{key} ({fate.definition.name}): {row.state}/{row.retry_count}/{ran} runs, "
                f"expected {fate.state}/{fate.retry_count}/{fate.runs} runs; {row.error!r}"
            )
    assert len(rows) == n
    assert over_limit == []
    assert wrong[:20] == []
    expected = collections.Counter(fate.state for fate, _ in fates.values())
    report.completed = settled.completed
    report.failed_as_expected = settled.failed
    report.lost = n - settled.terminal
    assert (settled.completed, settled.failed) == (expected["completed"], expected["failed"])
    retried = collections.Counter(
        "retried after a timeout"
        if fate.definition in (tasks.hang, tasks.hang_sync)
        else "planned retry after a failure"
        for fate, _ in fates.values()
        if fate.runs > 1
    )
    report.run_twice.update(retried)
    report.run_twice["unplanned"] = unplanned_reruns
    executions = sum(len(p) for p in runs.starts.values())
    report.figures += [
        f"{scale.load_workers} workers x 32 slots; {executions} executions "
        f"({n} tasks) in {took:.1f} s "
        f"= {executions / took:.0f} executions/s including retry backoff and 0.2-0.5 s timeouts",
        "mix: 80% async ok, 5% sync ok, 6% fail 1-3 times then succeed, 4% always fail "
        "(max_retries 2), 2% unstorable result (not retried), 3% async timeout, "
        f"{50 if scale.soak else 10} sync timeouts (child process killed)",
    ]
