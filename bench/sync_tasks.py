"""Sync tasks with and without a timeout: drains of no-op sync tasks, one worker, same run.

uv run python -m bench.sync_tasks URL [N] [ROUNDS] [CONCURRENCY]: alternates drains of N no-op
sync tasks (run_until_idle, concurrency 4 by default) submitted without and with
``timeout_seconds=30`` (also those of a closure, which cannot be imported by name, as Django's
tasks: they run in children forked from the worker), and prints tasks/s of each round and the
ratio of the medians. A sync task with a timeout runs in one of the worker's child processes,
one without in a thread (docs/worker.md, Timeouts); the ratio is what the child costs.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time

import psycopg

from bench.sync_task_defs import noop, noop_closure
from tasklib import Config, TaskWorker


def submit(url: str, n: int, timeout: float | None, name: str = noop.name) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM tasklib.tasks")
        conn.execute(
            "SELECT count(*) FROM tasklib.submit_many((SELECT jsonb_agg(jsonb_build_object("
            "'name', %s::text, 'args', jsonb_build_object('i', g),"
            " 'timeout_seconds', %s::double precision))"
            " FROM generate_series(1, %s) g))",
            (name, timeout, n),
        )


def drain(url: str, concurrency: int) -> tuple[float, int]:
    """tasks/s of one drain, and how many distinct processes ran its tasks."""
    worker = TaskWorker(Config(database_url=url), concurrency, handle_signals=False)
    start = time.perf_counter()
    runs = asyncio.run(worker.run_until_idle())
    took = time.perf_counter() - start
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE state <> 'completed'),"
            " count(DISTINCT result->'value') FROM tasklib.tasks"
        ).fetchone()
    assert row is not None
    if row[0]:
        raise SystemExit(f"{row[0]} tasks did not complete")
    return len(runs) / took, int(row[1])


def main() -> None:
    url = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    concurrency = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    plain: list[float] = []
    timed: list[float] = []
    closures: list[float] = []
    processes: list[int] = []
    for _ in range(rounds):
        submit(url, n, None)
        plain.append(drain(url, concurrency)[0])
        submit(url, n, 30.0)
        rate, pids = drain(url, concurrency)
        timed.append(rate)
        processes.append(pids)
        submit(url, n, 30.0, noop_closure.name)
        closures.append(drain(url, concurrency)[0])
    p, t = statistics.median(plain), statistics.median(timed)
    c = statistics.median(closures)
    print(f"{n} sync no-op tasks, concurrency {concurrency}, load average {os.getloadavg()}")
    print(f"without timeout: {[round(x) for x in plain]} tasks/s, median {p:.0f}")
    print(f"timeout 30 s:    {[round(x) for x in timed]} tasks/s, median {t:.0f}")
    print(f"processes that ran the timed tasks, per round: {processes}")
    print(f"closure, timeout 30 s: {[round(x) for x in closures]} tasks/s, median {c:.0f}")
    print(f"ratio: {t / p:.3f} ({100 * t / p:.1f}% of the throughput without a timeout)")
    print(f"closure ratio: {c / p:.3f} ({100 * c / p:.1f}%)")


if __name__ == "__main__":
    main()
