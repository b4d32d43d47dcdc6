"""Claim and lease recovery use their partial indexes, however many finished tasks the table holds.

The queries are read out of the deployed functions, so the plans checked are the ones that run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest

FINISHED_ROWS = 50_000


def _function_query(
    conn: psycopg.Connection[tuple[object, ...]], function: str, opening: str
) -> str:
    """The locking query after ``opening`` (a CTE's or a LATERAL's) in a tasklib function."""
    row = conn.execute("SELECT prosrc FROM pg_proc WHERE oid = %s::regproc", (function,)).fetchone()
    assert row is not None
    match = re.search(rf"{opening} \((.*?FOR NO KEY UPDATE SKIP LOCKED)", str(row[0]), re.DOTALL)
    assert match is not None, (
        f"no '{opening}' query with FOR NO KEY UPDATE SKIP LOCKED in {function}"
    )
    return match.group(1)


def _plans(
    conn: psycopg.Connection[tuple[object, ...]], statement: str, arguments: str
) -> Iterator[str]:
    """EXPLAIN a prepared statement as a custom plan and as the generic plan PL/pgSQL may cache."""
    conn.execute(f"PREPARE probe AS {statement}")
    try:
        for mode in ("force_custom_plan", "force_generic_plan"):
            conn.execute(f"SET plan_cache_mode = {mode}")
            yield "\n".join(
                str(row[0])
                for row in conn.execute(f"EXPLAIN EXECUTE probe({arguments})").fetchall()
            )
    finally:
        conn.execute("RESET plan_cache_mode")
        conn.execute("DEALLOCATE probe")


@pytest.fixture
def big_history(
    conn: psycopg.Connection[tuple[object, ...]],
) -> psycopg.Connection[tuple[object, ...]]:
    """A table of many completed tasks, a few pending ones and a few running ones, analyzed."""
    conn.execute(
        """
        INSERT INTO tasklib.tasks
               (name, state, result, worker_id, started_at, completed_at, created_at)
        SELECT 'test.history', 'completed', '{"value": null}', 'w', now(), now(),
               now() - make_interval(secs => i)
          FROM generate_series(1, %s) AS i
        """,
        (FINISHED_ROWS,),
    )
    conn.execute(
        "SELECT tasklib.submit('test.pending', priority => p) FROM generate_series(1, 5) AS p"
    )
    conn.execute("SELECT * FROM tasklib.claim('test-worker', 2)")
    conn.execute("ANALYZE tasklib.tasks")
    return conn


def test_claim_uses_the_claim_index(big_history: psycopg.Connection[tuple[object, ...]]) -> None:
    # Each queue's range of the index: the queue and the count become the statement's parameters.
    due = _function_query(big_history, "tasklib.claim", "CROSS JOIN LATERAL")
    due = due.replace("fq.name", "$1::text").replace("claim.n - cardinality(v_rows)", "$2::integer")
    due = due.replace("claim.names", "NULL::text[]")
    for plan in _plans(big_history, due, "'default', 50"):
        assert "tasks_claim_idx" in plan, plan
        assert "Seq Scan" not in plan, plan


def test_recovery_uses_the_lease_index(big_history: psycopg.Connection[tuple[object, ...]]) -> None:
    expired = _function_query(big_history, "tasklib.recover_expired", "WITH expired AS")
    expired = expired.replace("recover_expired.max_tasks", "$1::integer")
    for plan in _plans(big_history, expired, "1000"):
        assert "tasks_lease_idx" in plan, plan
        assert "Seq Scan" not in plan, plan
