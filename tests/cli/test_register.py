"""`tasklib register MODULE`: task definitions reach tasklib.task_types without a worker, so a
SQL submission gets the task's options and schema check from the first deploy."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from .conftest import RunCli


def test_register_records_the_module_s_tasks(
    cli_process: RunCli, conn: psycopg.Connection[Any]
) -> None:
    result = cli_process("register", "examples.tasks", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {
        "registered": ["examples.resize_image", "examples.send_email"]
    }
    # A SQL submit now takes the task's registered options...
    conn.execute(
        'SELECT tasklib.submit(\'examples.resize_image\', \'{"path": "a.png", "width": 640}\')'
    )
    row = conn.execute("SELECT queue, priority FROM tasklib.tasks").fetchone()
    assert row == ("images", 5)
    # ...and its arguments are checked against the task's schema.
    bad = json.dumps({"path": "a.png", "width": "wide"})
    with pytest.raises(psycopg.Error) as refused:
        conn.execute("SELECT tasklib.submit('examples.resize_image', %s::jsonb)", (bad,))
    assert refused.value.sqlstate == "TL005"


def test_register_a_package_without_tasks_is_a_usage_error(cli_process: RunCli) -> None:
    result = cli_process("register", "examples")
    assert result.code == 2
    assert "no @task is defined in examples" in result.err
