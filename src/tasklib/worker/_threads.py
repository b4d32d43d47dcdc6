"""Running a sync task in a pool thread, and stopping it there by raising TaskCancelled in it.

A thread cannot be killed, but CPython can raise an exception in it at its next Python
instruction (``PyThreadState_SetAsyncExc``, the mechanism behind Ctrl-C in a script, delivered
to one thread). That stops pure-Python code at once, a busy loop included; a call blocked in C
(``time.sleep``, a socket read, a lock) sees it only once it returns. The exception must never
land outside the task's function (in the pool's own code it would break the pool), so each run
keeps a small state under a lock: the exception is sent only while the function runs, and
whatever is still pending when it returns is withdrawn before the thread leaves.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any

from tasklib import cancellation
from tasklib.db.statements import TaskId
from tasklib.errors import RateLimited, TaskCancelled
from tasklib.registry import TaskDefinition
from tasklib.worker._outcomes import Outcome, failed_with_exception, returned, throttled

try:
    # A prototype of our own, so that the argument types of ctypes.pythonapi's shared function
    # object stay as other code set them. Returns the number of threads it reached.
    _set_async_exc: Any = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.py_object)(
        ("PyThreadState_SetAsyncExc", ctypes.pythonapi)
    )
except (AttributeError, OSError):  # not CPython: sync tasks in threads stop cooperatively only
    _set_async_exc = None

CAN_INTERRUPT = _set_async_exc is not None

_NEW, _RUNNING, _DONE = 0, 1, 2

# One lock for every run: taken twice per sync task by its thread and once per cancellation.
_lock = threading.Lock()


class ThreadRun:
    """One sync task in a pool thread: not started yet, running its function, or done."""

    __slots__ = ("delivered", "interrupted", "state", "task_id", "thread_id")

    def __init__(self, task_id: TaskId) -> None:
        self.task_id = task_id
        self.state = _NEW
        self.thread_id = 0
        # The cancellation reached the run (it will not complete): asked before it started, or
        # while its function ran.
        self.delivered = False
        # TaskCancelled was sent to the thread (at most once per run).
        self.interrupted = False

    def interrupt(self) -> bool:
        """Stop the run (from the event loop's thread); False if its function already returned.

        Not started yet: the function is never called. Running: TaskCancelled is raised in its
        thread at the next Python instruction (only marked, where this Python cannot).
        """
        with _lock:
            if self.state == _DONE:
                return False
            self.delivered = True
            cancellation.mark(self.task_id)
            if self.state == _RUNNING and CAN_INTERRUPT and not self.interrupted:
                self.interrupted = True
                _set_async_exc(self.thread_id, TaskCancelled)
            return True

    def _enter(self) -> None:
        with _lock:
            if self.delivered:
                raise TaskCancelled(f"task {self.task_id} was cancelled before it started")
            self.thread_id = threading.get_ident()
            self.state = _RUNNING

    def _leave(self) -> None:
        # The exception sent by interrupt() may land anywhere in here until it is withdrawn;
        # landing means it was delivered, so nothing is pending any more: just go round again.
        while True:
            try:
                with _lock:
                    self.state = _DONE
                    if self.interrupted:
                        _set_async_exc(self.thread_id, ctypes.py_object())  # NULL: withdraw it
                return
            except TaskCancelled:
                continue


def call_sync(
    task_id: TaskId,
    definition: TaskDefinition[..., Any],
    kwargs: dict[str, Any],
    run: ThreadRun,
) -> Outcome:
    """Call a sync task function (in a pool thread) and return its outcome."""
    token = cancellation.enter(task_id)
    try:
        try:
            try:
                run._enter()
                value = definition.fn(**kwargs)
            finally:
                run._leave()
        except RateLimited as limited:
            return throttled(task_id, limited)
        except BaseException:
            return failed_with_exception(task_id)
        return returned(task_id, definition, value)
    finally:
        cancellation.unmark(task_id)
        cancellation.leave(token)
