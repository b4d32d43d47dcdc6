"""`tasklib schedules [list|show|create|pause|resume|remove|apply]` against a real database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg

from tests.cli.conftest import RunCli

Conn = psycopg.Connection[tuple[Any, ...]]


def test_create_list_show_pause_resume_remove(cli: RunCli, conn: Conn) -> None:
    empty = cli("schedules")
    assert empty.code == 0, empty.err
    assert "no schedules" in empty.out

    made = cli(
        "schedules", "create", "nightly", "reports.daily", "0 3 * * *",
        "--args", '{"kind": "full"}', "--timezone", "Europe/Paris", "--catch-up", "skip",
    )  # fmt: skip
    assert made.code == 0, made.err
    assert made.out.strip() == "schedule nightly: reports.daily at 0 3 * * * (Europe/Paris)"

    listed = cli("schedules")
    assert listed.code == 0, listed.err
    row = next(line for line in listed.out.splitlines() if line.startswith("nightly"))
    assert row.split()[:9] == ["nightly", "reports.daily", "0", "3", "*", "*", "*",
                               "Europe/Paris", "skip"]  # fmt: skip
    assert cli("schedules", "list").out == listed.out

    shown = json.loads(cli("schedules", "show", "nightly", "--json").out)
    assert (shown["args"], shown["catch_up"], shown["paused"]) == ({"kind": "full"}, "skip", False)
    text = cli("schedules", "show", "nightly").out
    assert '{"kind": "full"}' in text

    assert cli("schedules", "pause", "nightly").out.strip() == "schedule nightly paused"
    assert "paused" in cli("schedules").out
    assert json.loads(cli("schedules", "resume", "nightly", "--json").out)["paused"] is False
    assert cli("schedules", "remove", "nightly").out.strip() == "schedule nightly removed"
    assert conn.execute("SELECT count(*) FROM tasklib.schedules").fetchone() == (0,)


def test_refusals_and_their_exit_codes(cli: RunCli) -> None:
    bad_cron = cli("schedules", "create", "s", "t", "* * *")
    assert bad_cron.code == 2
    assert "cron must have 5 fields" in bad_cron.err
    bad_args = cli("schedules", "create", "s", "t", "* * * * *", "--args", "{oops")
    assert bad_args.code == 2
    assert "--args must be a JSON object" in bad_args.err
    bad_zone = cli("schedules", "create", "s", "t", "* * * * *", "--timezone", "Nowhere/Land")
    assert bad_zone.code == 2
    assert "timezone must be a time zone name" in bad_zone.err
    for action in ("show", "pause", "resume", "remove"):
        missing = cli("schedules", action, "nope")
        assert (missing.code, missing.err.strip()) == (1, "error: schedule 'nope' not found")


def test_apply_creates_the_schedules_a_module_declares(
    cli_process: RunCli, conn: Conn, tmp_path: Path
) -> None:
    module = tmp_path / "cron_app.py"
    module.write_text(
        "import tasklib\n"
        "@tasklib.task(name='cron_app.cleanup', schedule='*/10 * * * *')\n"
        "def cleanup() -> None: ...\n"
        "@tasklib.task(name='cron_app.report')\n"
        "def report(kind: str) -> None: ...\n"
        "tasklib.schedule(report, cron='0 6 * * 1', name='weekly', args={'kind': 'weekly'},\n"
        "                 timezone='Europe/Paris')\n"
    )
    first = cli_process("schedules", "apply", str(module))
    assert first.code == 0, first.err
    assert (
        first.out.strip()
        == "2 schedule(s) declared, 2 created or changed: cron_app.cleanup, weekly"
    )
    again = json.loads(cli_process("schedules", "apply", str(module), "--json").out)
    assert again == {"declared": ["cron_app.cleanup", "weekly"], "changed": []}
    rows = conn.execute("SELECT name, cron, args, timezone FROM tasklib.schedules ORDER BY name")
    assert rows.fetchall() == [
        ("cron_app.cleanup", "*/10 * * * *", {}, "UTC"),
        ("weekly", "0 6 * * 1", {"kind": "weekly"}, "Europe/Paris"),
    ]
    nothing = tmp_path / "no_schedules.py"
    nothing.write_text("import tasklib\n")
    refused = cli_process("schedules", "apply", str(nothing))
    assert refused.code == 2
    assert "no schedule is declared" in refused.err
