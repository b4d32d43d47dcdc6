"""Item 4: the cost of claiming 100 tasks as finished history grows (TaskLib only, raw SQL)."""

from __future__ import annotations

import json
import statistics
import time
import uuid
from typing import Any

import psycopg

import tasklib
from bench.stats import summary

WORKER = "bench-claim"
BATCH = 100

# Finished tasks as the worker leaves them, made in one statement so a million take seconds.
_HISTORY = """
INSERT INTO tasklib.tasks (name, state, result, scheduled_at, started_at, completed_at,
                           created_at, worker_id)
SELECT 'bench.noop', 'completed', '{"value": null}', at, at, at, at, 'history'
  FROM (SELECT now() - make_interval(secs => g::double precision / 1000) AS at
          FROM generate_series(1, %s) AS g) AS s
"""


def _cycle(conn: psycopg.Connection[Any]) -> float:
    """Queue 100 tasks, time one claim of 100, complete them; return the claim's seconds."""
    payload = json.dumps([{"name": "bench.noop"}] * BATCH)
    conn.execute("SELECT count(*) FROM tasklib.submit_many(%s::jsonb)", (payload,))
    token = uuid.uuid4()
    started = time.perf_counter()
    ids = [
        row[0]
        for row in conn.execute(
            "SELECT id FROM tasklib.claim(%s, %s, lease_token => %s)", (WORKER, BATCH, token)
        )
    ]
    elapsed = time.perf_counter() - started
    if len(ids) != BATCH:
        raise RuntimeError(f"claim returned {len(ids)} tasks, expected {BATCH}")
    conn.execute(
        "SELECT count(*) FROM tasklib.complete(%s, %s, %s::uuid[])",
        (WORKER, ids, [token] * len(ids)),
    )
    return elapsed


def _claim_plan(conn: psycopg.Connection[Any]) -> str:
    """The plan of the statements claim runs inside, through auto_explain at NOTICE level.

    EXPLAIN of ``SELECT tasklib.claim(...)`` shows only a function scan; auto_explain with
    nested statements shows the plan PL/pgSQL actually used for the claim's inner query.
    """
    notices: list[str] = []
    conn.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
    payload = json.dumps([{"name": "bench.noop"}] * BATCH)
    conn.execute("SELECT count(*) FROM tasklib.submit_many(%s::jsonb)", (payload,))
    with conn.transaction(force_rollback=True):
        conn.execute("LOAD 'auto_explain'")
        for setting, value in (
            ("auto_explain.log_min_duration", "0"),
            ("auto_explain.log_nested_statements", "on"),
            ("auto_explain.log_analyze", "on"),
            ("auto_explain.log_buffers", "on"),
            ("auto_explain.log_timing", "on"),
            ("auto_explain.log_level", "notice"),
        ):
            conn.execute("SELECT set_config(%s, %s, true)", (setting, value))
        conn.execute("SELECT count(*) FROM tasklib.claim(%s, %s)", (WORKER, BATCH)).fetchone()
    conn.execute("DELETE FROM tasklib.tasks WHERE state = 'pending'")
    inner = [text for text in notices if "due" in text and "LockRows" in text]
    return inner[0] if inner else "\n\n".join(notices)


def measure(url: str, history: tuple[int, ...], runs: int, cycles: int) -> dict[str, Any]:
    """Claim time (ms, median of ``cycles`` claims per run) at each history size."""
    tasklib.migrate(url)
    results: dict[str, Any] = {"batch": BATCH, "cycles_per_run": cycles, "sizes": {}}
    with psycopg.connect(url, autocommit=True) as conn:
        have = 0
        for size in sorted(history):
            started = time.perf_counter()
            conn.execute(_HISTORY, (size - have,))
            have = size
            conn.execute("VACUUM ANALYZE tasklib.tasks")
            fill_seconds = time.perf_counter() - started
            # Both sizes start alike: no checkpoint (and its full-page writes) in the timings.
            conn.execute("CHECKPOINT")
            # PL/pgSQL settles on a cached plan after five calls; warm past that and the cache.
            for _ in range(8):
                _cycle(conn)
            run_values = [
                statistics.median(_cycle(conn) for _ in range(cycles)) * 1000 for _ in range(runs)
            ]
            plan = _claim_plan(conn)
            results["sizes"][str(size)] = {
                "claim_ms": summary(run_values),
                "fill_seconds": fill_seconds,
                "plan": plan,
                "uses_tasks_claim_idx": "tasks_claim_idx" in plan,
            }
    small, large = (
        results["sizes"][str(s)]["claim_ms"]["median"] for s in (min(history), max(history))
    )
    results["ratio_large_to_small"] = large / small
    return results
