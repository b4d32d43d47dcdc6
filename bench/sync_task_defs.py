"""The task bench/sync_tasks.py drains, in a module of its own: importable by name in a child
process (a task defined in the script run as ``__main__`` would be run from a fork instead)."""

from __future__ import annotations

import os

import tasklib


@tasklib.task(name="bench.sync_noop")
def noop(i: int) -> int:
    """Does nothing; returns the id of the process that ran it."""
    return os.getpid()
