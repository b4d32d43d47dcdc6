"""Cancelling running tasks in real worker processes, from a plain connection as from psql.

Two `tasklib worker` processes run an async task sleeping 60 s, a sync task spinning in a busy
loop in a worker thread, and one spinning in a child process. ``SELECT tasklib.cancel(id)``
ends each ``cancelled`` within 2 s, not retried; the tasks saw their cancellation (each wrote it
down), and the workers go on with other tasks and stop cleanly.
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from tests.reliability import tasks
from tests.reliability.support import (
    ScenarioReport,
    fetch,
    final_rows,
    progress,
    read_runs,
    submit,
    workers,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

WITHIN = 2.0


def task_ids(url: str) -> dict[str, str]:
    return {str(key): str(i) for key, i in fetch(url, "SELECT args->>'key', id FROM tasklib.tasks")}


def state_of(url: str, task_id: str) -> str:
    return str(fetch(url, "SELECT state FROM tasklib.tasks WHERE id = %s", (task_id,))[0][0])


def test_cancel_from_psql_stops_running_tasks_in_worker_processes(
    database_url: str, records: Path, report: ScenarioReport
) -> None:
    stopped = {
        "async-sleep": tasks.sleep_long,
        "sync-spin": tasks.spin,
        "child-spin": tasks.spin_child,
    }
    for key, definition in stopped.items():
        report.submitted += submit(database_url, definition, [{"key": key}])
    ids = task_ids(database_url)
    options = ("-c", "4", "--cancel-grace", "10", "--poll-interval", "0.5")
    with workers(database_url, records, *options) as group:
        started = [group.start() for _ in range(2)]
        group.wait_until_announced(started)
        wait_until(
            lambda: all(read_runs(records).count(key) == 1 for key in stopped),
            what="the three tasks to start",
            detail=group.logs,
        )
        took: dict[str, float] = {}
        with psycopg.connect(database_url, autocommit=True) as psql:
            for key in stopped:
                psql.execute("SELECT tasklib.cancel(%s)", (ids[key],))
                since = time.monotonic()
                wait_until(
                    lambda task_id=ids[key]: state_of(database_url, task_id) == "cancelled",
                    what=f"{key} to end cancelled",
                    timeout=WITHIN,
                    interval=0.01,
                    detail=group.logs,
                )
                took[key] = time.monotonic() - since
        report.figures.append(
            "cancelled after tasklib.cancel returned: "
            + ", ".join(f"{key} {seconds:.3f} s" for key, seconds in took.items())
        )

        # The workers go on: every slot is free again, threads included.
        n = 200
        report.submitted += submit(
            database_url, tasks.work, ({"key": f"a{i}", "seconds": 0.01} for i in range(n))
        )
        report.submitted += submit(
            database_url, tasks.work_sync, ({"key": f"s{i}", "seconds": 0.01} for i in range(n))
        )
        wait_until(
            lambda: progress(database_url).completed == 2 * n,
            what=f"{2 * n} more tasks to complete",
            timeout=60,
            interval=0.2,
            detail=lambda: progress(database_url),
        )
        assert sorted(group.alive()) == sorted(started)
        codes = group.stop_all()
    assert codes == {worker_id: 0 for worker_id in started}

    rows = final_rows(database_url)
    runs = read_runs(records)
    for key in stopped:
        row = rows[key]
        assert (row.state, row.retry_count) == ("cancelled", 0), row
        assert (row.error or "").startswith("cancelled by "), row
        # Stopped where it ran (it wrote down the cancellation it saw), and never run again.
        assert runs.count(key) == 1
        assert len(runs.ends[key]) == 1, "its 'cancelled' record"
    retries = fetch(
        database_url,
        "SELECT count(*) FROM tasklib.tasks"
        " WHERE state = 'cancelled' AND next_retry_at IS NOT NULL",
    )
    assert retries == [(0,)]
    report.completed = sum(row.state == "completed" for row in rows.values())
    assert report.completed == 2 * n
    logs = group.logs()
    for key, definition in stopped.items():
        assert f"task {ids[key]} {definition.name} stopped and cancelled" in logs
