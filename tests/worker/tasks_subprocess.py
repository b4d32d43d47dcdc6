"""Tasks for worker subprocesses: each execution appends its id to a file per process.

The folder comes from $TASKLIB_TEST_RECORD_DIR; one file per worker process, one line per
execution, so the test can count how often each task's function ran across processes.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import tasklib


def _record(kind: str, key: str) -> None:
    folder = os.environ["TASKLIB_TEST_RECORD_DIR"]
    path = Path(folder) / f"{kind}-{os.getpid()}.log"
    # O_APPEND single writes: lines stay whole and nothing waits in a buffer at SIGKILL.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, f"{key}\n".encode())
    finally:
        os.close(fd)


@tasklib.task
async def count_me(key: str) -> None:
    _record("ran", key)


@tasklib.task
def count_me_sync(key: str) -> None:
    _record("ran", key)


@tasklib.task(max_retries=3)
async def slow_start(key: str, seconds: float) -> str:
    _record("started", key)
    await asyncio.sleep(seconds)
    _record("finished", key)
    return key


@tasklib.task(max_retries=3)
def slow_start_sync(key: str, seconds: float) -> str:
    _record("started", key)
    time.sleep(seconds)
    _record("finished", key)
    return key
