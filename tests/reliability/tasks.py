"""Tasks run by the reliability scenarios' worker processes; every execution is written down.

Each execution appends ``<key> <pid> start`` (and ``<key> <pid> end`` once the function is done)
to a file of its own process in $TASKLIB_RELIABILITY_DIR. Single O_APPEND writes on a file
opened once per process: lines stay whole across processes, nothing waits in a buffer when the
process is killed, and the cost (one write system call) does not slow the scenario down.

What a task does is decided by its key, so the test knows the expected end of every task
without asking the workers. Task names are explicit: SQL submitters use them.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import tasklib

RECORD_DIR_ENV = "TASKLIB_RELIABILITY_DIR"

_fd: dict[int, int] = {}


def record(key: str, phase: str) -> None:
    """Append one execution line for ``key`` to this process's file."""
    pid = os.getpid()
    fd = _fd.get(pid)
    if fd is None:
        # A child process forked from the worker gets a file of its own.
        path = Path(os.environ[RECORD_DIR_ENV]) / f"runs-{pid}.log"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        _fd[pid] = fd
    os.write(fd, f"{key} {pid} {phase}\n".encode())


def attempt(key: str) -> int:
    """This execution's number for ``key`` (1 for the first), counted in a file per key."""
    path = Path(os.environ[RECORD_DIR_ENV]) / "attempts" / key
    path.parent.mkdir(exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, b".")
        return os.fstat(fd).st_size
    finally:
        os.close(fd)


class Planned(Exception):
    """A failure the scenario asked for."""


@tasklib.task(name="rel.work", max_retries=50, backoff_base_seconds=0.05)
async def work(key: str, seconds: float = 0.0) -> dict[str, Any]:
    """Sleep a little and return who ran it."""
    record(key, "start")
    if seconds > 0:
        await asyncio.sleep(seconds)
    record(key, "end")
    return {"key": key, "pid": os.getpid()}


@tasklib.task(name="rel.work_sync", max_retries=50, backoff_base_seconds=0.05)
def work_sync(key: str, seconds: float = 0.0) -> dict[str, Any]:
    """``work`` in a thread of the worker."""
    record(key, "start")
    if seconds > 0:
        time.sleep(seconds)
    record(key, "end")
    return {"key": key, "pid": os.getpid()}


@tasklib.task(name="rel.flaky", max_retries=3, backoff_base_seconds=0.05)
async def flaky(key: str, failures: int) -> dict[str, Any]:
    """Fail the first ``failures`` attempts, then succeed."""
    record(key, "start")
    number = attempt(key)
    if number <= failures:
        raise Planned(f"{key}: planned failure {number} of {failures}")
    record(key, "end")
    return {"key": key, "attempt": number}


@tasklib.task(name="rel.doomed", max_retries=2, backoff_base_seconds=0.05)
async def doomed(key: str) -> None:
    """Fail every attempt."""
    record(key, "start")
    raise Planned(f"{key}: fails every time")


@tasklib.task(name="rel.unstorable", max_retries=3, backoff_base_seconds=0.05)
async def unstorable(key: str) -> float:
    """Return NaN, which JSON cannot hold: a failure that is never retried."""
    record(key, "start")
    return float("nan")


@tasklib.task(name="rel.hang", max_retries=1, timeout_seconds=0.2, backoff_base_seconds=0.05)
async def hang(key: str) -> None:
    """Run far past its timeout (cancelled at the deadline)."""
    record(key, "start")
    await asyncio.sleep(30)
    record(key, "end")


@tasklib.task(name="rel.hang_sync", max_retries=1, timeout_seconds=0.5, backoff_base_seconds=0.05)
def hang_sync(key: str) -> None:
    """Run far past its timeout in a child process (killed at the deadline)."""
    record(key, "start")
    time.sleep(30)
    record(key, "end")


@tasklib.task(name="rel.echo", max_retries=0)
def echo(text: str, number: int = 0, items: list[int] | None = None) -> str:
    """Return its text: the bad-input tests submit to it."""
    return text


@tasklib.task(name="rel.tick", max_retries=0)
async def tick(label: str = "tick") -> str:
    """What the cron scenarios schedule: the tasks' tags say which fire time each ran for."""
    return label


@tasklib.task(name="rel.sleep_long", max_retries=3)
async def sleep_long(key: str, seconds: float = 60.0) -> None:
    """Sleep a long time on the event loop: cancelled, it records that it saw CancelledError."""
    record(key, "start")
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        record(key, "cancelled")
        raise
    record(key, "end")


@tasklib.task(name="rel.spin", max_retries=3)
def spin(key: str) -> None:
    """Spin in a busy loop in a worker thread until TaskCancelled stops it."""
    record(key, "start")
    try:
        while True:
            pass
    except tasklib.TaskCancelled:
        record(key, "cancelled")
        raise


@tasklib.task(name="rel.spin_child", max_retries=3, timeout_seconds=600)
def spin_child(key: str) -> None:
    """``spin`` in a child process (it has a timeout), stopped by SIGTERM."""
    record(key, "start")
    try:
        while True:
            pass
    except tasklib.TaskCancelled:
        record(key, "cancelled")
        raise
