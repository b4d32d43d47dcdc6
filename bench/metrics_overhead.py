"""What the worker's Prometheus metrics cost: drains of no-op tasks with and without them.

uv run python -m bench.metrics_overhead URL [N] [ROUNDS]: alternates plain and metered drains
of N no-op async tasks (run_until_idle, concurrency 32) and prints tasks/s of each round.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

import psycopg

import tasklib
from tasklib import Config, TaskWorker


@tasklib.task
async def noop(i: int) -> None:
    return None


def submit(url: str, n: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM tasklib.tasks")
        conn.execute(
            "SELECT count(*) FROM tasklib.submit_many((SELECT jsonb_agg(jsonb_build_object("
            "'name', %s::text, 'args', jsonb_build_object('i', g)))"
            " FROM generate_series(1, %s) g))",
            (noop.name, n),
        )


def drain(url: str, metrics_port: int | None) -> float:
    config = Config(database_url=url)
    worker = TaskWorker(config, 32, handle_signals=False, metrics_port=metrics_port)
    start = time.perf_counter()
    runs = asyncio.run(worker.run_until_idle())
    took = time.perf_counter() - start
    return len(runs) / took


def main() -> None:
    url = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    plain: list[float] = []
    metered: list[float] = []
    for _ in range(rounds):
        submit(url, n)
        plain.append(drain(url, None))
        submit(url, n)
        metered.append(drain(url, 9477))
    p, m = statistics.median(plain), statistics.median(metered)
    print(f"plain:   {[round(x) for x in plain]} tasks/s, median {p:.0f}")
    print(f"metrics: {[round(x) for x in metered]} tasks/s, median {m:.0f}")
    print(f"cost: {100 * (p - m) / p:.1f}% of throughput, {1e6 * (1 / m - 1 / p):.1f} us per task")


if __name__ == "__main__":
    main()
