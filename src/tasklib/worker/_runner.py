"""Calling a task function on the event loop or in a pool thread, and what came of it."""

from __future__ import annotations

import asyncio
from typing import Any

from tasklib.db.statements import TaskId
from tasklib.registry import TaskDefinition
from tasklib.worker._outcomes import Outcome, failed_with_exception, returned, timed_out


def call_sync(
    task_id: TaskId, definition: TaskDefinition[..., Any], kwargs: dict[str, Any]
) -> Outcome:
    """Call a sync task function (in a pool thread) and return its outcome."""
    try:
        value = definition.fn(**kwargs)
    except BaseException:
        return failed_with_exception(task_id)
    return returned(task_id, definition, value)


async def call_async(
    task_id: TaskId,
    definition: TaskDefinition[..., Any],
    kwargs: dict[str, Any],
    timeout_seconds: float | None,
) -> Outcome:
    """Await an async task function, cancelled at its timeout, and return its outcome."""
    deadline = asyncio.timeout(timeout_seconds) if timeout_seconds is not None else None
    try:
        if deadline is None:
            value = await definition.fn(**kwargs)
        else:
            async with deadline:
                value = await definition.fn(**kwargs)
    except asyncio.CancelledError:
        raise
    except TimeoutError:
        if deadline is not None and deadline.expired() and timeout_seconds is not None:
            return timed_out(task_id, definition, timeout_seconds, "cancelled")
        return failed_with_exception(task_id)
    except BaseException:
        return failed_with_exception(task_id)
    return returned(task_id, definition, value)
