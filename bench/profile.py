"""Where a submit's time goes, and where a claim/complete cycle's time goes: Python and SQL.

``python -m bench.profile`` (with the bench group) measures on a fresh database of an embedded
PostgreSQL 18 (or of ``--database-url``'s server) and writes bench/results/profile-<stamp>.md:

- Python side, with cProfile: ``--submits`` sequential ``await tasklib.submit_task(noop)``
  calls; then one in-process ``TaskWorker`` (``--concurrency``) draining ``--tasks`` no-op
  tasks submitted beforehand, its claims and completions included. Time is grouped by where
  the code lives (tasklib, psycopg, pydantic, asyncio, waiting for the server in the event
  loop's ``select``), then listed by function.
- SQL side, per PL/pgSQL function: ``track_functions = 'all'`` on the database, so the same
  two runs leave each function's calls, total and self time in ``pg_stat_user_functions``.
- SQL side, per statement inside the functions: ``auto_explain`` (loaded in one session,
  ``log_analyze``, nested statements, at NOTICE level) over the statements the client and the
  worker send (tasklib.db.statements' SUBMIT, CLAIM and COMPLETE), run directly; its timings
  include EXPLAIN ANALYZE's own instrumentation overhead, so they rank rather than measure.

pg_stat_statements needs ``shared_preload_libraries``, a server restart, so it is not used.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
import uuid
from collections import defaultdict
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

import tasklib
from bench.run import REPO, RESULTS_DIR
from bench.server import PgServer
from bench.systems.tasklib_system import noop
from tasklib.client._core import ClientCore
from tasklib.db import statements

WORKER = "bench-profile"
CLAIM_BATCH = 100
TOP = 15


# -- Python side --------------------------------------------------------------------------------


_WAITING = "the event loop's select (waiting for the server)"


def _where(filename: str, function: str) -> str:
    if "select.epoll" in function or "selectors" in filename:
        return _WAITING
    for part, label in (
        ("/tasklib/", "tasklib"),
        ("/psycopg_pool/", "psycopg_pool"),
        ("/psycopg/", "psycopg"),
        ("/pydantic", "pydantic"),
        ("/asyncio/", "asyncio"),
    ):
        if part in filename:
            return label
    if filename == "~":
        return "C built-ins"
    return "other Python"


def _summary(profile: cProfile.Profile, wall: float, count: int, what: str) -> dict[str, Any]:
    """Self time grouped by where the code lives, and the top functions by self time."""
    stats = pstats.Stats(profile)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    groups: dict[str, float] = defaultdict(float)
    functions = []
    total = 0.0
    for (filename, line, function), (_cc, calls, tottime, cumtime, _callers) in raw.items():
        groups[_where(filename, function)] += tottime
        total += tottime
        short = filename if filename == "~" else "/".join(Path(filename).parts[-2:])
        functions.append(
            {
                "function": f"{short}:{line}({function})",
                "calls_per_op": calls / count,
                "self_us_per_op": tottime / count * 1e6,
                "cumulative_us_per_op": cumtime / count * 1e6,
            }
        )
    functions.sort(key=lambda f: f["self_us_per_op"], reverse=True)
    return {
        "what": what,
        "count": count,
        "wall_us_per_op": wall / count * 1e6,
        "profiled_us_per_op": total / count * 1e6,
        "groups_us_per_op": {
            k: v / count * 1e6 for k, v in sorted(groups.items(), key=lambda kv: -kv[1])
        },
        "top": functions[:TOP],
    }


async def _profile_submits(url: str, n: int) -> dict[str, Any]:
    tasklib.init(tasklib.Config(database_url=url))
    try:
        for _ in range(50):  # pool, prepared statements and pydantic models warm
            await tasklib.submit_task(noop)
        started = time.perf_counter()
        for _ in range(n):
            await tasklib.submit_task(noop)
        unprofiled = time.perf_counter() - started
        await _reset_function_stats(url)
        profile = cProfile.Profile(time.process_time)
        started = time.perf_counter()
        profile.enable()
        for _ in range(n):
            await tasklib.submit_task(noop)
        profile.disable()
        wall = time.perf_counter() - started
    finally:
        await tasklib.aclose()
    out = _summary(profile, wall, n, f"{n:,} sequential `await tasklib.submit_task(noop)`")
    out["unprofiled_us_per_op"] = unprofiled / n * 1e6
    out["sql_functions"] = await _function_stats(url, n)
    return out


async def _completed(conn: psycopg.AsyncConnection[Any]) -> int:
    row = await (
        await conn.execute("SELECT count(*) FROM tasklib.tasks WHERE state = 'completed'")
    ).fetchone()
    return int(row[0]) if row else 0


async def _profile_worker(url: str, n: int, concurrency: int) -> dict[str, Any]:
    """A worker draining ``n`` no-ops; profiled from its first completions (start-up excluded)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("TRUNCATE tasklib.tasks")
        tasklib.init(tasklib.Config(database_url=url))
        try:
            for first in range(0, n, 1000):
                await tasklib.submit_many(noop.prepare() for _ in range(min(1000, n - first)))
        finally:
            await tasklib.aclose()
        worker = tasklib.TaskWorker(
            tasklib.Config(database_url=url), concurrency=concurrency, handle_signals=False
        )
        # The SQL counters cover the whole drain (start-up included, a few calls).
        await _reset_function_stats(url)
        running = asyncio.create_task(worker.run())
        while (before := await _completed(conn)) == 0:  # noqa: ASYNC110 (a state in the database)
            await asyncio.sleep(0.001)
        profile = cProfile.Profile(time.process_time)
        started = time.perf_counter()
        profile.enable()
        while (done := await _completed(conn)) < n:
            if running.done():
                running.result()
                raise RuntimeError("the worker stopped before the queue was drained")
            await asyncio.sleep(0.01)
        profile.disable()
        wall = time.perf_counter() - started
        await worker.stop()
        await running
    count = done - before
    out = _summary(
        profile,
        wall,
        count,
        f"one TaskWorker (concurrency {concurrency}) draining no-op tasks, {count:,} of them"
        " while profiled; per task",
    )
    out["sql_functions"] = await _function_stats(url, n)
    return out


