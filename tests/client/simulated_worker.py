"""A stand-in for TaskWorker: claims due tasks through the SQL API and runs them inline.

The client tests use it where the seed's outcome needs a worker (a task reaching
'completed'); the worker's own tests run the same scenarios with TaskWorker.
"""

from __future__ import annotations

import asyncio
import inspect
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from tasklib.registry import get_definition

WORKER_ID = "simulated-worker"

# The lease token of each claimed task: complete and fail must present the claim's token.
_TOKENS: dict[UUID, UUID] = {}


def claim(conn: psycopg.Connection[Any], n: int = 100) -> list[tuple[UUID, str, dict[str, Any]]]:
    """Claim up to n due tasks; return (id, name, args) in claim order."""
    token = uuid.uuid4()
    rows = conn.execute(
        "SELECT id, name, args FROM tasklib.claim(%s, %s, lease_token => %s)",
        (WORKER_ID, n, token),
    ).fetchall()
    for row in rows:
        _TOKENS[row[0]] = token
    return [(row[0], row[1], row[2]) for row in rows]


def complete(conn: psycopg.Connection[Any], task_id: UUID, value: Any) -> None:
    """Record value (JSON-ready) as the result of a task this worker holds."""
    conn.execute(
        "SELECT tasklib.complete(%s, %s, %s::uuid[], %s::jsonb[])",
        (WORKER_ID, [task_id], [_TOKENS.get(task_id)], [Jsonb(value)]),
    )


def fail(
    conn: psycopg.Connection[Any], task_id: UUID, error: str, retryable: bool = True
) -> tuple[str, Any]:
    """Record a failed attempt; return (state, next_retry_at)."""
    row = conn.execute(
        "SELECT state, next_retry_at FROM tasklib.fail(%s, %s, %s::uuid[], %s, %s)",
        (WORKER_ID, [task_id], [_TOKENS.get(task_id)], [error], [retryable]),
    ).fetchone()
    assert row is not None, f"task {task_id} was not running under {WORKER_ID}"
    return row[0], row[1]


def run_due_tasks(conn: psycopg.Connection[Any], n: int = 100) -> list[UUID]:
    """Claim due tasks and run each registered function, completing or failing it."""
    ran: list[UUID] = []
    for task_id, name, args in claim(conn, n):
        definition = get_definition(name)
        assert definition is not None, f"no task registered as {name!r}"
        try:
            value = definition.fn(**definition.rebuild_args(args))
            if inspect.isawaitable(value):
                with ThreadPoolExecutor(1) as thread:
                    value = thread.submit(asyncio.run, value).result()  # type: ignore[arg-type]
            complete(conn, task_id, definition.dump_result(value))
        except Exception:
            fail(conn, task_id, traceback.format_exc())
        ran.append(task_id)
    return ran
