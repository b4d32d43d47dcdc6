"""The event loop a worker process runs on: uvloop's when it is installed, else asyncio's."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)``, on uvloop if it can be imported.

    uvloop shortens each hop of an idle worker's pickup (the NOTIFY read, the wake-up, the
    claim's round trip, the task's start) by running the loop's machinery in C. It is
    optional: TaskLib does not depend on it, and behaves the same without it.
    """
    try:
        import uvloop  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return asyncio.run(main)
    result: T = uvloop.run(main)
    return result