# -- SQL side -----------------------------------------------------------------------------------


async def _reset_function_stats(url: str) -> None:
    # Backends flush their function counters up to a second late: let the earlier calls land.
    await asyncio.sleep(1.5)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("SELECT pg_stat_reset()")


async def _function_stats(url: str, per: int) -> list[dict[str, Any]]:
    """pg_stat_user_functions of schema tasklib, per operation (submit, or task drained)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        # Backends flush their counters at most once a second; wait for the last ones.
        await asyncio.sleep(1.5)
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        rows = await (
            await conn.execute(
                "SELECT funcname, calls, total_time, self_time FROM pg_stat_user_functions"
                " WHERE schemaname = 'tasklib' ORDER BY self_time DESC"
            )
        ).fetchall()
    return [
        {
            "function": f"tasklib.{name}",
            "calls_per_op": calls / per,
            "total_us_per_op": total * 1000 / per,
            "self_us_per_op": self_time * 1000 / per,
        }
        for name, calls, total, self_time in rows
    ]


def _explained(notices: list[str], cycles: int) -> list[dict[str, Any]]:
    """auto_explain's JSON notices, summed by statement, per call of the outer statement."""
    per: dict[str, list[float]] = defaultdict(list)
    for notice in notices:
        _, _, body = notice.partition("plan:")
        try:
            plan = json.loads(body)
        except json.JSONDecodeError:
            continue
        text = " ".join(plan["Query Text"].split())
        per[text].append(float(plan["Plan"]["Actual Total Time"]))
    return [
        {"statement": text, "per_call": len(times) / cycles, "ms_per_cycle": sum(times) / cycles}
        for text, times in sorted(per.items(), key=lambda kv: -sum(kv[1]))
    ]


def _timed(conn: psycopg.Connection[Any], query: str, params: Any = None) -> tuple[float, Any]:
    started = time.perf_counter()
    cursor = conn.execute(query, params)
    rows = cursor.fetchall() if cursor.description else None
    return time.perf_counter() - started, rows


