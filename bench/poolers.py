"""What each pooler setting costs: submit latency and wait wake-up latency (docs/poolers.md).

    uv run python -m bench.poolers [--database-url ADMIN_URL] [--submits N] [--waits N]

Starts Debian's pgbouncer in transaction mode (the test suite's, tests/support/pgbouncer.py) in
front of the server of ``--database-url`` (default $TASKLIB_TEST_DATABASE_URL, else an embedded
PostgreSQL), in a scratch database, and prints a Markdown table of:

- **submit**: ``Client.submit_task`` one after another (after 50 to warm up), direct and
  through pgbouncer, with prepared statements on and off. Prepared statements through a
  transaction-mode pgbouncer older than 1.21 fail; the table says after how many calls.
- **wake-up**: from the commit of the task's completion (on a direct connection, as a worker
  through a pooler would make it) to ``wait_for_task`` returning, with ``listen_url`` (LISTEN
  on a direct connection) and polling (``listen_notify=False``) at two poll intervals. Each
  completion comes at a random moment of the poll interval after the wait began, so polling
  is sampled over its whole cycle.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import psycopg

import tasklib
from tasklib import Client, Config
from tasklib.testing import TEST_DATABASE_URL_ENV, database_server, temporary_database


@tasklib.task(name="bench.poolers.noop")
def noop(n: int) -> int:
    return n


def _ms(seconds: list[float], q: float) -> str:
    ordered = sorted(seconds)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.2f}"


def submit_latency(config: Config, n: int) -> str:
    """One table row's cells: median, p99, submits/s; or where it failed."""
    with Client(config) as client:
        done = 0
        try:
            for i in range(50):
                client.submit_task(noop, n=i)
                done += 1
            times = []
            for i in range(n):
                start = time.perf_counter()
                client.submit_task(noop, n=i)
                times.append(time.perf_counter() - start)
                done += 1
        except tasklib.TaskLibError as error:
            return f"fails at call {done + 1}: {error} | – | –"
    return f"{_ms(times, 0.5)} | {_ms(times, 0.99)} | {len(times) / sum(times):,.0f}"


def wake_latency(config: Config, direct_url: str, n: int) -> str:
    """Median, p95 and max milliseconds from a completion's commit to the wait's return."""
    window = config.poll_interval_seconds if not config.listen_notify else 0.2
    latencies = []
    with (
        Client(config) as client,
        psycopg.connect(direct_url, autocommit=True) as worker,
        ThreadPoolExecutor(1) as pool,
    ):
        for i in range(n):
            task_id = client.submit_task(noop, n=i)
            token = str(uuid.uuid4())
            worker.execute(
                "SELECT tasklib.claim('bench-poolers', 1, lease_token => %s::uuid)", (token,)
            )
            read = _first_read(client)
            waiter = pool.submit(_timed_wait, client, task_id)
            read.wait(10)
            time.sleep(random.uniform(0, window))
            worker.execute(
                "SELECT tasklib.complete('bench-poolers', ARRAY[%s]::uuid[], ARRAY[%s]::uuid[])",
                (task_id, token),
            )
            committed = time.perf_counter()
            latencies.append(waiter.result(timeout=30) - committed)
    return f"{_ms(latencies, 0.5)} | {_ms(latencies, 0.95)} | {max(latencies) * 1000:.2f}"


def _timed_wait(client: Client, task_id: Any) -> float:
    client.wait_for_task(task_id, timeout=30)
    return time.perf_counter()


def _first_read(client: Client) -> threading.Event:
    """Set once the client reads a task row next: the wait has subscribed and looked once."""
    read = threading.Event()
    one: Callable[..., Any] = Client._one.__get__(client)

    def spy(*args: Any) -> Any:
        try:
            return one(*args)
        finally:
            read.set()

    client._one = spy  # type: ignore[method-assign,assignment]
    return read


@contextlib.contextmanager
def _server(url: str | None) -> Iterator[str]:
    if url:
        yield url
    else:
        with database_server() as embedded:
            yield embedded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get(TEST_DATABASE_URL_ENV))
    parser.add_argument("--submits", type=int, default=2000)
    parser.add_argument("--waits", type=int, default=40)
    options = parser.parse_args()
    print(run(options.database_url, options.submits, options.waits))


def run(admin_url: str | None, submits: int, waits: int) -> str:
    """The Markdown report (see the module docstring)."""
    from tests.support.pgbouncer import pgbouncer_binary, pgbouncer_version, running_pgbouncer

    binary = pgbouncer_binary()
    if binary is None:
        raise SystemExit("pgbouncer is not installed (apt-get install pgbouncer)")
    with (
        _server(admin_url) as server,
        temporary_database(server, "bench_poolers") as direct,
        running_pgbouncer(server) as bouncer,
    ):
        pooled = bouncer.via(direct)
        bouncer.spread(pooled)
        with psycopg.connect(direct) as conn:
            version = conn.execute("SHOW server_version").fetchone()
        lines = [
            f"PostgreSQL {version[0] if version else '?'}, PgBouncer "
            f"{'.'.join(map(str, pgbouncer_version(binary)))} (pool_mode = transaction), "
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}",
            "",
            f"Submit latency, {submits:,} `submit_task` calls one after another:",
            "",
            "| connection | prepared statements | median ms | p99 ms | submits/s |",
            "|---|---|---|---|---|",
        ]
        base = Config(database_url=direct, min_pool_size=1, max_pool_size=1)
        for where, url in (("direct", direct), ("pgbouncer", pooled)):
            for prepared in (True, False):
                cells = submit_latency(
                    replace(base, database_url=url, prepared_statements=prepared), submits
                )
                lines.append(f"| {where} | {'on' if prepared else 'off'} | {cells} |")
        lines += [
            "",
            f"Wait wake-up latency, {waits} waits through pgbouncer (prepared statements off),"
            " from the completion's commit to `wait_for_task` returning:",
            "",
            "| waits learn of a finish by | median ms | p95 ms | max ms |",
            "|---|---|---|---|",
        ]
        with psycopg.connect(direct) as conn:
            conn.execute("TRUNCATE tasklib.tasks")  # each wait's claim takes its own task
        pooled_config = replace(base, database_url=pooled, prepared_statements=False)
        modes = [
            ("LISTEN on `listen_url` (direct)", replace(pooled_config, listen_url=direct)),
            *(
                (
                    f"polling, `poll_interval_seconds={interval:g}`",
                    replace(pooled_config, listen_notify=False, poll_interval_seconds=interval),
                )
                for interval in (1.0, 0.2)
            ),
        ]
        for label, config in modes:
            lines.append(f"| {label} | {wake_latency(config, direct, waits)} |")
        return "\n".join(lines)


if __name__ == "__main__":
    main()
