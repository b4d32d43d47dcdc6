"""What cron schedules cost: the scheduler loop at rest, one fire_schedule call, one pass.

    uv run python bench/cron_cost.py --database-url postgresql://... [--idle-seconds 130]

1. ``fire_schedule`` on one connection: a fire time that fires (its INSERT and the task's
   submit, one transaction) and a fire time another worker fired already (what the other
   workers' calls cost), next to a plain ``submit`` round trip.
2. A pass's read (``statements.DUE_SCHEDULES``) with 100 schedules, and the Python side of a
   pass (croniter and the plan) per schedule.
3. A TaskWorker at rest with 20 schedules that do not fire meanwhile: statements its scheduler
   sends per second (it sleeps until the next fire time, at most 60 s, and wakes on NOTIFY).

The database gets the tasklib schema (migrate) and loses its tasks and schedules (TRUNCATE):
give it a database of its own. Results are printed as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

import tasklib
from tasklib.cron import Cron
from tasklib.db import statements
from tasklib.testing import empty_tables
from tasklib.worker._scheduler import ScheduleRow, plan


@tasklib.task(name="bench.cron.noop", max_retries=0)
async def noop() -> None:
    """What the schedules run."""


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
    }


def fire_cost(url: str, calls: int) -> dict[str, Any]:
    """Round trips on one connection, interleaved so that load drifts touch all three alike.

    synchronous_commit is off: what is measured is the database's work per call, not the WAL
    flush that every durable commit (a fire's like a submit's) adds on this machine's disk.
    """
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute(
            "SELECT tasklib.create_schedule('bench.every-second', %s, '* * * * * *')", (noop.name,)
        )
        conn.execute("UPDATE tasklib.schedules SET starts_after = now() - interval '1 day'")
        base = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=calls + 5)
        fired: list[float] = []
        taken: list[float] = []
        submitted: list[float] = []
        for i in range(calls):
            at = base + timedelta(seconds=i)
            for samples, query, params in (
                (fired, statements.FIRE_SCHEDULE, ("bench.every-second", at, None)),
                (taken, statements.FIRE_SCHEDULE, ("bench.every-second", at, None)),
                (submitted, "SELECT tasklib.submit(%s)", (noop.name,)),
            ):
                began = time.perf_counter()
                conn.execute(query, params).fetchone()
                samples.append(time.perf_counter() - began)
        count = conn.execute(
            "SELECT count(*) FROM tasklib.tasks WHERE tags ? 'schedule'"
        ).fetchone()
    if count is None or count[0] != calls:
        raise AssertionError(f"one task per fire time: {calls} fire times, {count} tasks")
    return {
        "calls": calls,
        "fire_schedule_fires": _ms(fired),
        "fire_schedule_already_fired": _ms(taken),
        "submit": _ms(submitted),
    }


def pass_cost(url: str, schedules: int, reads: int) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        for i in range(schedules):
            conn.execute(
                "SELECT tasklib.create_schedule(%s, %s, %s, timezone => 'Europe/Paris')",
                (f"bench.s{i:03}", noop.name, f"{i % 60} {i % 24} * * *"),
            )
        samples: list[float] = []
        for _ in range(reads):
            began = time.perf_counter()
            rows = conn.execute(statements.DUE_SCHEDULES).fetchall()
            samples.append(time.perf_counter() - began)
    now: datetime = rows[0][0]
    crons = {(row[2], row[3]): Cron(row[2], row[3]) for row in rows}
    began = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        for row in rows:
            schedule = ScheduleRow(*row[1:])
            plan(schedule, crons[(schedule.cron, schedule.timezone)], now=now, running_since=now)
    per_schedule = (time.perf_counter() - began) / (rounds * len(rows))
    return {
        "schedules": schedules,
        "read": _ms(samples),
        "plan_per_schedule_us": round(per_schedule * 1e6, 1),
    }


async def idle_cost(url: str, seconds: float) -> dict[str, Any]:
    empty_tables(url)
    with psycopg.connect(url, autocommit=True) as conn:
        for i in range(20):
            conn.execute(
                "SELECT tasklib.create_schedule(%s, %s, '0 3 1 1 *')", (f"bench.idle{i}", noop.name)
            )
    worker = tasklib.TaskWorker(
        tasklib.Config(database_url=url), 1, handle_signals=False, shutdown_grace_seconds=0
    )
    running = asyncio.create_task(worker.run())
    await asyncio.sleep(2)  # started, first pass done
    scheduler = worker._scheduler
    before = scheduler.statements
    await asyncio.sleep(seconds)
    sent = scheduler.statements - before
    await worker.stop()
    await running
    return {
        "schedules": 20,
        "seconds": seconds,
        "statements": sent,
        "statements_per_second": round(sent / seconds, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--idle-seconds", type=float, default=130.0)
    options = parser.parse_args()
    url = options.database_url
    tasklib.migrate(url)
    empty_tables(url)
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_before": os.getloadavg(),
        "fire": fire_cost(url, options.calls),
    }
    empty_tables(url)
    results["pass"] = pass_cost(url, 100, 500)
    results["idle"] = asyncio.run(idle_cost(url, options.idle_seconds))
    results["load_after"] = os.getloadavg()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
