"""Workers through a real PgBouncer in transaction mode: they drain, survive SIGKILL, are woken
through a direct LISTEN connection, and send nothing while idle in quiet mode."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest

import tasklib
from tasklib import AsyncClient
from tasklib.config import LISTEN_URL_ENV, PREPARED_STATEMENTS_ENV, Config
from tasklib.worker._lifecycle import State
from tests.pooler.support import add
from tests.reliability import tasks
from tests.reliability.support import (
    ScenarioReport,
    check_all_completed,
    fetch,
    submit,
    wait_until_settled,
    workers,
)
from tests.support.waiting import wait_until_async

# Long enough that a worker woken within WOKEN_WITHIN was woken by NOTIFY, not by polling.
LONG_POLL = 60.0
WOKEN_WITHIN = 5.0


@contextlib.asynccontextmanager
async def running(config: Config, **options: object) -> AsyncIterator[tasklib.TaskWorker]:
    worker = tasklib.TaskWorker(config, handle_signals=False, **options)  # type: ignore[arg-type]
    job = asyncio.create_task(worker.run())
    try:
        await wait_until_async(
            lambda: worker.state is State.RUNNING or job.done(),
            what="the worker to start",
        )
        if job.done():
            job.result()
        yield worker
    finally:
        await worker.stop(grace_seconds=5)
        await job


async def submit_and_wait(config: Config, a: int, b: int, within: float = 30) -> int:
    async with AsyncClient(config) as client:
        task_id = await client.submit_task(add, a=a, b=b)
        return await client.wait_for_result(add, task_id, timeout=within)


def listen_sessions(database_url: str) -> list[tuple[str, str]]:
    """(application_name, last query) of every session of the database whose last was LISTEN."""
    rows = fetch(
        database_url,
        "SELECT application_name, query FROM pg_stat_activity"
        " WHERE datname = current_database() AND query LIKE 'LISTEN%%'",
    )
    return [(str(name), str(query)) for name, query in rows]


async def test_a_worker_listens_on_one_direct_connection_and_is_woken_through_it(
    pooled_config: Config, database_url: str
) -> None:
    config = dataclasses.replace(pooled_config, poll_interval_seconds=LONG_POLL)
    async with running(config, concurrency=1):
        # All three channels on one session, which is a direct one: through the pooler the
        # LISTEN would have been lost (and the session shows the pooler's SET, not LISTEN).
        # Waited for, not read once: the session shows each LISTEN in turn as it is sent.
        expected = [("tasklib:worker:notifications", "LISTEN tasklib_schedules")]
        await wait_until_async(
            lambda: listen_sessions(database_url) == expected,
            what=f"the worker's LISTEN session to be {expected}",
        )
        await asyncio.sleep(0.5)  # idle: its claim loop sleeps for a poll interval
        began = time.monotonic()
        result = await submit_and_wait(config, 2, 3)
        took = time.monotonic() - began
    assert result == 5
    assert took < WOKEN_WITHIN, f"woken by polling, not by NOTIFY: {took:.2f} s"


async def test_without_listen_a_worker_polls_through_the_pooler(pooled_config: Config) -> None:
    config = dataclasses.replace(
        pooled_config, listen_notify=False, listen_url=None, poll_interval_seconds=0.2
    )
    async with running(config, concurrency=1):
        await asyncio.sleep(0.5)
        assert await submit_and_wait(config, 1, 1) == 2


def queries_started_since(database_url: str, since: float) -> list[tuple[str, str]]:
    """(application_name, query) of every other session of the database that started a query
    after ``since`` (the server's epoch)."""
    rows = fetch(
        database_url,
        "SELECT application_name, query FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND extract(epoch FROM query_start) > %s",
        (since,),
    )
    return [(str(name), str(query)) for name, query in rows]


def server_now(database_url: str) -> float:
    return float(fetch(database_url, "SELECT extract(epoch FROM clock_timestamp())")[0][0])


async def test_a_quiet_idle_worker_sends_no_query(pooled_config: Config, database_url: str) -> None:
    # Lease 3 s (a beat a second) and poll 0.2 s: a worker that sent anything while idle
    # would do so several times in the window. pg_stat_activity's query_start is set as a
    # query starts (no statistics flush delay), so one look covers every session of the
    # database, pooled or direct. docs/poolers.md has the same over 60 s; 8 s here is 40 poll
    # intervals and 8 heartbeat intervals, which is what the quiet mode is about.
    config = dataclasses.replace(
        pooled_config, quiet_idle=True, poll_interval_seconds=0.2, lease_seconds=3.0
    )
    async with running(config, concurrency=1):
        assert await submit_and_wait(config, 1, 2) == 3
        await asyncio.sleep(2.0)  # the last outcome recorded, the last check made
        since = server_now(database_url)
        await asyncio.sleep(8.0)
        sent = queries_started_since(database_url, since)
        assert sent == [], "\n".join(f"{name}: {query.split()[:3]}" for name, query in sent)
        # Still awake: a submission wakes it through its LISTEN connection.
        assert await submit_and_wait(config, 2, 2, within=10) == 4


async def test_a_quiet_idle_worker_starts_a_delayed_task_at_its_time(
    pooled_config: Config,
) -> None:
    # A delayed submit sends no tasklib_submitted; the quiet worker hears tasklib_delayed, asks
    # when the task falls due and sleeps until then, with no query in between.
    config = dataclasses.replace(pooled_config, quiet_idle=True, poll_interval_seconds=LONG_POLL)
    async with running(config, concurrency=1):
        await asyncio.sleep(1.0)
        async with AsyncClient(config) as client:
            task_id = await client.submit_task(add, a=1, b=1, delay_seconds=1.5)
            assert await client.wait_for_result(add, task_id, timeout=10) == 2
            task = await client.get_task(task_id)
    assert task.started_at is not None
    waited = (task.started_at - task.created_at).total_seconds()
    assert 1.5 <= waited < 3.0, waited


async def test_an_idle_worker_sends_one_query_per_poll_interval(database_url: str) -> None:
    # On the server directly, each statement of the worker's sessions seen by sampling
    # pg_stat_activity every 20 ms (a statement sets query_start; 25 samples per poll
    # interval miss none). pg_stat_database would also count autovacuum and the pooler's own
    # SET statements (docs/poolers.md).
    config = Config(database_url=database_url, poll_interval_seconds=0.5, lease_seconds=30.0)
    async with running(config, concurrency=1):
        await asyncio.sleep(2.0)
        since = server_now(database_url)
        seen: set[tuple[int, float]] = set()
        with psycopg.connect(database_url, autocommit=True) as conn:
            began = time.monotonic()
            # 6 s, timed: on a loaded machine 300 samples take longer than 300 * 20 ms.
            while (elapsed := time.monotonic() - began) < 6.0:
                rows = conn.execute(
                    "SELECT pid, extract(epoch FROM query_start) FROM pg_stat_activity"
                    " WHERE datname = current_database()"
                    " AND application_name LIKE 'tasklib:worker:%%'"
                    " AND extract(epoch FROM query_start) > %s",
                    (since,),
                ).fetchall()
                seen.update((int(pid), float(at)) for pid, at in rows)
                await asyncio.sleep(0.02)
    print(f"idle worker: {len(seen)} statements in {elapsed:.1f} s")
    # One idle check per 0.5 s (12 in 6 s), perhaps a registration heartbeat (every 10 s).
    # Before the idle check: a claim and a seconds_until_claimable every interval, 24.
    assert elapsed / 0.5 - 2 <= len(seen) <= elapsed / 0.5 + 2


def pooled_workers_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    """Worker processes (tests.reliability.support.workers) through the pooler."""
    monkeypatch.setenv(PREPARED_STATEMENTS_ENV, "off")
    monkeypatch.setenv(LISTEN_URL_ENV, database_url)


@pytest.mark.slow
def test_two_worker_processes_drain_20000_tasks_through_the_pooler(
    pooled_url: str, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pooled_workers_env(monkeypatch, database_url)
    n = 20_000
    report = ScenarioReport("drain through pgbouncer")
    report.submitted = submit(database_url, tasks.work, ({"key": f"k{i}"} for i in range(n)))
    began = time.monotonic()
    with workers(pooled_url, tmp_path, "-c", "50") as group:
        group.start()
        group.start()
        wait_until_settled(database_url, n, within=600)
        took = time.monotonic() - began
        codes = group.stop_all()
    assert all(code == 0 for code in codes.values()), codes
    check_all_completed(database_url, tmp_path, report, n, duplicate_reason="none expected")
    print(f"2 workers (-c 50) drained {n} tasks through pgbouncer in {took:.1f} s")


@pytest.mark.slow
def test_a_sigkilled_worker_loses_nothing_through_the_pooler(
    pooled_url: str, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pooled_workers_env(monkeypatch, database_url)
    n = 3000
    report = ScenarioReport("SIGKILL through pgbouncer")
    report.submitted = submit(
        database_url, tasks.work, ({"key": f"k{i}", "seconds": 0.01} for i in range(n))
    )
    options = ("-c", "16", "--lease-seconds", "3", "--poll-interval", "0.2")
    with workers(pooled_url, tmp_path, *options) as group:
        first, _second = group.start(), group.start()
        group.wait_until_announced([first, _second])

        def held_by(worker_id: str) -> int:
            return int(
                fetch(
                    database_url,
                    "SELECT count(*) FROM tasklib.tasks WHERE state = 'running' AND worker_id = %s",
                    (worker_id,),
                )[0][0]
            )

        deadline = time.monotonic() + 60
        while held_by(first) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        group.kill(first)  # mid-run: it holds tasks, which stay 'running' until the lease ends
        assert held_by(first) > 0
        wait_until_settled(database_url, n, within=300)
        codes = group.stop_all()
    assert all(code == 0 for code in codes.values()), codes
    rows = fetch(
        database_url,
        "SELECT count(*) FILTER (WHERE state = 'completed'),"
        " count(*) FILTER (WHERE retry_count > 0) FROM tasklib.tasks",
    )[0]
    assert rows[0] == n, "nothing lost"
    assert rows[1] > 0, "the killed worker's tasks were recovered after their lease"


@pytest.mark.parametrize("prepared", [True, False])
async def test_a_worker_prepares_statements_only_when_the_setting_says(
    database_url: str, prepared: bool
) -> None:
    # Against the server directly (no pooler that keeps prepared statements is at hand: see
    # test_settings): the worker's own connections follow Config.prepared_statements.
    config = Config(database_url=database_url, prepared_statements=prepared)
    async with running(config, concurrency=2) as worker:
        for i in range(12):  # each claims, records and checks again: > 5 runs of each
            assert await submit_and_wait(config, i, 0) == i
        names: dict[str, list[str]] = {}
        for db in (worker._claim_db, worker._report_db):  # type: ignore[attr-defined]
            conn = await db.connection()
            cursor = await conn.execute("SELECT name FROM pg_prepared_statements", prepare=False)
            names[db.purpose] = [str(row[0]) for row in await cursor.fetchall()]
    if prepared:
        assert names["claims"], names
        assert names["results"], names
    else:
        assert names == {"claims": [], "results": []}
