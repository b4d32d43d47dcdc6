"""purge_all: deletes every old finished task in committed batches, and nothing else."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest


def _insert(conn: psycopg.Connection[Any], state: str, age: str, n: int, **extra: Any) -> None:
    retry_count = extra.get("retry_count", 0)
    conn.execute(
        "INSERT INTO tasklib.tasks (name, state, retry_count, max_retries, completed_at,"
        " next_retry_at, scheduled_at)"
        " SELECT %s, %s, %s, 3, CASE WHEN %s THEN now() - %s::interval END,"
        " CASE WHEN %s THEN now() END, now() - %s::interval FROM generate_series(1, %s)",
        (
            f"purge.{state}.{age}",
            state,
            retry_count,
            extra.get("finished", True),
            age,
            extra.get("retrying", False),
            age,
            n,
        ),
    )


def test_purge_all_removes_only_old_finished_tasks(conn: psycopg.Connection[Any]) -> None:
    _insert(conn, "completed", "10 days", 25)
    _insert(conn, "cancelled", "10 days", 3)
    _insert(conn, "failed", "10 days", 4, retry_count=3)
    _insert(conn, "completed", "1 day", 5)
    _insert(conn, "failed", "10 days", 2, retry_count=1, finished=False, retrying=True)
    _insert(conn, "pending", "10 days", 2, finished=False)
    conn.execute(
        "SELECT tasklib.worker_heartbeat('purge.stale', gen_random_uuid()),"
        " tasklib.worker_heartbeat('purge.live', gen_random_uuid())"
    )
    conn.execute(
        "UPDATE tasklib.workers SET last_seen_at = now() - interval '2 hours'"
        " WHERE worker = 'purge.stale'"
    )
    notices: list[str] = []
    conn.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))

    conn.execute("CALL tasklib.purge_all(older_than => '7 days', batch_size => 10)")

    left = conn.execute(
        "SELECT name, count(*) FROM tasklib.tasks GROUP BY name ORDER BY name"
    ).fetchall()
    assert left == [
        ("purge.completed.1 day", 5),
        ("purge.failed.10 days", 2),
        ("purge.pending.10 days", 2),
    ]
    assert conn.execute("SELECT worker FROM tasklib.workers").fetchall() == [("purge.live",)]
    assert notices == [
        "tasklib.purge_all: deleted 32 tasks and 1 stale workers (and 0 idle queue keys)"
    ]


def test_purge_all_keeps_workers_when_asked(conn: psycopg.Connection[Any]) -> None:
    conn.execute("SELECT tasklib.worker_heartbeat('purge.stale', gen_random_uuid())")
    conn.execute("UPDATE tasklib.workers SET last_seen_at = now() - interval '2 days'")
    conn.execute("CALL tasklib.purge_all(forget_workers_after => NULL)")
    assert conn.execute("SELECT count(*) FROM tasklib.workers").fetchone() == (1,)


def test_purge_all_needs_its_own_transactions(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(psycopg.errors.InvalidTransactionTermination), conn.transaction():
        conn.execute("CALL tasklib.purge_all()")