def _sql_side(url: str, cycles: int) -> dict[str, Any]:
    """Each call's statement split from its commit, and auto_explain's nested statements."""
    # The very statement and parameters submit_task sends for the no-op task.
    submit = ClientCore(tasklib.Config(database_url=url)).submit(noop, {}, {}, own_connection=True)
    out: dict[str, Any] = {"cycles": cycles}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "SELECT count(*) FROM tasklib.submit_many(%s::jsonb)",
            (json.dumps([{"name": "bench.noop"}] * (CLAIM_BATCH * (2 * cycles + 20))),),
        )

        def claim() -> tuple[float, list[str], str]:
            token = str(uuid.uuid4())
            seconds, rows = _timed(
                conn, statements.CLAIM, (WORKER, CLAIM_BATCH, None, 60.0, token, None)
            )
            return seconds, [row[0] for row in rows], token

        def complete(ids: list[str], token: str) -> float:
            seconds, _ = _timed(
                conn,
                statements.COMPLETE,
                {
                    "n": len(ids),
                    "worker": WORKER,
                    "ids": "{" + ",".join(ids) + "}",
                    "tokens": "{" + ",".join([token] * len(ids)) + "}",
                    "results": json.dumps([None] * len(ids)),
                },
            )
            return seconds

        # Each call in an explicit transaction: its execution (one round trip) and its COMMIT
        # (another round trip, and the WAL flush that makes it durable) timed apart.
        split: dict[str, list[float]] = defaultdict(list)
        for cycle in range(cycles + 10):
            keep = cycle >= 10  # the first calls prepare and cache plans
            split["round trip (SELECT 1)"].append(_timed(conn, "SELECT 1")[0])
            conn.execute("BEGIN")
            split["submit: statement"].append(_timed(conn, submit.query, submit.params)[0])
            split["submit: COMMIT"].append(_timed(conn, "COMMIT")[0])
            conn.execute("BEGIN")
            seconds, ids, token = claim()
            split["claim of 100: statement"].append(seconds)
            split["claim of 100: COMMIT"].append(_timed(conn, "COMMIT")[0])
            conn.execute("BEGIN")
            split["complete of 100: statement"].append(complete(ids, token))
            split["complete of 100: COMMIT"].append(_timed(conn, "COMMIT")[0])
            if not keep:
                for values in split.values():
                    values.pop()
        out["split_us"] = {k: statistics.median(v) * 1e6 for k, v in split.items()}

        notices: list[str] = []
        conn.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
        for setting in (
            "LOAD 'auto_explain'",
            "SET auto_explain.log_min_duration = 0",
            "SET auto_explain.log_analyze = on",
            "SET auto_explain.log_timing = on",
            "SET auto_explain.log_nested_statements = on",
            "SET auto_explain.log_format = json",
            "SET auto_explain.log_level = notice",
        ):
            conn.execute(setting)
        notices.clear()
        for _ in range(cycles):
            conn.execute(submit.query, submit.params)
        out["submit"] = _explained(notices, cycles)
        notices.clear()
        for _ in range(cycles):
            _, ids, token = claim()
            complete(ids, token)
        out["claim_complete"] = _explained(notices, cycles)
    return out


# -- report -------------------------------------------------------------------------------------


