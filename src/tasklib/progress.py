"""A running task's report of how far it has got: kept here, sent with the worker's heartbeat.

``report_progress`` does no I/O: the task may call it as often as it likes, and only its latest
report is written, by the worker's next heartbeat round (every third of the lease, 10 s by
default), as ``tasks.progress`` through ``tasklib.report_progress``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tasklib import cancellation
from tasklib.errors import InvalidArgumentError, TaskLibError

# Task id (as text) -> its latest report, as JSON text, not yet written.
_pending: dict[str, str] = {}
# Set in the child process that runs sync tasks with a timeout: takes each report (task id, JSON
# text) to the worker, through the child's pipe (worker/_child.py).
_forward: Callable[[str, str], None] | None = None
MAX_BYTES = 65536


def report_progress(progress: Any) -> None:
    """Record how far the running task has got: any JSON value (e.g. ``{"done": 40, "total":
    100}``), at most 64 KiB, shown as ``Task.progress`` and in ``tasklib tasks show``.

    The latest report is written with the worker's next heartbeat round (from a sync task
    with a timeout, which runs in a child process, the child sends its latest report to the
    worker at most every 50 ms). Called outside a task, it raises TaskLibError.
    """
    task_id = cancellation.current_task()
    if task_id is None:
        raise TaskLibError("report_progress is called from a running task's code only")
    try:
        encoded = json.dumps(progress, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidArgumentError(f"progress must be a JSON value: {error}") from None
    if len(encoded.encode()) > MAX_BYTES:
        raise InvalidArgumentError(f"progress must be at most 64 KiB of JSON, got {len(encoded)}")
    if _forward is not None:
        _forward(task_id, encoded)
    else:
        _pending[task_id] = encoded


def forward_to(send: Callable[[str, str], None]) -> None:
    """In a child process: hand each report to ``send`` instead of keeping it here."""
    global _forward
    _forward = send


def record(task_id: str, encoded: str) -> None:
    """Keep a report a child process sent for one of this worker's tasks."""
    _pending[task_id] = encoded


def take(task_ids: list[str]) -> tuple[list[str], list[str]]:
    """The unsent reports of these running tasks (ids and JSON texts), forgotten here."""
    ids = [task_id for task_id in task_ids if task_id in _pending]
    return ids, [_pending.pop(task_id) for task_id in ids]


def forget(task_id: str) -> None:
    """The run has ended: a report it left unsent is moot."""
    _pending.pop(task_id, None)
