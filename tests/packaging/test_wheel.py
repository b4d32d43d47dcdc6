"""The install instruction, followed from a built wheel in a fresh virtual environment, gives a
working `tasklib demo`: the wheel carries the SQL schema and the demo's sample tasks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("uv") is None, reason="needs uv to build and install"),
]


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_wheel_installs_and_runs_the_demo(tmp_path: Path) -> None:
    _run("uv", "build", "--wheel", "--out-dir", tmp_path / "dist", cwd=ROOT)
    [wheel] = (tmp_path / "dist").glob("tasklib_pg-*.whl")
    venv = tmp_path / "venv"
    _run("uv", "venv", "--python", sys.executable, venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    _run("uv", "pip", "install", "--python", python, f"{wheel}[embedded]", cwd=tmp_path)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TASKLIB_", "VIRTUAL_ENV", "UV_"))
    }
    env["TASKLIB_HOME"] = str(tmp_path / "home")  # a first run: no embedded server yet
    # Outside the checkout, so nothing of the repository is importable.
    out = _run(venv / "bin" / "tasklib", "demo", cwd=tmp_path, env=env)
    assert "ended as expected" in out
    version = _run(venv / "bin" / "tasklib", "--version", cwd=tmp_path, env=env)
    assert version.startswith("tasklib, version ")
