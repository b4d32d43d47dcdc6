"""The tasklib command through PgBouncer in transaction mode: every subcommand but the worker,
and `tasklib migrate` (applying, re-running, rolling back, concurrently) (issue 20)."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import psycopg

from tasklib.config import DATABASE_URL_ENV
from tasklib.migrate import applied_changes, migrate, read_plan
from tests.cli.conftest import Result, run_tasklib
from tests.support.pgbouncer import PgBouncer

Conn = psycopg.Connection[tuple[Any, ...]]
Env = dict[str, str | None]


def _submit(conn: Conn, name: str, delay: float = 0) -> UUID:
    row = conn.execute("SELECT tasklib.submit(%s, delay_seconds => %s)", (name, delay)).fetchone()
    assert row is not None
    return UUID(str(row[0]))


def _run(env: Env, *args: str) -> Result:
    result = run_tasklib(*args, env=env, timeout=60)
    assert result.code == 0, f"tasklib {' '.join(args)} exited {result.code}: {result.err}"
    return result


def test_status_tasks_and_register(pooled_env: Env, conn: Conn) -> None:
    done = _submit(conn, "shop.receipt")
    token = "6f1c2a9e-0000-4000-8000-000000000001"
    conn.execute("SELECT tasklib.claim('cli', 1, lease_token => %s::uuid)", (token,))
    conn.execute(
        "SELECT tasklib.complete('cli', ARRAY[%s]::uuid[], ARRAY[%s]::uuid[])", (done, token)
    )
    later = _submit(conn, "shop.report", delay=3600)

    status = json.loads(_run(pooled_env, "status", "--json").out)
    assert status["overall"]["total"] == 2
    listed = json.loads(_run(pooled_env, "tasks", "list", "--json").out)
    assert {task["id"] for task in listed} == {str(done), str(later)}
    assert json.loads(_run(pooled_env, "tasks", "show", str(done), "--json").out)["id"] == str(done)
    _run(pooled_env, "tasks", "cancel", str(later))
    _run(pooled_env, "tasks", "retry", str(later))
    registered = json.loads(_run(pooled_env, "register", "examples.tasks", "--json").out)
    assert registered == {"registered": ["examples.resize_image", "examples.send_email"]}


def test_purge_in_many_batches(pooled_env: Env, conn: Conn) -> None:
    for _ in range(8):
        task_id = _submit(conn, "shop.receipt")
        conn.execute("SELECT tasklib.cancel(%s)", (task_id,))
    conn.execute("UPDATE tasklib.tasks SET completed_at = now() - interval '2 hours'")
    purged = _run(pooled_env, "purge", "--older-than", "1h", "--batch-size", "1", "--json")
    assert json.loads(purged.out)["deleted"] == 8


def _advisory_locks(url: str) -> list[tuple[Any, ...]]:
    """Advisory locks held in the database of ``url`` (asked on a direct connection)."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT pid, objid FROM pg_locks"
            " WHERE locktype = 'advisory' AND database ="
            " (SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchall()


def test_migrate_applies_reruns_and_rolls_back(
    pgbouncer: PgBouncer, make_database: Callable[[str], str]
) -> None:
    direct = make_database("pooler_migrate")
    pooled = pgbouncer.via(direct)
    pgbouncer.spread(pooled)
    env: Env = {DATABASE_URL_ENV: pooled}
    changes = [change.name for change in read_plan()]

    applied = _run(env, "migrate")
    assert applied.out.strip() == f"applied: {', '.join(changes)}"
    assert _advisory_locks(direct) == []
    assert _run(env, "migrate").out.strip() == "schema is up to date"
    assert _run(env, "migrate", "--rollback", "1").out.strip() == f"reverted: {changes[-1]}"
    assert _run(env, "migrate").out.strip() == f"applied: {changes[-1]}"
    assert _advisory_locks(direct) == []
    assert applied_changes(direct) == changes


def test_concurrent_migrations_apply_each_change_once(
    pgbouncer: PgBouncer, make_database: Callable[[str], str]
) -> None:
    direct = make_database("pooler_migrate_concurrently")
    pooled = pgbouncer.via(direct)
    pgbouncer.spread(pooled)
    with ThreadPoolExecutor(3) as pool:
        runs = [pool.submit(migrate, pooled) for _ in range(3)]
        applied = [name for run in runs for name in run.result(timeout=60)]
    changes = [change.name for change in read_plan()]
    assert sorted(applied) == sorted(changes)
    assert applied_changes(direct) == changes
    assert _advisory_locks(direct) == []
