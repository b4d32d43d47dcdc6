"""Worker processes SIGKILLed again and again during a run: every task still completes.

Only tasks in flight at a kill may run twice. Right after each kill the scenario reads which
tasks the dead worker held (they stay 'running' under its id until its lease expires), and at
the end checks every task against those sets: its retry_count equals the number of kills it
was caught in (each recovery counts an attempt), and it ran at most once more than that.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from tests.reliability import tasks
from tests.reliability.conftest import Scale
from tests.reliability.support import (
    Progress,
    ScenarioReport,
    fetch,
    final_rows,
    read_runs,
    submit,
    wait_until_settled,
    workers,
)

pytestmark = pytest.mark.slow

LEASE_SECONDS = 4.0
# The dead worker's tasks are read this long after the kill: long enough for a statement the
# server was still running for it to end, well before the lease (>= 2/3 of it left) runs out.
SNAPSHOT_AFTER_SECONDS = 1.0


def test_sigkill_workers_repeatedly(
    database_url: str, records: Path, scale: Scale, report: ScenarioReport
) -> None:
    n = scale.crash_tasks
    rng = random.Random(8)
    # A quarter run in worker threads (sync), the rest on the event loop; each takes ~5 ms so
    # that a kill always catches some tasks mid-function.
    report.submitted += submit(
        database_url,
        tasks.work,
        ({"key": f"a{i}", "seconds": 0.005} for i in range(n - n // 4)),
    )
    report.submitted += submit(
        database_url, tasks.work_sync, ({"key": f"s{i}", "seconds": 0.005} for i in range(n // 4))
    )
    in_flight: list[set[str]] = []
    pending_snapshots: list[tuple[str, float]] = []
    options = ("-c", "16", "--lease-seconds", str(LEASE_SECONDS), "--poll-interval", "0.2")
    began = time.monotonic()
    with workers(database_url, records, *options) as group:
        first = [group.start() for _ in range(3)]
        group.wait_until_announced(first)
        next_kill = time.monotonic() + 1.5
        killed_pids: set[int] = set()
        kills = 0

        def inject(progress: Progress) -> None:
            nonlocal next_kill, kills
            now = time.monotonic()
            for worker_id, due in list(pending_snapshots):
                if now >= due:
                    rows = fetch(
                        database_url,
                        "SELECT args->>'key' FROM tasklib.tasks"
                        " WHERE state = 'running' AND worker_id = %s",
                        (worker_id,),
                    )
                    in_flight.append({row[0] for row in rows})
                    pending_snapshots.remove((worker_id, due))
            # Kills are paced by progress (the k-th once k/(kills+1) of the tasks are done), so
            # that all of them land mid-run however fast this machine drains the queue.
            due_by_progress = progress.terminal >= (kills + 1) * n // (scale.crash_kills + 1)
            if kills >= scale.crash_kills or now < next_kill or not due_by_progress:
                return
            victim = rng.choice(group.alive())
            killed_pids.add(group.pid(victim))
            group.kill(victim)
            kills += 1
            pending_snapshots.append((victim, time.monotonic() + SNAPSHOT_AFTER_SECONDS))
            group.start()
            next_kill = now + rng.uniform(0.3, 0.8)

        settled = wait_until_settled(database_url, n, within=600, while_waiting=inject)
        took = time.monotonic() - began
        # A replacement started just before the run settled may still be importing; SIGTERM
        # then would end it by the default action instead of its clean shutdown.
        group.wait_until_announced(group.alive())
        codes = group.stop_all()
    # A kill near the end can find a worker holding nothing (a replacement that had not claimed
    # yet); the run may then settle before that snapshot was due. A worker that held tasks
    # keeps them 'running' until its lease expires, which no settled run can precede, so the
    # late snapshot is the empty set it would have read.
    for worker_id, _due in pending_snapshots:
        rows_held = fetch(
            database_url,
            "SELECT args->>'key' FROM tasklib.tasks WHERE state = 'running' AND worker_id = %s",
            (worker_id,),
        )
        assert rows_held == [], (worker_id, rows_held)
        in_flight.append(set())
    assert len(in_flight) == scale.crash_kills, "every kill happened during the run"
    assert all(code == 0 for code in codes.values()), codes

    rows = final_rows(database_url)
    runs = read_runs(records)
    caught: dict[str, int] = {}
    for keys in in_flight:
        for key in keys:
            caught[key] = caught.get(key, 0) + 1
    report.completed = settled.completed
    report.lost = sum(1 for row in rows.values() if row.state != "completed") + (n - len(rows))
    assert report.lost == 0
    # Each kill a task was caught in became exactly one recovered attempt, and nothing else did.
    wrong_retries = {k: r.retry_count for k, r in rows.items() if r.retry_count != caught.get(k, 0)}
    assert wrong_retries == {}
    never_ran = [key for key in rows if runs.count(key) == 0]
    assert never_ran == []
    too_many = {k: runs.count(k) for k in rows if runs.count(k) > 1 + caught.get(k, 0)}
    assert too_many == {}
    twice = [key for key in rows if runs.count(key) > 1]
    assert set(twice) <= set(caught), "only tasks in flight at a kill ran again"
    started_in_dead = sum(
        1 for key in caught if any(pid in killed_pids for pid in runs.starts.get(key, ()))
    )
    report.run_twice[
        "in flight at a SIGKILL (started in the killed worker, re-run after its lease)"
    ] = len(twice)
    report.figures += [
        f"{len(in_flight)} SIGKILLs of 3 workers (-c 16, lease {LEASE_SECONDS:g} s), "
        f"{sum(len(s) for s in in_flight)} tasks held by killed workers, of which "
        f"{started_in_dead} had started there and {len(caught) - started_in_dead} had not",
        f"drained in {took:.1f} s",
    ]
