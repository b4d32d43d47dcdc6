"""Sync tasks with a timeout (each runs in one of the worker's child processes) that say which
process ran them, or write their process id into the folder they are given and wait there."""

from __future__ import annotations

import os
import time
from pathlib import Path

import tasklib


def note_pid(folder: str, name: str = "pid") -> None:
    """Write this process's id to FOLDER/NAME, whole (a reader never sees half of it)."""
    partial = Path(folder, f".{name}")
    partial.write_text(str(os.getpid()))
    partial.rename(Path(folder, name))


@tasklib.task(timeout_seconds=30)
def pid(n: int) -> int:
    """Which process ran the task."""
    return os.getpid()


@tasklib.task(timeout_seconds=1, max_retries=0)
def sleeps_past_its_timeout(folder: str) -> None:
    note_pid(folder)
    time.sleep(60)


@tasklib.task(timeout_seconds=60, max_retries=2, backoff_base_seconds=0.05)
def waits_to_be_killed(folder: str) -> int:
    """The first attempt waits (its child is killed by the test); the next one returns."""
    if Path(folder, "pid").exists():
        return os.getpid()
    note_pid(folder)
    time.sleep(60)
    return 0


@tasklib.task(timeout_seconds=60, max_retries=0)
def sleeps(folder: str) -> None:
    note_pid(folder)
    time.sleep(60)


@tasklib.task(timeout_seconds=60)
def reports_progress(folder: str) -> int:
    """Reports twice (the second report is the one the worker keeps), then waits for FOLDER/go."""
    tasklib.report_progress({"done": 1})
    tasklib.report_progress({"done": 2, "pid": os.getpid()})
    while not Path(folder, "go").exists():
        time.sleep(0.01)
    return os.getpid()


def _closure() -> tasklib.TaskDefinition[[str], None]:
    @tasklib.task(name="tests.worker.tasks_children.sleeps_in_a_fork", timeout_seconds=60)
    def sleeps_in_a_fork(folder: str) -> None:
        """``sleeps`` as a closure: it runs in a child forked from the worker."""
        note_pid(folder, "forked-pid")
        time.sleep(60)

    return sleeps_in_a_fork


sleeps_in_a_fork = _closure()
