"""`tasklib status`, `tasks list|show|retry|cancel` and `purge` against a real database."""

from __future__ import annotations

import json
import uuid
from typing import Any
from uuid import UUID

import psycopg
import pytest

from tests.cli.conftest import RunCli

Conn = psycopg.Connection[tuple[Any, ...]]

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "app.py", line 3, in charge\n'
    "ValueError: card declined"
)


def submit(conn: Conn, name: str, **options: Any) -> UUID:
    """Queue a task through the SQL API."""
    params = ", ".join(f"{key} => %({key})s" for key in options)
    query = f"SELECT tasklib.submit(%(name)s{', ' + params if params else ''})"
    values = {key: json.dumps(v) if isinstance(v, dict) else v for key, v in options.items()}
    row = conn.execute(query, {"name": name, **values}).fetchone()
    assert row is not None
    return UUID(str(row[0]))


def run_to(conn: Conn, task_id: UUID, outcome: str) -> None:
    """Claim the task (it must be the only one due) and complete or fail it."""
    token = uuid.uuid4()
    claimed = conn.execute(
        "SELECT id FROM tasklib.claim('cli-test', 1, lease_token => %s)", (token,)
    ).fetchall()
    assert [row[0] for row in claimed] == [task_id]
    if outcome == "completed":
        conn.execute(
            "SELECT tasklib.complete('cli-test', ARRAY[%s]::uuid[], ARRAY[%s]::uuid[],"
            " ARRAY['42'::jsonb])",
            (task_id, token),
        )
    else:
        conn.execute(
            "SELECT tasklib.fail('cli-test', ARRAY[%s]::uuid[], ARRAY[%s]::uuid[], ARRAY[%s])",
            (task_id, token, TRACEBACK),
        )


@pytest.fixture
def tasks(conn: Conn) -> dict[str, UUID]:
    """One task in each interesting state, with tags on some."""
    done = submit(conn, "shop.send_receipt", tags={"batch": "weekly", "user_id": 12345})
    run_to(conn, done, "completed")
    dead = submit(conn, "shop.charge", max_retries=0, args={"order": 7})
    run_to(conn, dead, "failed")
    waiting = submit(conn, "shop.send_receipt", tags={"batch": "daily"}, delay_seconds=3600)
    later = submit(conn, "shop.report", delay_seconds=3600, priority=-5)
    return {"completed": done, "failed": dead, "pending": waiting, "report": later}


def test_status_counts_overall_and_per_name(cli: RunCli, tasks: dict[str, UUID]) -> None:
    result = cli("status", "--json")
    assert result.code == 0, result.err
    status = json.loads(result.out)
    assert status["overall"] == {
        "total": 4,
        "pending": 2,
        "running": 0,
        "completed": 1,
        "failed_retrying": 0,
        "failed_permanent": 1,
        "cancelled": 0,
    }
    by_name = {row["name"]: row for row in status["by_name"]}
    assert by_name["shop.send_receipt"]["total"] == 2
    assert by_name["shop.charge"]["failed_permanent"] == 1

    table = cli("status")
    assert table.code == 0, table.err
    assert "shop.send_receipt" in table.out
    assert "all tasks" in table.out


