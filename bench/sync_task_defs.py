"""The task bench/sync_tasks.py drains, in a module of its own: importable by name in a child
process (a task defined in the script run as ``__main__`` would be run from a fork instead)."""

from __future__ import annotations

import os

import tasklib


@tasklib.task(name="bench.sync_noop")
def noop(i: int) -> int:
    """Does nothing; returns the id of the process that ran it."""
    return os.getpid()


def _closure() -> tasklib.TaskDefinition[[int], int]:
    @tasklib.task(name="bench.sync_noop_closure")
    def noop_closure(i: int) -> int:
        """The same as a closure (as Django's tasks are): children forked from the worker."""
        return os.getpid()

    return noop_closure


noop_closure = _closure()
