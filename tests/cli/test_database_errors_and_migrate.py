"""`tasklib migrate`, and what every command says when the database is missing or wrong."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from tasklib.config import DATABASE_URL_ENV
from tasklib.migrate import applied_changes, read_plan
from tests.cli.conftest import run_tasklib


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["tasks", "show", "550e8400-e29b-41d4-a716-446655440001"],
        ["migrate"],
    ],
)
def test_an_unreachable_database_is_one_line_and_exit_3(command: list[str]) -> None:
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/nowhere"
    result = run_tasklib(*command, "--database-url", url)
    assert result.code == 3
    assert result.err.startswith("error: cannot connect to the database at ")
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_the_url_can_come_from_the_environment() -> None:
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/nowhere"
    result = run_tasklib("status", env={DATABASE_URL_ENV: url})
    assert result.code == 3
    assert "127.0.0.1" in result.err


def test_a_malformed_url_is_a_usage_error() -> None:
    result = run_tasklib("status", "--database-url", "mysql://localhost/db")
    assert result.code == 2
    assert "database_url must start with postgresql://" in result.err


def test_migrate_applies_and_rolls_back(make_database: Callable[[str], str]) -> None:
    url = make_database("cli_migrate")
    every = [change.name for change in read_plan()]

    applied = run_tasklib("migrate", "--database-url", url)
    assert applied.code == 0, applied.err
    assert applied.out.strip() == f"applied: {', '.join(every)}"
    assert applied_changes(url) == every

    again = run_tasklib("migrate", "--database-url", url)
    assert again.out.strip() == "schema is up to date"

    one = run_tasklib("migrate", "--database-url", url, "--rollback", "1")
    assert one.code == 0, one.err
    assert one.out.strip() == f"reverted: {every[-1]}"
    assert applied_changes(url) == every[:-1]

    everything = run_tasklib("migrate", "--database-url", url, "--rollback-all")
    assert everything.code == 0, everything.err
    assert applied_changes(url) == []


def test_migrate_rejects_a_bad_rollback_count() -> None:
    result = run_tasklib("migrate", "--rollback", "0", "--database-url", "postgresql://x@y/z")
    assert result.code == 2
    assert "--rollback" in result.err


def test_a_database_without_the_schema_says_to_migrate(
    make_database: Callable[[str], str],
) -> None:
    url = make_database("cli_unmigrated")
    result = run_tasklib("status", "--database-url", url)
    assert result.code == 1
    assert "run `tasklib migrate`" in result.err
    assert "Traceback" not in result.err
