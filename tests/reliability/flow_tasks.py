"""Tasks of the flow-control scenarios: every execution writes its start and end to a table.

Each execution inserts a ``start`` row into ``flow_test.runs`` when its function begins and an
``end`` row when it is done, through one connection per worker process. A row carries the time
the function reached that point, read from the process's clock before the insert (so that
inserts queued behind one another on the connection do not shift it): the scenarios run the
workers on the database's host, whose clock stamps ``tasklib.claim``'s ``started_at``, so
executions, claims, pauses and suspensions lie on one time line. A process killed mid-task
leaves a start without an end.

Task names are explicit: the scenarios submit them through SQL with a queue and a limit key.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime

import psycopg

import tasklib

RUNS_DDL = """
CREATE SCHEMA IF NOT EXISTS flow_test;
DROP TABLE IF EXISTS flow_test.runs;
CREATE TABLE flow_test.runs (
    run   uuid NOT NULL,
    n     integer NOT NULL,
    key   text,
    pid   integer NOT NULL,
    phase text NOT NULL CHECK (phase IN ('start', 'end', 'limited')),
    at    timestamptz NOT NULL
)
"""

_conn: psycopg.AsyncConnection[tuple[object, ...]] | None = None
_lock: asyncio.Lock | None = None


async def _connection() -> psycopg.AsyncConnection[tuple[object, ...]]:
    """This process's recording connection, opened on first use."""
    global _conn, _lock
    if _lock is None:
        _lock = asyncio.Lock()
    async with _lock:
        if _conn is None or _conn.closed:
            _conn = await psycopg.AsyncConnection.connect(
                os.environ["TASKLIB_DATABASE_URL"], autocommit=True
            )
    return _conn


async def record(run: uuid.UUID, n: int, key: str | None, phase: str) -> None:
    """One row of flow_test.runs, stamped now, committed before the function goes on."""
    at = datetime.now(UTC)
    conn = await _connection()
    await conn.execute(
        "INSERT INTO flow_test.runs (run, n, key, pid, phase, at) VALUES (%s, %s, %s, %s, %s, %s)",
        (run, n, key, os.getpid(), phase, at),
    )


@tasklib.task(name="flow.work", max_retries=20, backoff_base_seconds=0.05)
async def work(n: int, key: str | None = None, seconds: float = 0.0) -> int:
    """Record the start, sleep ``seconds``, record the end."""
    run = uuid.uuid4()
    await record(run, n, key, "start")
    if seconds > 0:
        await asyncio.sleep(seconds)
    await record(run, n, key, "end")
    return n


@tasklib.task(name="flow.throttled", max_retries=20, backoff_base_seconds=0.05)
async def throttled(
    n: int, key: str | None = None, retry_after: float = 2.0, scope: str | None = None
) -> int:
    """Raise RateLimited(retry_after) on the first execution of ``n``; succeed on the next."""
    run = uuid.uuid4()
    await record(run, n, key, "start")
    conn = await _connection()
    cursor = await conn.execute(
        "SELECT count(*) FROM flow_test.runs WHERE n = %s AND phase = 'limited'", (n,)
    )
    row = await cursor.fetchone()
    if row is not None and row[0] == 0:
        await record(run, n, key, "limited")
        raise tasklib.RateLimited(retry_after=retry_after, scope=scope)  # type: ignore[arg-type]
    await record(run, n, key, "end")
    return n
