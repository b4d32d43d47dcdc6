"""Idle pickup latency: from submit_task returning to the task function starting.

An idle `tasklib worker` runs in its own process; this script submits one no-op task at a
time, waits until it has finished, pauses so that the worker is idle again, and repeats. The
task returns the time it started on the machine's monotonic clock (shared by all processes),
so each sample is start - submit_returned, free of the time spent reporting the result.

    uv run python bench/pickup_latency.py --database-url postgresql://... [-n 500]

The database gets the tasklib schema (migrate) and loses its tasks rows (TRUNCATE): give it a
database of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

import tasklib

ROOT = Path(__file__).resolve().parents[1]


@tasklib.task(name="bench.pickup_latency.probe", max_retries=0)
async def probe() -> int:
    """Report when the function started, on the clock every local process shares."""
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    index = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def wait_for_finish(listener: psycopg.Connection[Any], task_id: UUID, within: float) -> None:
    wanted = str(task_id)
    deadline = time.monotonic() + within
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SystemExit(f"task {task_id} did not finish within {within} s")
        for notify in listener.notifies(timeout=remaining, stop_after=1):
            if wanted in notify.payload.split(","):
                return


def measure(url: str, samples: int, warmup: int, pause: float) -> list[float]:
    tasklib.init(tasklib.Config(database_url=url))
    latencies_ms: list[float] = []
    with (
        psycopg.connect(url, autocommit=True) as listener,
        psycopg.connect(url, autocommit=True) as reader,
    ):
        listener.execute("LISTEN tasklib_finished")
        for i in range(warmup + samples):
            task_id = tasklib.submit_task_sync(probe)
            returned = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
            wait_for_finish(listener, task_id, within=10.0)
            row = reader.execute(
                "SELECT state, result->'value' FROM tasklib.tasks WHERE id = %s", (task_id,)
            ).fetchone()
            if row is None or row[0] != "completed":
                raise SystemExit(f"task {task_id} ended as {row}")
            if i >= warmup:
                latencies_ms.append((int(row[1]) - returned) / 1e6)
            time.sleep(pause)
    tasklib.close()
    return latencies_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("TASKLIB_DATABASE_URL"))
    parser.add_argument("-n", "--samples", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--pause", type=float, default=0.02, help="idle time between tasks (s)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    options = parser.parse_args()
    if not options.database_url:
        parser.error("give --database-url or set TASKLIB_DATABASE_URL")
    url = options.database_url

    tasklib.migrate(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE tasklib.tasks")
        server_version = conn.execute("SHOW server_version").fetchone()
        settings = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings"
                " WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')"
            ).fetchall()
        )

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tasklib",
            "worker",
            str(Path(__file__).resolve()),
            "--concurrency",
            str(options.concurrency),
            "--log-level",
            "WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, "TASKLIB_DATABASE_URL": url},
    )
    try:
        time.sleep(1.0)  # let the worker connect and LISTEN
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited with code {worker.returncode}")
        latencies = measure(url, options.samples, options.warmup, options.pause)
    finally:
        worker.terminate()
        worker.wait(30)

    ordered = sorted(latencies)
    figures = {
        "samples": len(ordered),
        "p50_ms": round(percentile(ordered, 0.50), 3),
        "p95_ms": round(percentile(ordered, 0.95), 3),
        "p99_ms": round(percentile(ordered, 0.99), 3),
        "max_ms": round(ordered[-1], 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
        "postgresql": server_version[0] if server_version else "?",
        "settings": settings,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "worker_concurrency": options.concurrency,
    }
    print(
        f"idle pickup latency over {figures['samples']} tasks: p50 {figures['p50_ms']} ms, "
        f"p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms"
    )
    print(json.dumps(figures, indent=2))
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
