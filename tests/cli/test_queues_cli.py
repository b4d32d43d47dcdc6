"""`tasklib queues [list|show|pause|resume|set-limits|suspend]` against a real database."""

from __future__ import annotations

import json
from typing import Any

import psycopg

from tests.cli.conftest import RunCli

Conn = psycopg.Connection[tuple[Any, ...]]


def test_set_limits_then_list_and_show(cli: RunCli, conn: Conn) -> None:
    empty = cli("queues")
    assert (empty.code, empty.out.strip()) == (0, empty.out.strip())
    assert "no queues yet" in empty.out

    conn.execute("SELECT tasklib.submit('app.charge', queue => 'payments', limit_key => 'acme')")
    result = cli(
        "queues",
        "set-limits",
        "payments",
        "--concurrency",
        "5",
        "--key-concurrency",
        "1",
        "--rate",
        "100/1m",
        "--rate-burst",
        "10",
        "--key-rate",
        "2/1s",
    )
    assert result.code == 0, result.err
    assert result.out.strip() == (
        "queue payments: 5 running, rate 100/1m burst 10, per key 1 running, 2/1s"
    )

    listed = cli("queues")
    assert listed.code == 0, listed.err
    row = next(line for line in listed.out.splitlines() if line.startswith("payments"))
    assert row.split()[:6] == ["payments", "0/5", "1", "1", "running,", "2/1s"]
    assert "100/1m burst 10" in row
    assert cli("queues", "list").out == listed.out

    shown = cli("queues", "show", "payments", "--json")
    assert shown.code == 0, shown.err
    queue = json.loads(shown.out)
    assert {k: queue[k] for k in ("queue", "paused", "running", "due")} == {
        "queue": "payments",
        "paused": False,
        "running": 0,
        "due": 1,
    }
    assert (queue["concurrency_limit"], queue["key_concurrency_limit"]) == (5, 1)
    assert (queue["rate_limit"], queue["rate_period_seconds"], queue["rate_burst"]) == (100, 60, 10)
    assert (queue["key_rate_limit"], queue["key_rate_period_seconds"]) == (2, 1)
    assert queue["key_rate_burst"] == 1
    assert cli("queues", "--json").out.strip().startswith("[")

    # set-limits replaces: what is not given is lifted.
    replaced = json.loads(cli("queues", "set-limits", "payments", "--rate", "50/s", "--json").out)
    assert (replaced["rate_limit"], replaced["rate_period_seconds"]) == (50, 1)
    assert (replaced["concurrency_limit"], replaced["key_rate_limit"]) == (None, None)


def test_pause_suspend_resume(cli: RunCli) -> None:
    paused = cli("queues", "pause", "mail")
    assert (paused.code, paused.out.strip()) == (0, "queue mail paused (0 still running)")

    by_key = cli("queues", "suspend", "mail", "--for", "5m", "--key", "acme", "--json")
    assert by_key.code == 0, by_key.err
    assert list(json.loads(by_key.out)["suspended_keys"]) == ["acme"]
    whole = cli("queues", "suspend", "mail", "--for", "90")
    assert whole.code == 0, whole.err
    assert whole.out.startswith("queue mail suspended until ")

    shown = cli("queues", "show", "mail")
    assert "paused" in shown.out
    assert "acme" in shown.out
    resumed = cli("queues", "resume", "mail", "--json")
    queue = json.loads(resumed.out)
    assert (queue["paused"], queue["suspended_until"], queue["suspended_keys"]) == (False, None, {})


def test_errors_and_exit_codes(cli: RunCli) -> None:
    unknown = cli("queues", "show", "nowhere")
    assert (unknown.code, unknown.err.strip()) == (1, "error: queue 'nowhere' not found")

    out_of_range = cli("queues", "set-limits", "api", "--concurrency", "0")
    assert out_of_range.code == 2
    assert "concurrency_limit must be at least 1" in out_of_range.err

    for args, message in [
        (("--rate", "50"), "is not a rate"),
        (("--rate-burst", "5"), "--rate-burst needs --rate"),
    ]:
        refused = cli("queues", "set-limits", "api", *args)
        assert refused.code == 2, refused
        assert message in refused.err

    missing = cli("queues", "suspend", "api")
    assert missing.code == 2
    assert "--for" in missing.err
    bad_duration = cli("queues", "suspend", "api", "--for", "soon")
    assert (bad_duration.code, "is not a duration" in bad_duration.err) == (2, True)
    # Nothing refused created the queue.
    assert "no queues yet" in cli("queues").out


def test_set_limits_help_says_it_replaces_every_limit(cli: RunCli) -> None:
    result = cli("queues", "set-limits", "--help")
    assert result.code == 0
    assert "REPLACING all of them" in result.out
