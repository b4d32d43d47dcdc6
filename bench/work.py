"""The workload tasks' bodies (bench.workloads), shared by every system's adapter.

Each task reports its first start and its successful end to the harness through bench.probe,
so that latencies are measured on one clock without a database write inside the task. What a
task does is given by its arguments (a WorkItem), so every system runs the same work.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from bench import probe


@dataclass(frozen=True)
class WorkItem:
    """One task of a workload: its arguments and the options it is submitted with."""

    token: int
    payload: str  # echoed back as the task's result
    sleep_ms: float  # awaited (asyncio.sleep) in async tasks, slept in sync ones
    loops: int  # iterations of burn(): CPU-bound work holding the GIL
    fail: bool  # the first attempt raises PlannedFailure; the retry succeeds
    priority: int | None  # 0-9, higher runs first; None: the workload sets none
    delay_seconds: float  # 0: due at once
    sync: bool  # a plain def task (the CPU workload) rather than an async one

    def arguments(self) -> dict[str, Any]:
        """The task's keyword arguments, the same for every system."""
        return {
            "token": self.token,
            "payload": self.payload,
            "sleep_ms": self.sleep_ms,
            "loops": self.loops,
            "fail": self.fail,
        }


class PlannedFailure(Exception):
    """The planned failure of a task's first attempt (the mixed workload's 10%)."""


# Tokens whose first attempt this process has failed. The mixed workload runs one worker process,
# so the retry meets the same set whichever way the system hands it back.
_failed: set[int] = set()


def _fail_once(token: int, fail: bool) -> None:
    if fail and token not in _failed:
        _failed.add(token)
        raise PlannedFailure(f"planned failure of task {token}")


def burn(loops: int) -> int:
    """Pure-Python arithmetic: CPU-bound work that holds the GIL, as a Python task's would."""
    total = 0
    for i in range(loops):
        total += i * i
    return total


def loops_for(milliseconds: float) -> int:
    """How many burn() iterations take ``milliseconds`` on this machine (calibrated now)."""
    loops = 20_000
    while True:
        started = time.perf_counter()
        burn(loops)
        elapsed = time.perf_counter() - started
        if elapsed > 0.05:
            return max(1, int(loops * milliseconds / 1000 / elapsed))
        loops *= 2


async def run_async(token: int, payload: str, sleep_ms: float, loops: int, fail: bool) -> str:
    """An async task's body: await ``sleep_ms`` of simulated I/O."""
    probe.task_began(token)
    if sleep_ms:
        await asyncio.sleep(sleep_ms / 1000)
    if loops:
        burn(loops)
    _fail_once(token, fail)
    probe.task_ended(token)
    return payload


def run_sync(token: int, payload: str, sleep_ms: float, loops: int, fail: bool) -> str:
    """A sync task's body: ``loops`` of CPU work, or ``sleep_ms`` of blocking I/O."""
    probe.task_began(token)
    if loops:
        burn(loops)
    if sleep_ms:
        time.sleep(sleep_ms / 1000)
    _fail_once(token, fail)
    probe.task_ended(token)
    return payload