def markdown(result: dict[str, Any]) -> str:
    sql = result["sql"]
    split = sql["split_us"]
    submit, worker = result["submit"], result["worker"]
    lines = [
        f"# Profile of submit and of claim/complete ({result['started_at']})",
        "",
        f"`{result['command']}` at commit {result['commit']}; PostgreSQL "
        f"{result['server_version']} ({result['origin']}); load average "
        f"{result['loadavg'][0]:.2f} at the start (other work on the machine moves every figure). "
        "Python side: cProfile timing CPU time (`time.process_time`), so that time the process "
        "spends descheduled on a loaded machine is not charged to whatever function ran last; "
        "its own overhead inflates Python's share; "
        "SQL side: `track_functions = 'all'` for the same runs, statements timed apart from "
        "their COMMIT in explicit transactions, and auto_explain (`log_analyze`, nested "
        "statements) over the client's statements run directly. µs are per operation: per "
        "submit, or per task drained.",
        "",
        "## Summary",
        "",
        "| A single submit (`await tasklib.submit_task(noop)`) | µs |",
        "|---|---|",
        f"| wall time, not profiled | {submit['unprofiled_us_per_op']:,.0f} |",
        f"| wall time, profiled | {submit['wall_us_per_op']:,.0f} |",
        f"| the client's CPU time, profiled (all Python and C frames) "
        f"| {submit['profiled_us_per_op']:,.0f} |",
        f"| server round trip (`SELECT 1`, psycopg, median) "
        f"| {split['round trip (SELECT 1)']:,.0f} |",
        f"| the submit statement in a transaction (a round trip + `tasklib.submit`) "
        f"| {split['submit: statement']:,.0f} |",
        f"| its `COMMIT` (a round trip + the WAL flush) | {split['submit: COMMIT']:,.0f} |",
        "",
        "| Claim/complete, per task (batches of 100 in the direct SQL rows) | µs |",
        "|---|---|",
        f"| worker wall time per task drained (concurrency {result['concurrency']}), profiled "
        f"| {worker['wall_us_per_op']:,.1f} |",
        f"| the worker's CPU time, profiled | {worker['profiled_us_per_op']:,.1f} |",
        f"| claim of 100 statement / 100 | {split['claim of 100: statement'] / 100:,.1f} |",
        f"| its COMMIT / 100 | {split['claim of 100: COMMIT'] / 100:,.1f} |",
        f"| complete of 100 statement / 100 | {split['complete of 100: statement'] / 100:,.1f} |",
        f"| its COMMIT / 100 | {split['complete of 100: COMMIT'] / 100:,.1f} |",
        "",
    ]
    for key, title in (("submit", "A single submit"), ("worker", "Claim/complete (the worker)")):
        part = result[key]
        lines += [
            f"## {title}: Python and SQL functions",
            "",
            f"{part['what']}: {part['wall_us_per_op']:,.1f} µs of wall time per operation "
            "under the profiler.",
            "",
            "| Where (self CPU time) | µs per operation |",
            "|---|---|",
        ]
        lines += [f"| {k} | {v:,.1f} |" for k, v in part["groups_us_per_op"].items() if v >= 0.05]
        lines += [
            "",
            "| Python function (top by self CPU time) | calls | self µs | cumulative µs |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| `{f['function']}` | {f['calls_per_op']:.3f} | {f['self_us_per_op']:,.1f} | "
            f"{f['cumulative_us_per_op']:,.1f} |"
            for f in part["top"]
        ]
        lines += [
            "",
            "| SQL function (`pg_stat_user_functions`) | calls | total µs | self µs |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| `{f['function']}` | {f['calls_per_op']:.3f} | {f['total_us_per_op']:,.1f} | "
            f"{f['self_us_per_op']:,.1f} |"
            for f in part["sql_functions"]
            if f["calls_per_op"] > 0
        ]
        lines.append("")
    for key, title in (
        ("submit", "Statements inside a submit (auto_explain)"),
        ("claim_complete", f"Statements inside a claim of {CLAIM_BATCH} and its complete"),
    ):
        lines += [
            f"## {title}",
            "",
            f"Actual total time per call of the outer statement, over {sql['cycles']} calls; an "
            "outer statement's time includes its nested ones.",
            "",
            "| ms per call | times per call | statement |",
            "|---|---|---|",
        ]
        for entry in sql[key][:12]:
            text = entry["statement"]
            text = text if len(text) <= 160 else text[:157] + "..."
            lines.append(
                f"| {entry['ms_per_cycle']:.3f} | {entry['per_call']:.2f} | "
                f"`{text.replace('|', '/')}` |"
            )
        lines.append("")
    return "\n".join(lines)


async def main(argv: list[str]) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--database-url", default=None, help="admin URL of a server to use")
    parser.add_argument("--submits", type=int, default=2000)
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=1000)
    parser.add_argument("--statement-cycles", type=int, default=200)
    parser.add_argument("--db-prefix", default="bench_")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    from bench import machine

    started = datetime.now(UTC)
    result: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "command": "python -m bench.profile " + " ".join(argv),
        "commit": machine.git_commit(REPO),
        "loadavg": os.getloadavg(),
    }
    with ExitStack() as stack:
        server = PgServer(args.database_url, stack)
        result["origin"] = server.origin
        result["server_version"] = server.settings()["server_version"]
        database = f"{args.db_prefix}profile"
        url = server.fresh_database(database)
        stack.callback(server.drop_database, database)
        await asyncio.to_thread(tasklib.migrate, url)
        with psycopg.connect(server.admin_url, autocommit=True) as conn:
            conn.execute(f"ALTER DATABASE \"{database}\" SET track_functions = 'all'")
        result["submit"] = await _profile_submits(url, args.submits)
        result["worker"] = await _profile_worker(url, args.tasks, args.concurrency)
        result["concurrency"] = args.concurrency
        result["sql"] = await asyncio.to_thread(_sql_side, url, args.statement_cycles)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"profile-{started.strftime('%Y%m%dT%H%M%SZ')}.md"
    path.write_text(markdown(result) + "\n")
    path.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    return path


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1:])))
