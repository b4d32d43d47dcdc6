"""The suite's one "poll until a condition holds or a deadline passes" helper, sync and async.

    rows = wait_until(lambda: fetch(url, query), timeout=10, what="the worker's row")
    await wait_until_async(lambda: task_done(task_id), what="the task to complete")

The condition is called at once, then every ``interval`` seconds until it returns something
truthy, which is returned. Past ``timeout`` seconds it fails with an AssertionError naming
``what`` was awaited and, if ``detail`` is given, what ``detail()`` shows at that moment (the
last state seen, a log). An exception raised by the condition ends the wait at once (use it to
give up early, e.g. when a process that should do the work has died), unless it is one of
``retry_on``, which counts as "not yet" (e.g. a connection refused while a server restarts).

Use it to wait for a state; a sleep that is itself the behaviour under test (a task body, an
outage of a set length) stays a sleep.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
DEFAULT_INTERVAL = 0.05


class WaitTimeout(AssertionError):
    """The awaited condition did not hold before the deadline."""


def _timed_out(
    what: str, timeout: float, last: object, error: BaseException | None, detail: object
) -> WaitTimeout:
    message = f"timed out after {timeout:g} s waiting for {what}"
    if error is not None:
        message += f" (last attempt raised {type(error).__name__}: {error})"
    elif last is not None and not isinstance(last, bool):
        message += f" (last seen: {last!r})"
    if detail is not None:
        message += f"\n{detail}"
    return WaitTimeout(message)


def wait_until(
    condition: Callable[[], T],
    *,
    what: str,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = DEFAULT_INTERVAL,
    detail: Callable[[], object] | None = None,
    retry_on: tuple[type[BaseException], ...] = (),
) -> T:
    """Poll ``condition()`` until it returns a truthy value and return that value."""
    deadline = time.monotonic() + timeout
    while True:
        error: BaseException | None = None
        last: T | None = None
        try:
            last = condition()
        except retry_on as raised:
            error = raised
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            raise _timed_out(what, timeout, last, error, detail() if detail else None)
        time.sleep(interval)


@overload
async def wait_until_async(
    condition: Callable[[], Awaitable[T]],
    *,
    what: str,
    timeout: float = ...,  # noqa: ASYNC109
    interval: float = ...,
    detail: Callable[[], object] | None = ...,
    retry_on: tuple[type[BaseException], ...] = ...,
) -> T: ...


@overload
async def wait_until_async(
    condition: Callable[[], T],
    *,
    what: str,
    timeout: float = ...,  # noqa: ASYNC109
    interval: float = ...,
    detail: Callable[[], object] | None = ...,
    retry_on: tuple[type[BaseException], ...] = ...,
) -> T: ...


async def wait_until_async(
    condition: Callable[[], Any],
    *,
    what: str,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - the failure must say what it awaited
    interval: float = DEFAULT_INTERVAL,
    detail: Callable[[], object] | None = None,
    retry_on: tuple[type[BaseException], ...] = (),
) -> Any:
    """The same inside an event loop: ``condition`` may be a plain or an async function."""
    deadline = time.monotonic() + timeout
    while True:
        error: BaseException | None = None
        last: Any = None
        try:
            value = condition()
            if inspect.isawaitable(value):
                value = await value
            last = value
        except retry_on as raised:
            error = raised
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            raise _timed_out(what, timeout, last, error, detail() if detail else None)
        await asyncio.sleep(interval)
