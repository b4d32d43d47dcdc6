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
import re
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


def _where(filename: str, function: str) -> str:
    if "select.epoll" in function or "selectors" in filename:
        return "waiting for the server (event loop's select)"
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
        return f"built-ins ({function.split(' of ')[0].strip('{<')})"[:60]
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
        await _reset_function_stats(url)
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        for _ in range(n):
            await tasklib.submit_task(noop)
        profile.disable()
        wall = time.perf_counter() - started
    finally:
        await tasklib.aclose()
    out = _summary(profile, wall, n, f"{n:,} sequential `await tasklib.submit_task(noop)`")
    out["sql_functions"] = await _function_stats(url, n)
    return out


async def _profile_worker(url: str, n: int, concurrency: int) -> dict[str, Any]:
    tasklib.init(tasklib.Config(database_url=url))
    try:
        for first in range(0, n, 1000):
            await tasklib.submit_many(noop.prepare() for _ in range(min(1000, n - first)))
    finally:
        await tasklib.aclose()
    await _reset_function_stats(url)
    worker = tasklib.TaskWorker(
        tasklib.Config(database_url=url), concurrency=concurrency, handle_signals=False
    )
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        running = asyncio.create_task(worker.run())
        while True:
            await asyncio.sleep(0.01)
            row = await (
                await conn.execute("SELECT count(*) FROM tasklib.tasks WHERE state = 'completed'")
            ).fetchone()
            if row is not None and row[0] >= n:
                break
            if running.done():
                running.result()
                raise RuntimeError("the worker stopped before the queue was drained")
        wall = time.perf_counter() - started
        profile.disable()
        await worker.stop()
        await running
    out = _summary(
        profile,
        wall,
        n,
        f"one TaskWorker (concurrency {concurrency}) draining {n:,} no-op tasks; per task",
    )
    out["sql_functions"] = await _function_stats(url, n)
    return out


# -- SQL side -----------------------------------------------------------------------------------


async def _reset_function_stats(url: str) -> None:
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


_DURATION = re.compile(r"duration: ([0-9.]+) ms\s+plan:\s*\n\s*Query Text: (.*?)\n(.*)", re.S)


def _statements(url: str, cycles: int) -> dict[str, Any]:
    """auto_explain's timings of each statement run inside submit, claim and complete."""
    with psycopg.connect(url, autocommit=True) as conn:
        notices: list[str] = []
        conn.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
        for setting in (
            "LOAD 'auto_explain'",
            "SET auto_explain.log_min_duration = 0",
            "SET auto_explain.log_analyze = on",
            "SET auto_explain.log_timing = on",
            "SET auto_explain.log_nested_statements = on",
            "SET auto_explain.log_level = notice",
        ):
            conn.execute(setting)
        # The very statement and parameters submit_task sends for the no-op task.
        submit = ClientCore(tasklib.Config(database_url=url)).submit(
            noop, {}, {}, own_connection=True
        )
        out: dict[str, Any] = {}

        def run(label: str, call: Any) -> None:
            for _ in range(5):  # plans cached, as in a long-running client
                call()
            notices.clear()
            for _ in range(cycles):
                call()
            per: dict[str, list[float]] = defaultdict(list)
            plans: dict[str, str] = {}
            for notice in notices:
                match = _DURATION.search(notice)
                if match is None:
                    continue
                text = " ".join(match.group(2).split())
                per[text].append(float(match.group(1)))
                plans.setdefault(text, match.group(3).strip())
            out[label] = [
                {
                    "statement": text,
                    "per_call": len(times) / cycles,
                    "ms_per_cycle": sum(times) / cycles,
                    "plan": plans[text],
                }
                for text, times in sorted(per.items(), key=lambda kv: -sum(kv[1]))
            ]

        run("submit", lambda: conn.execute(submit.query, submit.params))

        conn.execute(
            "SELECT count(*) FROM tasklib.submit_many(%s::jsonb)",
            (json.dumps([{"name": "bench.noop"}] * (CLAIM_BATCH * (cycles + 10))),),
        )

        def claim_complete() -> None:
            token = str(uuid.uuid4())
            ids = [
                row[0]
                for row in conn.execute(
                    statements.CLAIM, (WORKER, CLAIM_BATCH, None, 60.0, token, None)
                )
            ]
            conn.execute(
                statements.COMPLETE,
                {
                    "n": len(ids),
                    "worker": WORKER,
                    "ids": "{" + ",".join(ids) + "}",
                    "tokens": "{" + ",".join([token] * len(ids)) + "}",
                    "results": json.dumps([None] * len(ids)),
                },
            )

        run("claim_complete", claim_complete)
    return out


# -- report -------------------------------------------------------------------------------------


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"# Profile of submit and of claim/complete ({result['started_at']})",
        "",
        f"`{result['command']}` at commit {result['commit']}; PostgreSQL "
        f"{result['server_version']} ({result['origin']}); load average "
        f"{result['loadavg'][0]:.2f} at the start. Python side: cProfile (its own overhead "
        "inflates Python's share); SQL side: `track_functions = 'all'` for the same runs, and "
        "auto_explain (`log_analyze`, nested statements) over the client's statements run "
        "directly. µs are per operation: per submit, or per task drained.",
        "",
    ]
    for key, title in (("submit", "A single submit"), ("worker", "Claim/complete (the worker)")):
        part = result[key]
        lines += [
            f"## {title}",
            "",
            f"{part['what']}: {part['wall_us_per_op']:,.0f} µs of wall time per operation "
            f"under the profiler ({part['profiled_us_per_op']:,.0f} µs of it in profiled "
            "Python frames of the main thread).",
            "",
            "| Where (self time) | µs per operation |",
            "|---|---|",
        ]
        lines += [f"| {k} | {v:,.1f} |" for k, v in part["groups_us_per_op"].items() if v >= 0.5]
        lines += [
            "",
            "| Python function (top by self time) | calls | self µs | cumulative µs |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| `{f['function']}` | {f['calls_per_op']:.2f} | {f['self_us_per_op']:,.1f} | "
            f"{f['cumulative_us_per_op']:,.1f} |"
            for f in part["top"]
        ]
        lines += [
            "",
            "| SQL function | calls | total µs | self µs |",
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
        ("claim_complete", f"Statements inside one claim of {CLAIM_BATCH} and its complete"),
    ):
        lines += [
            f"## {title}",
            "",
            f"Per call of the outer statement, over {result['statement_cycles']} calls; the "
            "outer statement's time includes its nested ones.",
            "",
            "| ms per call | times per call | statement |",
            "|---|---|---|",
        ]
        for entry in result["statements"][key][:12]:
            text = entry["statement"]
            text = text if len(text) <= 140 else text[:137] + "..."
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
        result["statement_cycles"] = args.statement_cycles
        result["statements"] = await asyncio.to_thread(_statements, url, args.statement_cycles)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"profile-{started.strftime('%Y%m%dT%H%M%SZ')}.md"
    path.write_text(markdown(result) + "\n")
    path.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    return path


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1:])))
