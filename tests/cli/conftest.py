"""Runs the tasklib command: in this process (``cli``), or as a subprocess, as a user or a
script would (``run_tasklib``, ``cli_process``).

In this process a command runs the same code (click's group, the exit codes of TaskLibGroup,
what it prints on stdout and stderr) without a Python start-up and its imports each time, the
larger part of what the command tests cost. A command that imports the user's module
(``register``, ``schedules apply``: it would register that module's tasks in the test's own
process), one whose process is the point (exit codes as a shell sees them, signals, a worker)
and one that starts the embedded server run as a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from tasklib.cli import main
from tasklib.config import DATABASE_URL_ENV


@dataclass(frozen=True)
class Result:
    """What one run of the command printed and returned."""

    code: int
    out: str
    err: str


RunCli = Callable[..., Result]


def run_tasklib(
    *args: str, env: Mapping[str, str | None] | None = None, timeout: float = 120
) -> Result:
    """Run ``python -m tasklib args``; ``env`` entries set to None are removed."""
    environment = dict(os.environ)
    environment.pop(DATABASE_URL_ENV, None)
    for key, value in (env or {}).items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    completed = subprocess.run(
        [sys.executable, "-m", "tasklib", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


def invoke_tasklib(*args: str, env: Mapping[str, str | None] | None = None) -> Result:
    """Run ``tasklib args`` in this process; ``env`` entries set to None are removed."""
    environment: dict[str, str | None] = {DATABASE_URL_ENV: None, **(env or {})}
    result = CliRunner().invoke(
        main, list(args), env=environment, prog_name="tasklib", catch_exceptions=False
    )
    return Result(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli(database_url: str) -> RunCli:
    """Run the command in this process against the emptied, migrated test database (via
    $TASKLIB_DATABASE_URL)."""

    def run(*args: str, timeout: float = 120) -> Result:
        return invoke_tasklib(*args, env={DATABASE_URL_ENV: database_url})

    return run


@pytest.fixture
def cli_process(database_url: str) -> RunCli:
    """Run ``python -m tasklib`` as a subprocess against the emptied, migrated test database."""

    def run(*args: str, timeout: float = 120) -> Result:
        return run_tasklib(*args, env={DATABASE_URL_ENV: database_url}, timeout=timeout)

    return run
