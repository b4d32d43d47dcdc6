"""What a running task can ask about its own run: whether its cancellation was asked for.

The worker names the task each run belongs to in a context variable (inherited by the asyncio
tasks a task starts) and keeps the ids of the runs it is stopping in a set of this process; a
sync task run in a child process has its own set, filled by its SIGTERM handler.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

_current: ContextVar[str | None] = ContextVar("tasklib_current_task", default=None)
# Ids (as text) of the runs of this process whose cancellation reached them. Only the worker's
# event loop adds and removes ids of async tasks; a sync task's thread removes its own.
_stopping: set[str] = set()


def cancel_requested() -> bool:
    """Whether the task running this code is being cancelled (``tasklib.cancel``).

    True from the moment the worker delivers the cancellation (an async task's
    ``CancelledError``, a sync task's ``TaskCancelled``) until the run ends, also in the
    ``except`` and ``finally`` blocks that handle it and in the asyncio tasks the task started
    (they inherit its context; a thread it starts does not, unless run with
    ``contextvars.copy_context().run``). False outside a task. See docs/worker.md.
    """
    task_id = _current.get()
    return task_id is not None and task_id in _stopping


def current_task() -> str | None:
    """The id (as text) of the task the calling code runs for, or None outside a task."""
    return _current.get()


def enter(task_id: str) -> Token[str | None]:
    """Name the task the calling context runs (the worker, as a run starts)."""
    return _current.set(task_id)


def leave(token: Token[str | None]) -> None:
    """Undo ``enter`` (a pool thread runs many tasks one after another)."""
    _current.reset(token)


def mark(task_id: str) -> None:
    """The cancellation of this run has reached it: ``cancel_requested()`` is true in it."""
    _stopping.add(task_id)


def unmark(task_id: str) -> None:
    """The run has ended."""
    _stopping.discard(task_id)
