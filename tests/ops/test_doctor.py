"""`tasklib doctor` against a real database: clean, then with a transaction left open."""

from __future__ import annotations

import json
import re
import time

import psycopg
from click.testing import CliRunner

from tasklib.cli import main


def doctor(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["doctor", "--database-url", url, *args])
    return result.exit_code, result.output


def dead_rows(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT dead_rows FROM tasklib.health_tasks_table").fetchone()
    return int(row[0]) if row else 0


def test_clean_database_exits_0(database_url: str) -> None:
    code, output = doctor(database_url)
    assert code == 0, output
    assert "no problems found" in output


def test_open_transaction_is_named_with_the_dead_rows_it_holds_back(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("SELECT tasklib.submit('ops.dead', '{}'::jsonb) FROM generate_series(1, 500)")
        before = dead_rows(database_url)
        stuck = psycopg.connect(database_url, application_name="nightly-report")
        try:
            # A report that read the queue and never committed: its snapshot pins the horizon.
            stuck.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            stuck.execute("SELECT count(*) FROM tasklib.tasks").fetchone()
            pid = stuck.info.backend_pid
            admin.execute("DELETE FROM tasklib.tasks WHERE name = 'ops.dead'")
            admin.execute("VACUUM tasklib.tasks")  # removes nothing the snapshot may still see
            deadline = time.monotonic() + 10
            while dead_rows(database_url) < before + 500 and time.monotonic() < deadline:
                time.sleep(0.2)  # statistics reach pg_stat_user_tables within a second or so
            dead = dead_rows(database_url)
            assert dead >= 500
            time.sleep(1.1)
            code, output = doctor(database_url, "--max-transaction-age", "1")
            print(output)
            assert code == 1
            assert f"session pid {pid} (application_name 'nightly-report'" in output
            assert re.search(r"idle in transaction for \d+ s", output)
            assert f"tasklib.tasks has {dead} dead rows" in output
            assert f"pg_terminate_backend({pid})" in output
            code, output = doctor(database_url, "--max-transaction-age", "1", "--json")
            report = json.loads(output)
            assert not report["healthy"]
            [finding] = [f for f in report["findings"] if f["check"] == "long_transaction"]
            assert finding["facts"]["pid"] == pid
            assert finding["facts"]["application_name"] == "nightly-report"
            assert finding["facts"]["transaction_seconds"] >= 1
            assert finding["facts"]["dead_rows"] == dead
        finally:
            stuck.close()
        admin.execute("VACUUM tasklib.tasks")
    code, output = doctor(database_url)
    assert code == 0, output
