"""What idle workers cost the server, and how fast a worker behind a pooler picks a task up.

    uv run python -m bench.idle_load [--database-url ADMIN_URL] [--workers 1,200]
        [--window 60] [--poll-interval 1] [--pickups 40]

Starts Debian's pgbouncer in transaction mode (tests/support/pgbouncer.py) in front of the
server of ``--database-url`` (default $TASKLIB_TEST_DATABASE_URL, else an embedded PostgreSQL),
in a scratch database, and prints Markdown tables (docs/poolers.md, docs/benchmarks.md):

- **idle load**: N TaskWorkers (concurrency 1, asyncio tasks of this one process) through the
  pooler with nothing to do, in each wake-up mode: ``listen`` (LISTEN on a direct
  ``listen_url``), ``poll`` (``listen_notify=False``), ``quiet`` (``listen`` plus
  ``quiet_idle``). The server's transactions per second (``pg_stat_database.xact_commit``: in
  autocommit each statement is one, and so is each SET PgBouncer sends when it hands a server
  connection to a client with another application_name) over ``--window`` seconds, after the
  workers have been idle for 15 s (backends flush their statistics at most 10 s late, so both
  ends of the window lag alike). Also whether any statement started during the window
  (``pg_stat_activity.query_start``, which has no such lag): for ``quiet`` that is the
  "zero" figure. Listening needs one direct connection per worker: the server's
  max_connections must exceed N.
- **pickup latency**: one worker through the pooler, a task submitted at a random moment of
  its poll interval; from the task's ``created_at`` to its ``started_at`` (both the server's
  clock), per wake-up mode.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import time
from collections.abc import Iterator
from dataclasses import replace

import psycopg

import tasklib
from tasklib import AsyncClient, Config, TaskWorker
from tasklib.testing import TEST_DATABASE_URL_ENV, database_server, temporary_database

MODES = ("listen", "poll", "quiet")
SETTLE_SECONDS = 15.0


@tasklib.task(name="bench.idle_load.noop")
async def noop(n: int) -> int:
    return n


def mode_config(mode: str, pooled: str, direct: str, poll_interval: float) -> Config:
    base = Config(
        database_url=pooled,
        prepared_statements=False,
        poll_interval_seconds=poll_interval,
        min_pool_size=1,
        max_pool_size=2,
    )
    if mode == "poll":
        return replace(base, listen_notify=False, listen_url=None)
    return replace(base, listen_url=direct, quiet_idle=mode == "quiet")


def _server_state(direct: str) -> tuple[int, float]:
    with psycopg.connect(direct, autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit, extract(epoch FROM clock_timestamp())"
            " FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return int(row[0]), float(row[1])


def _started_since(direct: str, since: float) -> int:
    with psycopg.connect(direct, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND extract(epoch FROM query_start) > %s",
            (since,),
        ).fetchone()
    return int(row[0]) if row else 0


async def idle_load(config: Config, direct: str, workers: int, window: float) -> tuple[float, int]:
    """(transactions per second, sessions that started a statement in the window)."""
    group = [
        TaskWorker(config, 1, handle_signals=False, shutdown_grace_seconds=1)
        for _ in range(workers)
    ]
    jobs = [asyncio.create_task(worker.run()) for worker in group]
    try:
        await asyncio.sleep(SETTLE_SECONDS + workers * 0.02)
        before, since = await asyncio.to_thread(_server_state, direct)
        await asyncio.sleep(window)
        after, until = await asyncio.to_thread(_server_state, direct)
        started = await asyncio.to_thread(_started_since, direct, since)
        # The two looks at pg_stat_database are transactions of their own: one is counted.
        rate = (after - before - 1) / (until - since)
    finally:
        await asyncio.gather(*(worker.stop() for worker in group))
        await asyncio.gather(*jobs, return_exceptions=True)
    return rate, started


async def pickup_latency(config: Config, samples: int) -> list[float]:
    """Seconds from created_at to started_at of tasks submitted to one idle worker."""
    worker = TaskWorker(config, 1, handle_signals=False, shutdown_grace_seconds=1)
    job = asyncio.create_task(worker.run())
    latencies: list[float] = []
    try:
        async with AsyncClient(config) as client:
            await asyncio.sleep(2)
            for i in range(samples):
                await asyncio.sleep(random.uniform(0.05, config.poll_interval_seconds) + 0.2)
                task_id = await client.submit_task(noop, n=i)
                await client.wait_for_task(task_id, timeout=30)
                task = await client.get_task(task_id)
                assert task.started_at is not None
                latencies.append((task.started_at - task.created_at).total_seconds())
    finally:
        await worker.stop()
        await job
    return latencies


def _ms(seconds: list[float], q: float) -> str:
    ordered = sorted(seconds)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.1f}"


@contextlib.contextmanager
def _server(url: str | None) -> Iterator[str]:
    if url:
        yield url
    else:
        with database_server() as embedded:
            yield embedded


def run(admin_url: str | None, counts: list[int], window: float, poll: float, pickups: int) -> str:
    from tests.support.pgbouncer import pgbouncer_binary, pgbouncer_version, running_pgbouncer

    binary = pgbouncer_binary()
    if binary is None:
        raise SystemExit("pgbouncer is not installed (apt-get install pgbouncer)")
    settings = {"max_client_conn": 10 * max(counts) + 100}
    with (
        _server(admin_url) as server,
        temporary_database(server, "bench_idle") as direct,
        running_pgbouncer(server, settings) as bouncer,
    ):
        pooled = bouncer.via(direct)
        bouncer.spread(pooled)
        with psycopg.connect(direct) as conn:
            version = conn.execute("SHOW server_version").fetchone()
        lines = [
            f"PostgreSQL {version[0] if version else '?'}, PgBouncer "
            f"{'.'.join(map(str, pgbouncer_version(binary)))} (pool_mode = transaction), "
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
            f"poll_interval_seconds={poll:g}, lease_seconds=30",
            "",
            f"Idle load over {window:g} s (TaskWorkers with concurrency 1, in one process):",
            "",
            "| workers | mode | server transactions/s | per worker per poll interval "
            "| sessions that sent a statement in the window |",
            "|---|---|---|---|---|",
        ]
        for n in counts:
            for mode in MODES:
                config = mode_config(mode, pooled, direct, poll)
                rate, started = asyncio.run(idle_load(config, direct, n, window))
                lines.append(f"| {n} | {mode} | {rate:.2f} | {rate * poll / n:.2f} | {started} |")
                print(lines[-1], flush=True)
        lines += [
            "",
            f"Pickup latency through the pooler, {pickups} tasks submitted one at a time to an"
            " idle worker (created_at to started_at):",
            "",
            "| mode | median ms | p95 ms | max ms |",
            "|---|---|---|---|",
        ]
        for mode in MODES:
            config = mode_config(mode, pooled, direct, poll)
            found = asyncio.run(pickup_latency(config, pickups))
            lines.append(f"| {mode} | {_ms(found, 0.5)} | {_ms(found, 0.95)} | {_ms(found, 1)} |")
            print(lines[-1], flush=True)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get(TEST_DATABASE_URL_ENV))
    parser.add_argument("--workers", default="1,200")
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--poll-interval", type=float, default=1.0)
    parser.add_argument("--pickups", type=int, default=40)
    options = parser.parse_args()
    counts = [int(n) for n in options.workers.split(",")]
    began = time.monotonic()
    print(run(options.database_url, counts, options.window, options.poll_interval, options.pickups))
    print(f"\n({time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
