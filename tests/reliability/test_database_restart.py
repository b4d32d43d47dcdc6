"""PostgreSQL restarted in the middle of a run: workers reconnect, nothing is lost or stuck.

The server is an embedded PostgreSQL this suite starts for itself (the machine's shared server
is never restarted), stopped with a fast shutdown, which terminates every session and rolls
back what was in progress, kept down for a moment, and started again.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.reliability import tasks
from tests.reliability.conftest import PrivateServer, Scale
from tests.reliability.support import (
    Progress,
    ScenarioReport,
    check_all_completed,
    submit,
    wait_until_settled,
    workers,
)

pytestmark = pytest.mark.slow

# Longer than any outage here, so a lease never expires while the database is away.
LEASE_SECONDS = 15.0
DOWN_SECONDS = 2.0


def test_postgresql_restarts_mid_run(
    private_server: PrivateServer, records: Path, scale: Scale, report: ScenarioReport
) -> None:
    url = private_server.make_database("restart")
    n = scale.restart_tasks
    report.submitted += submit(
        url, tasks.work, ({"key": f"r{i}", "seconds": 0.005} for i in range(n // 2))
    )
    report.submitted += submit(
        url, tasks.work_sync, ({"key": f"t{i}", "seconds": 0.005} for i in range(n - n // 2))
    )
    outages: list[tuple[int, float]] = []
    options = ("-c", "16", "--lease-seconds", str(LEASE_SECONDS), "--poll-interval", "0.2")
    began = time.monotonic()
    with workers(url, records, *options) as group:
        ids = [group.start() for _ in range(2)]
        group.wait_until_announced(ids)

        def inject(progress: Progress) -> None:
            if len(outages) >= scale.restarts:
                return
            # Spread the restarts evenly over the run.
            if progress.terminal >= n * (len(outages) + 1) / (scale.restarts + 2):
                outage = private_server.restart(DOWN_SECONDS)
                outages.append((progress.terminal, outage))

        wait_until_settled(url, n, within=600, while_waiting=inject)
        took = time.monotonic() - began
        assert group.alive() == ids, "the workers survived every restart"
        codes = group.stop_all()
        logs = group.logs()
    assert len(outages) == scale.restarts
    assert all(code == 0 for code in codes.values()), codes
    assert "is back" in logs
    rows = check_all_completed(
        url, records, report, n, duplicate_reason="lease expired during an outage"
    )
    retried = [key for key, row in rows.items() if row.retry_count]
    assert retried == [], "no lease ran out: no attempt was lost"
    released = sum(
        int(line.split("released ")[1].split()[0])
        for line in logs.splitlines()
        if "claimed while the connection dropped" in line
    )
    report.figures += [
        "restarts after "
        + ", ".join(f"{done} tasks (down {outage:.1f} s)" for done, outage in outages)
        + f"; 2 workers (-c 16, lease {LEASE_SECONDS:g} s)",
        f"{released} task(s) claimed by a claim whose answer was lost, released unstarted; "
        f"{logs.count('most likely recorded by the first send')} result(s) re-sent after a "
        f"lost answer and refused as already recorded; drained in {took:.1f} s",
    ]