def test_status_on_an_empty_database(cli: RunCli) -> None:
    result = cli("status", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["overall"]["total"] == 0


def test_tasks_list_filters_by_state_name_and_tags(cli: RunCli, tasks: dict[str, UUID]) -> None:
    def ids(*args: str) -> set[str]:
        result = cli("tasks", "list", "--json", *args)
        assert result.code == 0, result.err
        return {row["id"] for row in json.loads(result.out)}

    assert ids() == {str(task_id) for task_id in tasks.values()}
    assert ids("--state", "failed") == {str(tasks["failed"])}
    assert ids("--state", "failed", "--state", "completed") == {
        str(tasks["failed"]),
        str(tasks["completed"]),
    }
    assert ids("--name", "shop.send_receipt") == {str(tasks["completed"]), str(tasks["pending"])}
    assert ids("--tag", "batch=weekly") == {str(tasks["completed"])}
    # Tag values are JSON: 12345 on the command line finds the number 12345.
    assert ids("--tag", "user_id=12345", "--tag", "batch=weekly") == {str(tasks["completed"])}
    assert ids("--tag", "batch=weekly", "--state", "pending") == set()
    assert len(ids("--limit", "2")) == 2

    table = cli("tasks", "list", "--state", "failed")
    assert table.code == 0, table.err
    assert str(tasks["failed"]) in table.out
    assert "failed (permanent)" in table.out


@pytest.mark.parametrize("bad", ["batch", "=weekly"])
def test_tasks_list_rejects_a_malformed_tag_filter(cli: RunCli, bad: str) -> None:
    result = cli("tasks", "list", "--tag", bad)
    assert result.code == 2
    assert "is not a tag filter: use key=value" in result.err
    assert "Traceback" not in result.err


def test_tasks_list_rejects_an_unknown_state(cli: RunCli) -> None:
    result = cli("tasks", "list", "--state", "done")
    assert result.code == 2
    assert "'done' is not one of" in result.err


def test_tasks_show_prints_every_field_and_the_traceback(
    cli: RunCli, tasks: dict[str, UUID]
) -> None:
    result = cli("tasks", "show", str(tasks["failed"]))
    assert result.code == 0, result.err
    for field in ("retry_count", "max_retries", "scheduled_at", "worker_id", "run_at"):
        assert field in result.out
    assert "ValueError: card declined" in result.out
    assert '"order": 7' in result.out
    assert "failed attempts" in result.out  # the attempt history, one row per failure

    as_json = cli("tasks", "show", str(tasks["failed"]), "--json")
    assert as_json.code == 0, as_json.err
    row = json.loads(as_json.out)
    assert row["state"] == "failed"
    assert row["error"] == TRACEBACK
    assert row["args"] == {"order": 7}
    assert row["worker_id"] == "cli-test"
    [failure] = row["failures"]
    assert (failure["attempt"], failure["worker"], failure["error"]) == (1, "cli-test", TRACEBACK)


def test_tasks_show_an_unknown_id_fails_clearly(cli: RunCli) -> None:
    missing = uuid.uuid4()
    result = cli("tasks", "show", str(missing))
    assert result.code == 1
    assert result.err.strip() == f"error: task {missing} not found"


def test_tasks_show_rejects_a_malformed_id(cli: RunCli) -> None:
    result = cli("tasks", "show", "1234")
    assert result.code == 2
    assert "'1234' is not a task id" in result.err


def test_tasks_retry_requeues_a_permanent_failure(
    cli: RunCli, conn: Conn, tasks: dict[str, UUID]
) -> None:
    result = cli("tasks", "retry", str(tasks["failed"]))
    assert result.code == 0, result.err
    assert "queued again" in result.out
    row = conn.execute(
        "SELECT state, retry_count FROM tasklib.tasks WHERE id = %s", (tasks["failed"],)
    ).fetchone()
    assert row == ("pending", 0)

    refused = cli("tasks", "retry", str(tasks["completed"]))
    assert refused.code == 1
    assert "only a permanently failed or cancelled task can be retried" in refused.err

    missing = cli("tasks", "retry", str(uuid.uuid4()))
    assert missing.code == 1
    assert "not found" in missing.err


def test_tasks_retry_with_a_delay(cli: RunCli, conn: Conn, tasks: dict[str, UUID]) -> None:
    result = cli("tasks", "retry", str(tasks["failed"]), "--delay", "10m", "--json")
    assert result.code == 0, result.err
    row = conn.execute(
        "SELECT scheduled_at - now() FROM tasklib.tasks WHERE id = %s", (tasks["failed"],)
    ).fetchone()
    assert row is not None
    assert 590 < row[0].total_seconds() <= 600


def test_tasks_cancel_a_waiting_task(cli: RunCli, conn: Conn, tasks: dict[str, UUID]) -> None:
    result = cli("tasks", "cancel", str(tasks["pending"]), "--reason", "duplicate order")
    assert result.code == 0, result.err
    assert result.out.strip() == f"task {tasks['pending']} (shop.send_receipt) cancelled"
    row = conn.execute(
        "SELECT state, cancel_reason, cancelled_by = session_user FROM tasklib.tasks WHERE id = %s",
        (tasks["pending"],),
    )
    assert row.fetchone() == ("cancelled", "duplicate order", True)

    refused = cli("tasks", "cancel", str(tasks["completed"]))
    assert refused.code == 1
    assert "is completed: only an unfinished task can be cancelled" in refused.err

    missing = cli("tasks", "cancel", str(uuid.uuid4()))
    assert missing.code == 1
    assert "not found" in missing.err


def test_tasks_cancel_a_running_task_asks_its_worker(cli: RunCli, conn: Conn) -> None:
    running = submit(conn, "shop.export")
    conn.execute("SELECT tasklib.claim('cli-test', 1, lease_token => %s)", (uuid.uuid4(),))
    result = cli("tasks", "cancel", str(running))
    assert result.code == 0, result.err
    assert result.out.strip() == (
        f"task {running} (shop.export) is running: its worker cli-test was asked to stop it, "
        "and it ends cancelled once stopped"
    )
    as_json = cli("tasks", "cancel", str(running), "--json")
    assert as_json.code == 0, as_json.err
    row = json.loads(as_json.out)
    assert row["state"] == "running"
    assert row["cancel_requested_at"] is not None


def test_tasks_cancel_by_filter(cli: RunCli, conn: Conn, tasks: dict[str, UUID]) -> None:
    numbered = submit(conn, "shop.send_receipt", tags={"user_id": 12345}, delay_seconds=60)
    texted = submit(conn, "shop.send_receipt", tags={"user_id": "12345"}, delay_seconds=60)
    other = submit(conn, "shop.send_receipt", tags={"user_id": 7}, delay_seconds=60)
    # Like `tasks list --tag`, 12345 matches the number and the text; finished tasks are left.
    result = cli(
        "tasks", "cancel", "--name", "shop.send_receipt", "--tag", "user_id=12345", "--json"
    )
    assert result.code == 0, result.err
    assert json.loads(result.out) == {"count": 2, "ids": sorted([str(numbered), str(texted)])}
    states = dict(conn.execute("SELECT id, state FROM tasklib.tasks").fetchall())
    assert (states[numbered], states[texted], states[other]) == (
        "cancelled",
        "cancelled",
        "pending",
    )
    assert states[tasks["completed"]] == "completed"

    by_queue = cli("tasks", "cancel", "--queue", "default", "--reason", "closing the shop")
    assert by_queue.code == 0, by_queue.err
    assert by_queue.out.strip() == (
        "cancelled 3 task(s); a running one ends cancelled once its worker has stopped it"
    )
    none = cli("tasks", "cancel", "--queue", "default")
    assert (none.code, none.out.strip()) == (0, "no unfinished task matches")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give a task id, or filters (--name, --queue, --tag)"),
        ((str(uuid.uuid4()), "--queue", "default"), "not both"),
    ],
)
def test_tasks_cancel_needs_an_id_or_filters(
    cli: RunCli, args: tuple[str, ...], message: str
) -> None:
    result = cli("tasks", "cancel", *args)
    assert result.code == 2
    assert message in result.err


