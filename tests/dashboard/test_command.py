"""`tasklib dashboard` serves the app; a bad --bind is a usage error."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from tasklib.cli._dashboard import parse_bind
from tasklib.errors import ConfigurationError
from tests.dashboard.test_browser import free_port


def test_bind_parsing() -> None:
    assert parse_bind("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert parse_bind("[::1]:9000") == ("::1", 9000)
    for bad in ("8080", "localhost:", "host:99999", ":80"):
        with pytest.raises(ConfigurationError, match="--bind wants HOST:PORT"):
            parse_bind(bad)


def test_the_command_serves_the_dashboard_read_only(database_url: str) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "TASKLIB_DASHBOARD_ADMIN_TOKEN"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tasklib",
            "dashboard",
            "--database-url",
            database_url,
            "--bind",
            f"127.0.0.1:{port}",
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.ConnectError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the dashboard did not start"
                time.sleep(0.1)
        assert response.status_code == 200
        assert "read-only" in response.text
    finally:
        process.terminate()
        process.wait(15)
    assert process.stderr is not None
    assert f"TaskLib dashboard on http://127.0.0.1:{port}/ (read-only)" in process.stderr.read()
