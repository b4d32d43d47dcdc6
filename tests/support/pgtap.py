"""Runs sqltests/**/test_*.sql as pytest items, reading their TAP output like pg_prove does.

Each file runs on its own connection to a database used only by pgTAP files; the files wrap
themselves in BEGIN ... ROLLBACK, so they leave nothing behind.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

import tasklib

_PLAN = re.compile(r"^1\.\.(\d+)")
_RESULT = re.compile(r"^(not )?ok (\d+)")


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    is_pgtap = file_path.suffix == ".sql" and file_path.name.startswith("test_")
    if is_pgtap and "sqltests" in file_path.parts:
        return PgTapFile.from_parent(parent, path=file_path)
    return None


class PgTapFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        path = self.path

        def run(pgtap_database_url: str) -> None:
            check_tap(run_pgtap_file(pgtap_database_url, path))

        yield pytest.Function.from_parent(self, name=self.path.stem, callobj=run)


class PgTapFailure(AssertionError):
    """A pgTAP file whose plan was not met or whose tests did not all pass."""


def run_pgtap_file(url: str, path: Path) -> list[str]:
    """Execute one pgTAP file and return every TAP line it printed."""
    lines: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cursor:
        cursor.execute(path.read_text().encode())
        while True:
            if cursor.description is not None:
                for row in cursor.fetchall():
                    for value in row:
                        if value is not None:
                            lines.extend(str(value).splitlines())
            if not cursor.nextset():
                break
    return lines


def check_tap(lines: list[str]) -> None:
    """Raise PgTapFailure unless the TAP stream shows a plan met with every test ok."""
    planned: int | None = None
    ran = 0
    failures: list[str] = []
    for index, line in enumerate(lines):
        if (plan := _PLAN.match(line)) is not None:
            planned = int(plan.group(1))
        elif (result := _RESULT.match(line)) is not None:
            ran += 1
            if result.group(1):
                detail = [line]
                detail.extend(
                    following for following in lines[index + 1 :] if following.startswith("#")
                )
                failures.append("\n".join(detail[:12]))
    if planned is None:
        failures.append("no plan: the file must call plan(n) or no_plan()")
    elif planned != ran:
        failures.append(f"planned {planned} tests but ran {ran}")
    if failures:
        raise PgTapFailure("\n".join(failures))


def _install_pgtap(conn: psycopg.Connection[Any]) -> None:
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgtap")
        return
    except psycopg.Error:
        pass
    # PostgreSQL 18 can load extensions from another install's folder (e.g. Debian's pgTAP).
    candidates = sorted(glob.glob("/usr/share/postgresql/*/extension/pgtap.control"), reverse=True)
    for control in candidates:
        share = str(Path(control).parent.parent)
        try:
            conn.execute(f"SET extension_control_path = '{share}:$system'")
            conn.execute("CREATE EXTENSION IF NOT EXISTS pgtap")
            return
        except psycopg.Error:
            continue
    pytest.skip(
        "pgTAP is not installed on the test server (Debian: apt-get install postgresql-15-pgtap)"
    )


@pytest.fixture(scope="session")
def pgtap_database_url(make_database: Callable[[str], str]) -> str:
    """A migrated database with pgTAP installed, used only by the sqltests/ files."""
    url = make_database("pgtap")
    tasklib.migrate(url)
    with psycopg.connect(url, autocommit=True) as conn:
        _install_pgtap(conn)
    return url
