"""Helpers for the worker tests: run a worker in-process or as a subprocess, wait for states."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg

from tasklib import Config, TaskWorker

ROOT = Path(__file__).resolve().parents[2]


@contextlib.asynccontextmanager
async def running_worker(
    url: str, concurrency: int = 4, **options: Any
) -> AsyncIterator[TaskWorker]:
    """A TaskWorker running in this event loop until the block ends."""
    config_options = {
        key: options.pop(key)
        for key in ("lease_seconds", "poll_interval_seconds", "listen_notify")
        if key in options
    }
    options.setdefault("handle_signals", False)
    options.setdefault("shutdown_grace_seconds", 5.0)
    worker = TaskWorker(Config(database_url=url, **config_options), concurrency, **options)
    run = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        await worker.stop()
        await run


async def wait_until(
    predicate: Callable[[], bool],
    within: float = 20.0,
    what: str = "condition",
) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_for_row(
    url: str, query: str, params: Any = None, within: float = 20.0
) -> tuple[Any, ...]:
    """Poll the database (without blocking the event loop) until ``query`` returns a row."""
    deadline = time.monotonic() + within
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        while True:
            row = await (await conn.execute(query, params)).fetchone()
            if row is not None:
                return row
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {within} s waiting for a row of {query!r}")
            await asyncio.sleep(0.01)


def fetch(url: str, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(query, params).fetchall()


def count_states(url: str) -> dict[str, int]:
    rows = fetch(url, "SELECT state, count(*) FROM tasklib.tasks GROUP BY state")
    return {str(state): int(n) for state, n in rows}


def wait_for_states(
    url: str, predicate: Callable[[dict[str, int]], bool], timeout: float, what: str
) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        states = count_states(url)
        if predicate(states):
            return states
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}: {states}")
        time.sleep(0.05)


def start_worker_process(
    url: str, module: str, record_dir: Path, *args: str, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """`tasklib worker MODULE ...` in a new process (output to log, if given)."""
    env = {**os.environ, "TASKLIB_TEST_RECORD_DIR": str(record_dir), "TASKLIB_DATABASE_URL": url}
    out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        return subprocess.Popen(
            [sys.executable, "-c", "from tasklib.cli import main; main()", "worker", module, *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    finally:
        if log is not None:
            out.close()  # type: ignore[union-attr]


@contextlib.contextmanager
def worker_processes(
    procs: list[subprocess.Popen[bytes]],
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Kill whatever is still running at the end, so a failed test leaves no worker behind."""
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout)


def read_records(record_dir: Path, kind: str) -> list[str]:
    lines: list[str] = []
    for path in record_dir.glob(f"{kind}-*.log"):
        lines.extend(path.read_text().split())
    return lines


def submit_many_sql(url: str, name: str, args_list: list[dict[str, Any]], **options: Any) -> None:
    """Queue tasks through SQL, as another service would, in chunks of 5,000."""
    import json

    with psycopg.connect(url, autocommit=True) as conn:
        for start in range(0, len(args_list), 5000):
            payload = [
                {"name": name, "args": args, **options} for args in args_list[start : start + 5000]
            ]
            conn.execute(
                "SELECT count(*) FROM tasklib.submit_many(%s::jsonb)", (json.dumps(payload),)
            )
