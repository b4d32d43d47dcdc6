"""pg_terminate_backend on every worker connection, again and again, during a run.

Each cut hits whatever the worker was doing: a claim whose answer never arrives, a batch of
results whose commit the worker cannot see, a heartbeat, the LISTEN connection. Every task
still completes, exactly once, and nothing stays 'running'.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.reliability import tasks
from tests.reliability.conftest import Scale
from tests.reliability.support import (
    Progress,
    ScenarioReport,
    check_all_completed,
    submit,
    terminate_worker_connections,
    wait_until_settled,
    workers,
)

pytestmark = pytest.mark.slow

LEASE_SECONDS = 10.0


def test_worker_connections_terminated_repeatedly(
    database_url: str, records: Path, scale: Scale, report: ScenarioReport
) -> None:
    n = scale.cut_tasks
    report.submitted += submit(
        database_url, tasks.work, ({"key": f"c{i}", "seconds": 0.05} for i in range(n // 2))
    )
    report.submitted += submit(
        database_url,
        tasks.work_sync,
        ({"key": f"d{i}", "seconds": 0.05} for i in range(n - n // 2)),
    )
    cuts: list[int] = []
    options = ("-c", "16", "--lease-seconds", str(LEASE_SECONDS), "--poll-interval", "0.2")
    began = time.monotonic()
    with workers(database_url, records, *options) as group:
        ids = [group.start() for _ in range(2)]
        group.wait_until_announced(ids)
        next_cut = time.monotonic()

        def inject(progress: Progress) -> None:
            nonlocal next_cut
            if len(cuts) >= scale.cuts or time.monotonic() < next_cut:
                return
            # Tasks of 50 ms on 32 slots drain ~600/s: a cut every 0.3 s lands mid-run.
            cuts.append(terminate_worker_connections(database_url))
            next_cut = time.monotonic() + 0.3

        wait_until_settled(database_url, n, within=600, while_waiting=inject, poll=0.05)
        took = time.monotonic() - began
        assert group.alive() == ids, "the workers survived every cut"
        codes = group.stop_all()
        logs = group.logs()
    assert len(cuts) == scale.cuts
    assert all(code == 0 for code in codes.values()), codes
    rows = check_all_completed(
        database_url, records, report, n, duplicate_reason="lease expired while reconnecting"
    )
    assert [key for key, row in rows.items() if row.retry_count] == []
    released = sum(
        int(line.split("released ")[1].split()[0])
        for line in logs.splitlines()
        if "claimed while the connection dropped" in line
    )
    report.figures += [
        f"{len(cuts)} rounds of pg_terminate_backend, {sum(cuts)} connections cut; "
        f"2 workers (-c 16, lease {LEASE_SECONDS:g} s); "
        f"{logs.count('reconnecting in')} reconnects logged",
        f"{released} task(s) from claims whose answer was lost, released unstarted; "
        f"{logs.count('most likely recorded by the first send')} result(s) re-sent and refused "
        f"as already recorded; drained in {took:.1f} s",
    ]
