"""Server time per dashboard page at a given number of tasks (1M by default).

    uv run python -m bench.dashboard [--database-url ADMIN_URL] [--tasks 1000000] [--runs 20]

Creates (once) the database tasklib_dashboard_bench_<tasks> on that server, fills its tasks
table, then requests each page through the ASGI app in-process (httpx's ASGITransport: no
socket, so the time is the server's: routing, SQL, rendering) and prints the median and p95 per
page with the plan of the list's query. docs/operations.md keeps the measured numbers.

The table is filled by one INSERT ... SELECT as the owner, not through submit: a million
submits would take minutes and measure nothing the dashboard does. Each row is one a worker
could have left: ids in the UUIDv7 layout of tasklib._uuid_v7 taken from created_at (so the
primary key is in creation order, as submit makes it), the states in realistic shares, every
CHECK kept.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from uuid import UUID

import httpx
import psycopg

from tasklib import migrate
from tasklib.dashboard import create_app
from tasklib.testing import TEST_DATABASE_URL_ENV

# created_at spreads evenly over the last 7 days; the newest tasks are the unfinished ones.
# Shares: 94% completed, 3% failed for good, 0.5% cancelled, 0.5% failed waiting for a retry,
# 2% pending (among the newest 4%, so the last hours have finished tasks too); 20 running.
# 20 task names, 4 queues, tags on every tenth task (1,000 distinct customers).
FILL = """
INSERT INTO tasklib.tasks (id, name, queue, args, state, priority, tags, result, error,
                           retry_count, attempt, max_retries, scheduled_at, next_retry_at,
                           started_at, completed_at, created_at, worker_id, lease_token,
                           locked_until)