def test_purge_deletes_only_old_finished_tasks(
    cli: RunCli, conn: Conn, tasks: dict[str, UUID]
) -> None:
    conn.execute(
        "UPDATE tasklib.tasks SET completed_at = now() - interval '8 days' WHERE id = %s",
        (tasks["completed"],),
    )
    result = cli("purge", "--older-than", "7d", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {"deleted": 1, "older_than_seconds": 7 * 86400.0}
    left = {row[0] for row in conn.execute("SELECT id FROM tasklib.tasks").fetchall()}
    assert left == {tasks["failed"], tasks["pending"], tasks["report"]}

    # Batches smaller than the work: purge loops until nothing is left to delete.
    conn.execute("UPDATE tasklib.tasks SET completed_at = now() - interval '2 hours'")
    conn.execute("UPDATE tasklib.tasks SET state = 'cancelled' WHERE state = 'pending'")
    plain = cli("purge", "--older-than", "1h", "--batch-size", "1")
    assert plain.code == 0, plain.err
    assert plain.out.strip() == "deleted 3 finished task(s) older than 1h"


@pytest.mark.parametrize("bad", ["7", "7 days"])
def test_purge_rejects_a_bad_duration(cli: RunCli, bad: str) -> None:
    result = cli("purge", "--older-than", bad)
    assert result.code == 2
    assert "is not a duration" in result.err
