"""`tasklib demo`: submit a batch of sample tasks, run a worker on them live, report the ends.

It uses only the public API (``AsyncClient``, ``TaskWorker``) and checks that every task ended
as planned (the exit code says so). The sample tasks live in examples/demo/tasks.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from rich.console import Console
from rich.logging import RichHandler

from tasklib.client import AsyncClient
from tasklib.config import Config
from tasklib.db.statements import STATUS_COUNTS
from tasklib.demo import _display as display
from tasklib.demo._samples import sample_tasks
from tasklib.models import Task
from tasklib.worker import TaskWorker

# The whole batch normally settles in a few seconds; past this the demo gives up and says so.
DEADLINE_SECONDS = 50.0
_REFRESH_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a demo run went: the run's tag value, its tasks, and every expectation missed."""

    run_id: str
    task_ids: list[UUID]
    problems: list[str]


def run_demo(database_url: str, *, concurrency: int = 8, console: Console | None = None) -> Outcome:
    """Run the demo against a migrated database and return its outcome (printed as it goes)."""
    return asyncio.run(_demo(database_url, concurrency, console or Console()))


async def _demo(url: str, concurrency: int, console: Console) -> Outcome:
    _show_worker_logs(console)
    samples = sample_tasks()
    # Polling every 0.2 s instead of 1 s: delayed tasks and retries are not announced by
    # NOTIFY, and the demo's backoffs are fractions of a second.
    config = Config(database_url=url, poll_interval_seconds=0.2, lease_seconds=10)
    run_id = uuid4().hex[:8]
    run_tag = {"demo_run": run_id}

    batch = samples.plan(run_id)
    calls = [item.call.with_options(tags={**(item.call.tags or {}), **run_tag}) for item in batch]
    started = time.monotonic()
    async with AsyncClient(config) as client:
        ids = await client.submit_many(calls)
        expected = dict(zip(ids, (item.expected for item in batch), strict=True))
        console.print(display.intro(len(ids), run_id, time.monotonic() - started))

        worker = TaskWorker(config, concurrency, queues=[samples.DEMO_QUEUE], handle_signals=False)
        running = asyncio.create_task(worker.run(), name="demo-worker")
        try:
            settled = await _watch(client, run_tag, len(ids), running, console)
            await worker.stop(grace_seconds=5)
            await running
            tasks = await _run_tasks(client, run_tag, len(ids))
        finally:
            if not running.done():
                await worker.stop(grace_seconds=0)

    status = count_states(tasks)
    rows = [task.model_dump() for task in sorted(tasks, key=lambda t: (t.created_at, t.id))]
    problems = [] if settled else [f"not every task finished within {DEADLINE_SECONDS:.0f} s"]
    problems += check(rows, expected)
    console.print(display.report(status, rows, run_id, problems, time.monotonic() - started))
    return Outcome(run_id, ids, problems)


async def _run_tasks(client: AsyncClient, run_tag: dict[str, str], count: int) -> list[Task]:
    return await client.list_tasks(tags=run_tag, limit=count)


async def _watch(
    client: AsyncClient,
    run_tag: dict[str, str],
    count: int,
    running: asyncio.Task[None],
    console: Console,
) -> bool:
    """Show live progress until every task of the run is finished; False at the deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    with display.LiveProgress(console) as progress:
        while True:
            status = count_states(await _run_tasks(client, run_tag, count))
            progress.update(status)
            overall = status["overall"]
            finished = overall["completed"] + overall["failed_permanent"] + overall["cancelled"]
            if finished == overall["total"]:
                return True
            if running.done():
                running.result()  # the worker stopped on its own: raise its error
                return False
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(_REFRESH_SECONDS)


def count_states(tasks: list[Task]) -> dict[str, Any]:
    """The run's tasks counted like ``tasklib status``: overall and per task name."""

    def counts(group: list[Task]) -> dict[str, int]:
        found = dict.fromkeys(STATUS_COUNTS, 0)
        for task in group:
            found["total"] += 1
            if task.state == "failed":
                found["failed_permanent" if task.terminal else "failed_retrying"] += 1
            else:
                found[task.state] += 1
        return found

    names = sorted({task.name for task in tasks})
    return {
        "overall": counts(tasks),
        "by_name": [
            {"name": name, **counts([t for t in tasks if t.name == name])} for name in names
        ],
    }


def check(rows: list[dict[str, Any]], expected: dict[UUID, Any]) -> list[str]:
    """Every way the run's tasks differ from the plan (empty when all ended as expected)."""
    problems: list[str] = []
    seen = set()
    for row in rows:
        want = expected.get(row["id"])
        if want is None:
            continue
        seen.add(row["id"])
        where = f"{row['name']} {row['id']}"
        if row["state"] != want.state:
            problems.append(f"{where}: state {row['state']}, expected {want.state}")
        if row["retry_count"] != want.retry_count:
            problems.append(f"{where}: {row['retry_count']} retries, expected {want.retry_count}")
        if want.min_start_delay and row["started_at"] is not None:
            waited = (row["started_at"] - row["created_at"]).total_seconds()
            if waited < want.min_start_delay:
                problems.append(f"{where}: started after {waited:.2f} s, before its delay")
    missing = len(expected) - len(seen)
    if missing:
        problems.append(f"{missing} submitted task(s) not found in tasklib.tasks")
    return problems


def _show_worker_logs(console: Console) -> None:
    # The worker's own lines ("Starting TaskWorker ...") go through rich, above the live bars.
    # Its line per task would scroll bars and summary away: they show every task already.
    logging.getLogger("tasklib.worker.tasks").setLevel(logging.CRITICAL)
    logger = logging.getLogger("tasklib")
    if not logger.handlers:
        handler = RichHandler(console=console, show_path=False, show_time=False)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
