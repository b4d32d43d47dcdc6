"""Tasks the cancellation tests stop: each notes when it started and what it saw.

Runs in the test process (async tasks, sync tasks in threads) note into ``events``; a sync task
with a timeout runs in a child process and writes files into the folder it is given instead.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import tasklib

# key -> what the run of that key saw, in order
events: dict[str, list[str]] = {}


def note(key: str, mark: str) -> None:
    events.setdefault(key, []).append(mark)


@tasklib.task(max_retries=3)
async def sleep_long(key: str, seconds: float = 60) -> str:
    note(key, "started")
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        note(key, f"CancelledError, cancel_requested={tasklib.cancel_requested()}")
        raise
    finally:
        note(key, "finally")
    return "woke"


@tasklib.task(max_retries=3)
def spin(key: str) -> int:
    """A busy loop in a worker thread: nothing but Python bytecode, never a blocking call."""
    note(key, "started")
    n = 0
    try:
        while True:
            n += 1
    except tasklib.TaskCancelled:
        note(key, f"TaskCancelled, cancel_requested={tasklib.cancel_requested()}")
        raise


@tasklib.task(max_retries=3, timeout_seconds=600)
def spin_in_child(folder: str) -> None:
    """A busy loop in a child process (a sync task with a timeout runs in one)."""
    Path(folder, "pid").write_text(str(os.getpid()))
    try:
        while True:
            pass
    except tasklib.TaskCancelled:
        Path(folder, "cleaned-up").write_text(f"cancel_requested={tasklib.cancel_requested()}")
        raise


@tasklib.task(max_retries=3, timeout_seconds=600)
def ignores_sigterm(folder: str) -> None:
    """A child that ignores SIGTERM: only SIGKILL stops it."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    Path(folder, "pid").write_text(str(os.getpid()))
    while True:
        time.sleep(0.01)


@tasklib.task(max_retries=3)
async def ignores_cancellation(key: str, times: int) -> str:
    """Swallows its first ``times`` CancelledErrors, then lets the next one end it."""
    note(key, "started")
    ignored = 0
    while True:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            if ignored == times:
                note(key, "gave in")
                raise
            ignored += 1
            note(key, f"ignored {ignored}")


@tasklib.task(max_retries=3)
def blocks_in_c(key: str, seconds: float) -> None:
    """A worker thread in time.sleep, which TaskCancelled only interrupts once it returns."""
    note(key, "started")
    try:
        time.sleep(seconds)
    except tasklib.TaskCancelled:
        note(key, "TaskCancelled after the sleep")
        raise
    note(key, "slept")


@tasklib.task(max_retries=3)
async def stops_cleanly(key: str) -> str:
    """Catches its CancelledError, cleans up and returns: still recorded cancelled."""
    note(key, "started")
    try:
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        note(key, "cleaned up")
        return "stopped early"
    return "slept"


@tasklib.task(max_retries=3)
async def checks_cooperatively(key: str) -> str:
    """A sub-task it started sees cancel_requested() once the task is being cancelled."""
    note(key, "started")

    async def helper() -> None:
        for _ in range(2000):  # a check every 5 ms, for up to 10 s
            if tasklib.cancel_requested():
                note(key, "helper saw cancel_requested")
                return
            await asyncio.sleep(0.005)

    watcher = asyncio.create_task(helper())
    try:
        await asyncio.sleep(60)
    finally:
        await asyncio.wait_for(watcher, 5)
    return "slept"


@tasklib.task
def quick(n: int) -> int:
    return n


@tasklib.task(max_retries=3)
async def cancels_itself(key: str) -> str:
    """Asks for its own cancellation (by its tag), then waits to be stopped."""
    note(key, "started")
    await tasklib.cancel_tasks_async(tags={"who": key}, reason="changed my mind")
    await asyncio.sleep(30)
    return "not stopped"
