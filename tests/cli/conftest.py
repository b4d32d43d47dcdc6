"""Runs the tasklib command as a subprocess, as a user or a script would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pytest

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


@pytest.fixture
def cli(database_url: str) -> RunCli:
    """Run the command against the emptied, migrated test database (via $TASKLIB_DATABASE_URL)."""

    def run(*args: str, timeout: float = 120) -> Result:
        return run_tasklib(*args, env={DATABASE_URL_ENV: database_url}, timeout=timeout)

    return run
