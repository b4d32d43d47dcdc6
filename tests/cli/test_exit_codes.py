"""The exit codes of `tasklib`: one table (README, `tasklib --help`) and each cause in it."""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg

from tasklib.cli._support import EXIT_CODES
from tests.cli.conftest import RunCli, run_tasklib

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_TASKS = str(ROOT / "examples" / "tasks.py")


def _readme_table() -> dict[int, str]:
    text = (ROOT / "README.md").read_text()
    table = text[text.index("| exit code | meaning |") :].split("\n\n", 1)[0]
    return {
        int(code): meaning for code, meaning in re.findall(r"^\| `(\d+)` \| (.+) \|$", table, re.M)
    }


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    return f"postgresql://postgres@127.0.0.1:{port}/nowhere"


def _first_error_line(stderr: str) -> str:
    return next((line for line in stderr.splitlines() if "error" in line.lower()), "")


def test_the_readme_and_the_help_show_the_one_table() -> None:
    assert _readme_table() == EXIT_CODES
    shown = run_tasklib("--help")
    assert shown.code == 0, shown.err
    flat = " ".join(shown.out.split())
    assert "Exit codes:" in flat
    for code, meaning in EXIT_CODES.items():
        assert f"{code} {meaning}" in flat


def test_each_cause_in_the_table_exits_with_its_code(
    cli_process: RunCli, make_database: Callable[[str], str]
) -> None:
    unknown = str(uuid.uuid4())
    bare = make_database("exit_codes_bare")
    causes: list[tuple[int, str, tuple[str, ...], RunCli]] = [
        (0, "success", ("status",), cli_process),
        (1, "unknown task id", ("tasks", "show", unknown), cli_process),
        (1, "unknown task id", ("tasks", "cancel", unknown), cli_process),
        (1, "schema not migrated", ("status", "--database-url", bare), run_tasklib),
        (2, "malformed id", ("tasks", "show", "not-a-uuid"), cli_process),
        (2, "malformed tag filter", ("tasks", "list", "--tag", "campaign"), cli_process),
        (2, "malformed duration", ("purge", "--older-than", "7x"), cli_process),
        (2, "malformed URL", ("status", "--database-url", "mysql://localhost/db"), run_tasklib),
        (3, "unreachable", ("status", "--database-url", _closed_port_url()), run_tasklib),
    ]
    wrong = []
    for code, cause, args, run in causes:
        result = run(*args)
        if result.code != code or (code and "error" not in result.err.lower()):
            wrong.append(f"{cause}: tasklib {' '.join(args)} -> {result.code}, {result.err!r}")
    assert not wrong, "\n".join(wrong)


def test_a_task_in_the_wrong_state_is_refused(
    cli_process: RunCli, conn: psycopg.Connection[tuple[object, ...]]
) -> None:
    row = conn.execute("SELECT tasklib.submit('examples.send_email', '{}')").fetchone()
    assert row is not None
    task_id = str(row[0])
    assert cli_process("tasks", "cancel", task_id).code == 0
    again = cli_process("tasks", "cancel", task_id)
    assert again.code == 1, again.err
    assert again.err.startswith("error: ")


def test_a_worker_before_migrate_exits_1_with_one_clear_line(
    make_database: Callable[[str], str],
) -> None:
    result = run_tasklib("worker", EXAMPLE_TASKS, "--database-url", make_database("exit_worker"))
    assert result.code == 1, result.err
    assert _first_error_line(result.err).startswith(
        "error: the tasklib schema is missing or outdated in this database"
    ), result.err


def test_a_worker_that_cannot_reach_the_database_exits_3() -> None:
    result = run_tasklib("worker", EXAMPLE_TASKS, "--database-url", _closed_port_url(), timeout=60)
    assert result.code == 3, result.err
    assert _first_error_line(result.err).startswith("error: cannot connect to the database at ")
