"""A worker frozen (SIGSTOP) past its lease: its tasks are taken over, its late results refused.

The frozen worker cannot heartbeat, so its leases run out; another worker's claim recovers the
tasks (the lost run counts as an attempt) and runs them. When the frozen worker is continued,
its task functions return at once (their sleeps are long over) and it tries to record results
for tasks it no longer holds: tasklib.complete acts only on tasks still running under the
calling worker, so the database keeps the other worker's results.
"""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

import pytest

from tests.reliability import tasks
from tests.reliability.support import (
    ScenarioReport,
    fetch,
    final_rows,
    read_runs,
    submit,
    wait_until_settled,
    workers,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

STALLED_LEASE_SECONDS = 2.0
TASK_SECONDS = 3.0
N = 8


def test_stalled_worker_cannot_record_results_it_no_longer_owns(
    database_url: str, records: Path, report: ScenarioReport
) -> None:
    report.submitted += submit(
        database_url, tasks.work, ({"key": f"st{i}", "seconds": TASK_SECONDS} for i in range(N))
    )
    poll = ("--poll-interval", "0.2", "-c", str(N))
    with workers(database_url, records) as group:
        stalled = group.start("stalled", "--lease-seconds", str(STALLED_LEASE_SECONDS), *poll)
        stalled_pid = group.pid(stalled)
        wait_until(
            lambda: sum(len(p) for p in read_runs(records).starts.values()) == N,
            timeout=60,
            what="the first worker to start every task",
            detail=lambda: group.log(stalled),
        )
        group.procs[stalled].send_signal(signal.SIGSTOP)
        stopped_at = time.monotonic()
        # The taker's lease is long: it must not lose anything itself.
        taker = group.start("taker", "--lease-seconds", "30", *poll)
        taker_pid = group.pid(taker)
        wait_until_settled(database_url, N, within=60)
        group.procs[stalled].send_signal(signal.SIGCONT)
        stopped_for = time.monotonic() - stopped_at

        def stalled_reacted() -> bool:
            runs = read_runs(records)
            ends = sum(1 for pids in runs.ends.values() for pid in pids if pid == stalled_pid)
            refused = _refused(group.log(stalled))
            given_up = group.log(stalled).count(" lost its lease (")
            return ends == refused and refused + given_up == N

        wait_until(
            stalled_reacted,
            timeout=30,
            what="the stalled worker to find out",
            detail=lambda: group.log(stalled),
        )
        assert group.alive() == [stalled, taker], "the stalled worker runs on after waking"
        stalled_log = group.log(stalled)
        codes = group.stop_all()
    assert codes == {stalled: 0, taker: 0}
    assert stopped_for > STALLED_LEASE_SECONDS

    rows = final_rows(database_url)
    runs = read_runs(records)
    report.completed = sum(1 for row in rows.values() if row.state == "completed")
    report.lost = N - report.completed
    for key, row in rows.items():
        assert row.state == "completed"
        assert row.worker_id == taker, "the result is the taker's"
        assert row.result == {"value": {"key": key, "pid": taker_pid}}
        assert row.retry_count == 1, "the stalled run counted as a lost attempt"
        assert sorted(runs.starts[key]) == sorted([stalled_pid, taker_pid])
    # The database contract behind it: a worker that lost a task records nothing for it.
    ids = [row[0] for row in fetch(database_url, "SELECT id FROM tasklib.tasks")]
    assert (
        fetch(
            database_url,
            "SELECT * FROM tasklib.complete('stalled', %s::uuid[], %s::uuid[], NULL)",
            (ids, [uuid.uuid4() for _ in ids]),
        )
        == []
    )
    assert (
        fetch(
            database_url,
            "SELECT * FROM tasklib.fail('stalled', %s, %s::uuid[], %s)",
            (ids, [uuid.uuid4() for _ in ids], ["late"] * len(ids)),
        )
        == []
    )
    refused = _refused(stalled_log)
    report.run_twice["stalled past its lease and taken over by another worker"] = N
    report.figures.append(
        f"stalled for {stopped_for:.1f} s (lease {STALLED_LEASE_SECONDS:g} s); on waking "
        f"{refused} completion(s) refused by tasklib.complete, "
        f"{N - refused} task(s) dropped by the heartbeat before finishing; every result in "
        "the database is the taker's"
    )


def _refused(log: str) -> int:
    """Outcomes tasklib.complete/fail refused: one log line per task."""
    return log.count("but its lease was lost meanwhile")
