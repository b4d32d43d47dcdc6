"""The files docker-compose.yml relies on: the worker health check, and the paths it names.

No Docker engine runs in CI, so the stack itself is not started here; its pieces are: the
health check runs against the test database, and every path the Dockerfile copies exists.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[2]
HEALTHCHECK = ROOT / "examples" / "docker" / "worker_healthcheck.py"


def _healthcheck(url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TASKLIB_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK)], env=env, capture_output=True, text=True, check=False
    )


def test_worker_healthcheck_follows_this_hosts_heartbeats(
    database_url: str, conn: psycopg.Connection[tuple[Any, ...]]
) -> None:
    assert _healthcheck(database_url).returncode == 1  # no worker yet

    other = "some-other-host-1-abcd"
    conn.execute("SELECT tasklib.worker_heartbeat(%s, gen_random_uuid())", (other,))
    assert _healthcheck(database_url).returncode == 1  # another container's worker

    mine = f"{socket.gethostname()}-4242-beef"
    conn.execute("SELECT tasklib.worker_heartbeat(%s, gen_random_uuid())", (mine,))
    assert _healthcheck(database_url).returncode == 0

    conn.execute(
        "UPDATE tasklib.workers SET last_seen_at = now() - interval '5 minutes' WHERE worker = %s",
        (mine,),
    )
    stale = _healthcheck(database_url)
    assert stale.returncode == 1
    assert "no heartbeat" in stale.stderr


def test_worker_healthcheck_fails_when_the_database_is_down() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _healthcheck(f"postgresql://postgres@127.0.0.1:{port}/x")
    assert result.returncode == 1
    assert "database check failed" in result.stderr


def test_the_files_the_stack_names_exist() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (.+) \S+$", dockerfile, re.MULTILINE):
        for path in source.split():
            assert (ROOT / path).exists(), f"Dockerfile copies missing {path}"
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "/app/examples/docker/worker_healthcheck.py" in compose
    assert (ROOT / "examples" / "fastapi_app" / "app.py").exists()  # `tasklib worker app`
    assert "working_dir: /app/examples/fastapi_app" in compose
