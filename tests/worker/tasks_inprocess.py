"""Tasks for workers running inside the test process; they record what happened in memory."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import tasklib

# task name -> list of (monotonic time, marker) per execution
calls: dict[str, list[tuple[float, object]]] = {}


def record(name: str, marker: object = None) -> None:
    calls.setdefault(name, []).append((time.monotonic(), marker))


@tasklib.task(max_retries=3, backoff_base_seconds=0.05)
async def always_fails() -> None:
    record("always_fails")
    raise RuntimeError("this task always fails")


@tasklib.task(max_retries=5, backoff_base_seconds=0.05)
def flaky_api_call(fail_times: int) -> dict[str, int]:
    """Advanced 1: fails fail_times times, then succeeds."""
    record("flaky_api_call")
    attempt = len(calls["flaky_api_call"])
    if attempt <= fail_times:
        raise ConnectionError(f"attempt {attempt} failed")
    return {"attempts": attempt}


@tasklib.task(timeout_seconds=0.3, max_retries=1, backoff_base_seconds=0.05)
async def slow_async(seconds: float) -> str:
    record("slow_async")
    await asyncio.sleep(seconds)
    return "done"


@tasklib.task(timeout_seconds=0.5, max_retries=0)
def process_file(file_path: str, seconds: float) -> str:
    """Advanced 2 (sync, so it runs in a child process that is killed at the timeout)."""
    Path(file_path).write_text(str(os.getpid()))
    time.sleep(seconds)
    return f"processed {file_path}"


@tasklib.task
def ordered(label: str) -> str:
    record("ordered", label)
    return label


@tasklib.task
async def when_did_i_run() -> float:
    record("when_did_i_run")
    return time.time()


@tasklib.task
def greet(name: str) -> str:
    return f"Hello {name}!"


@tasklib.task(max_retries=3)
def risky_task(fail: bool) -> str:
    """Error Handling's risky_task, with the coin flip made explicit."""
    if fail:
        raise ValueError("Random failure!")
    return "success"


@tasklib.task
def returns_unstorable() -> object:
    return object()


@tasklib.task
def returns_nan() -> float:
    return float("nan")


@tasklib.task
async def sleeper(seconds: float) -> str:
    record("sleeper")
    await asyncio.sleep(seconds)
    return "woke"


@tasklib.task
async def returns_nothing(n: int) -> None:
    record("returns_nothing", n)


@tasklib.task
async def echo_number(n: int) -> int:
    return n


@tasklib.task
async def countdown(n: int) -> int:
    """Submits countdown(n - 1) until n is 0: tasks that tasks submit."""
    record("countdown", n)
    if n > 0:
        await tasklib.submit_task(countdown, n=n - 1)
    return n


@tasklib.task(max_retries=5, backoff_base_seconds=0.001)
async def fails_twice(key: str) -> str:
    """Fails its first two runs, with retries due almost at once."""
    record("fails_twice", key)
    if len(calls["fails_twice"]) <= 2:
        raise ConnectionError("not yet")
    return key


@tasklib.task(max_retries=0)
def raises_unencodable() -> None:
    """Its error text holds a lone surrogate, which UTF-8 (and so PostgreSQL) cannot encode."""
    raise ValueError("bad \ud800 text")


@tasklib.task
def returns_unencodable() -> str:
    return "bad \ud800 text"