SELECT encode(set_bit(set_bit(
           overlay(uuid_send(gen_random_uuid())
                   PLACING substring(
                       int8send(floor(extract(epoch FROM g.created_at) * 1000)::bigint) FROM 3)
                   FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid,
       'bench.task_' || (g.i %% 20),
       (ARRAY['default', 'mail', 'billing', 'reports'])[1 + g.i %% 4],
       jsonb_build_object('n', g.i, 'customer', 'c' || (g.i %% 1000)),
       g.state,
       0,
       CASE WHEN g.i %% 10 = 0 THEN jsonb_build_object('customer', 'c' || (g.i %% 1000))
            ELSE '{}' END,
       CASE WHEN g.state = 'completed' THEN jsonb_build_object('value', g.i) END,
       CASE WHEN g.state = 'failed'
            THEN E'Traceback (most recent call last):\\n  File "bench.py", line 1, in task\\n'
                 || E'ValueError: bench failure ' || g.i END,
       CASE WHEN g.state = 'failed' THEN 3 ELSE 0 END,
       CASE WHEN g.state IN ('pending', 'cancelled') THEN 0
            WHEN g.state = 'failed' THEN 4 ELSE 1 END,
       CASE WHEN g.state = 'failed' AND g.retrying THEN 5 ELSE 3 END,
       g.created_at,
       CASE WHEN g.state = 'failed' AND g.retrying THEN now() + interval '1 minute' END,
       CASE WHEN g.state IN ('completed', 'failed', 'running') THEN g.created_at END,
       CASE WHEN g.state IN ('completed', 'cancelled') OR (g.state = 'failed' AND NOT g.retrying)
            THEN g.created_at + interval '150 milliseconds' END,
       g.created_at,
       CASE WHEN g.state IN ('completed', 'failed', 'running')
            THEN 'bench-worker-' || (g.i %% 4) END,
       CASE WHEN g.state = 'running' THEN gen_random_uuid() END,
       CASE WHEN g.state = 'running' THEN now() + interval '1 minute' END
  FROM (SELECT s.i,
               now() - (%(n)s - s.i) * (interval '7 days' / %(n)s) AS created_at,
               CASE WHEN s.i > %(n)s - 20 THEN 'running'
                    WHEN s.i > %(n)s * 0.96 AND s.i %% 2 = 0 THEN 'pending'
                    WHEN s.i %% 200 = 7 THEN 'cancelled'
                    WHEN s.i %% 200 IN (3, 4, 5, 6, 8, 9) THEN 'failed'
                    WHEN s.i %% 200 = 11 THEN 'failed'
                    ELSE 'completed' END AS state,
               s.i %% 200 = 11 AS retrying
          FROM generate_series(1, %(n)s) AS s(i)) g
"""

QUEUES = (
    "INSERT INTO tasklib.queues (name) VALUES ('mail'), ('billing'), ('reports')"
    " ON CONFLICT DO NOTHING"
)

# What an operator opens, from the cheapest to the dearest.
PAGES = (
    ("overview", "/"),
    ("tasks, newest", "/tasks"),
    ("tasks, 200 per page", "/tasks?limit=200"),
    ("tasks, page in the middle", "/tasks?before={middle}"),
    ("tasks, state failed", "/tasks?state=failed"),
    ("tasks, name + state failed", "/tasks?name=bench.task_3&state=failed"),
    ("tasks, tag customer=c10", "/tasks?tags=customer%3Dc10"),
    ("tasks, last hour, state failed", "/tasks?range=1h&state=failed"),
    ("tasks, name that has no task", "/tasks?name=bench.none"),
    ("tasks, no such name, last 24h", "/tasks?name=bench.none&range=24h"),
    ("task detail", "/tasks/{middle}"),
    ("workers", "/workers"),
    ("queues", "/queues"),
)


def database_url(admin_url: str, name: str) -> str:
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


def prepare(admin_url: str, tasks: int) -> str:
    """The URL of a migrated database holding ``tasks`` tasks (made the first time)."""
    name = f"tasklib_dashboard_bench_{tasks}"
    url = database_url(admin_url, name)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    migrate(url)
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM tasklib.tasks").fetchone()
        if row is None or row[0] != tasks:
            print(f"filling {name} with {tasks} tasks ...", flush=True)
            started = time.monotonic()
            conn.execute("TRUNCATE tasklib.tasks")
            conn.execute(FILL, {"n": tasks})
            conn.execute(QUEUES)
            conn.execute("VACUUM ANALYZE tasklib.tasks")
            print(f"  filled in {time.monotonic() - started:.0f} s", flush=True)
    return url


def explain(url: str, query: str, params: tuple[object, ...]) -> str:
    with psycopg.connect(url) as conn:
        rows = conn.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {query}", params).fetchall()
    return "\n".join(f"    {row[0]}" for row in rows)


async def measure(url: str, runs: int) -> list[tuple[str, float, float]]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT id FROM tasklib.tasks ORDER BY id"
            " OFFSET (SELECT count(*) / 2 FROM tasklib.tasks) LIMIT 1"
        ).fetchone()
    middle = str(row[0]) if row else str(UUID(int=0))
    app = create_app(url, refresh_seconds=0)
    results: list[tuple[str, float, float]] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for label, path in PAGES:
            path = path.format(middle=middle)
            for _ in range(2):  # warm: pool, prepared statements, caches
                response = await client.get(path)
                response.raise_for_status()
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                response = await client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            results.append((label, statistics.median(times), p95))
            print(f"{label:34} {path[:60]:60} median {results[-1][1]:7.1f} ms  p95 {p95:7.1f} ms")
    await app.state.dashboard.data.client.aclose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            TEST_DATABASE_URL_ENV, "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="an admin URL of the server to use (default: $TASKLIB_TEST_DATABASE_URL)",
    )
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20, help="requests per page (after 2 warm)")
    args = parser.parse_args()
    url = prepare(args.database_url, args.tasks)
    with open("/proc/loadavg") as load:
        print(f"load average at start: {load.read().split()[:3]}")
    asyncio.run(measure(url, args.runs))
    from tasklib.dashboard._filters import parse_query
    from tasklib.db.dashboard import task_page

    for label, params in (
        ("newest page", {}),
        ("state failed", {"state": "failed"}),
        ("no such name, last 24h", {"name": "bench.none", "range": "24h"}),
    ):
        query = parse_query(params)
        sql, values = task_page(query.task_filter, before=None, after=None, limit=51)
        print(f"plan of the list, {label}:\n{explain(url, sql, values)}")


if __name__ == "__main__":
    main()
