"""The worker side of issue 14: fencing by lease token, and task types stored with another
definition (TL006)."""

from __future__ import annotations

import asyncio
import logging
import uuid

import psycopg
import pytest

import tasklib
from tests.support.database import login_url
from tests.worker.support import fetch, running_worker, wait_for_row, wait_until

TASKS = "tasklib.worker.tasks"

# Opened by the test once another attempt holds the task: the stale attempt then returns.
_gate: dict[str, asyncio.Event] = {}


@tasklib.task(name="tests.worker.issue14.gated", backoff_base_seconds=0.001)
async def gated() -> str:
    await _gate["open"].wait()
    return "stale"


@tasklib.task(name="tests.worker.issue14.defined_here", max_retries=2)
async def defined_here(n: int) -> int:
    return n + 1


async def test_a_stale_attempt_cannot_record_its_outcome(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The lease expired and the task was claimed again, by the same worker name even: the
    first attempt's completion is refused, and the second attempt's stands."""
    caplog.set_level(logging.WARNING, logger=TASKS)
    _gate["open"] = asyncio.Event()
    task_id = await tasklib.submit_task(gated)
    # One slot, held by the first attempt: the worker cannot claim the task again itself.
    async with running_worker(url, concurrency=1, worker_id="w-fenced") as worker:
        await wait_for_row(
            url, "SELECT 1 FROM tasklib.tasks WHERE id = %s AND state = 'running'", (task_id,)
        )
        await wait_until(lambda: worker.running_tasks == 1, what="the first attempt running")
        # The first attempt's lease runs out; a claim under the same name takes the task again.
        token = uuid.uuid4()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "UPDATE tasklib.tasks SET locked_until = now() - interval '1 second' WHERE id = %s",
                (task_id,),
            )
            assert conn.execute("SELECT tasklib.recover_expired()").fetchone() == (1,)
            again: list[tuple[object, ...]] = []
            while not again:  # the retry is due 1 ms after the recovery
                again = conn.execute(
                    "SELECT id, attempt FROM tasklib.claim('w-fenced', 1, lease_token => %s)",
                    (token,),
                ).fetchall()
        assert again == [(task_id, 2)]
        _gate["open"].set()
        await wait_until(
            lambda: any(
                r.levelno == logging.WARNING
                and r.__dict__.get("task_id") == str(task_id)
                and "lease" in r.getMessage()
                for r in caplog.records
            ),
            what="the stale outcome refused (or the task dropped by the heartbeat)",
        )
        assert fetch(url, "SELECT state, result FROM tasklib.tasks WHERE id = %s", (task_id,)) == [
            ("running", None)
        ]
        with psycopg.connect(url, autocommit=True) as conn:
            done = conn.execute(
                "SELECT * FROM tasklib.complete('w-fenced', ARRAY[%s]::uuid[],"
                " ARRAY[%s]::uuid[], ARRAY['\"fresh\"'::jsonb])",
                (task_id, token),
            ).fetchall()
        assert done == [(task_id,)]
    assert fetch(url, "SELECT state, result FROM tasklib.tasks WHERE id = %s", (task_id,)) == [
        ("completed", {"value": "fresh"})
    ]


async def test_a_task_type_stored_with_another_definition_warns_and_the_worker_runs(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Registering as a worker (not tasklib_admin) cannot change a stored definition (TL006):
    the worker says so, registers its other task types and runs its tasks."""
    role = f"tl14_worker_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "SELECT tasklib.register_task_type(name => %s, max_retries => 7)",
            (defined_here.name,),
        )
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'x' IN ROLE tasklib_worker")
    try:
        worker_url = login_url(url, role, "x")
        caplog.set_level(logging.WARNING, logger="tasklib.worker")
        task_id = await tasklib.submit_task(defined_here, n=41)
        async with running_worker(worker_url, worker_id="w-tl006"):
            await wait_until(
                lambda: tasklib.is_terminal(tasklib.get_task(task_id)), what="the task run"
            )
        assert tasklib.get_task(task_id).result == {"value": 42}
        warnings = [
            r.getMessage()
            for r in caplog.records
            if r.levelno == logging.WARNING and defined_here.name in r.getMessage()
        ]
        assert len(warnings) == 1, warnings
        assert "tasklib register" in warnings[0]
        assert "tasklib_admin" in warnings[0]
        # The stored definition stays; the worker's other task types were recorded.
        assert fetch(
            url, "SELECT max_retries FROM tasklib.task_types WHERE name = %s", (defined_here.name,)
        ) == [(7,)]
        assert fetch(
            url, "SELECT count(*) FROM tasklib.task_types WHERE name = %s", (gated.name,)
        ) == [(1,)]
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")
