"""examples/ submit from psql, a shell script and Node.js, and a Python worker runs the tasks."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest

import tasklib
from examples import tasks as example_tasks
from tasklib.task_types import register_task_types
from tests.support.waiting import wait_until_async

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_TASKS = [example_tasks.send_email, example_tasks.resize_image]


def _run(command: list[str], url: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "TASKLIB_DATABASE_URL": url}
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _tasks(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT name, args, queue, priority, max_retries, tags FROM tasklib.tasks"
        " ORDER BY created_at, args::text"
    ).fetchall()


def _submit_sql_example(url: str) -> None:
    _run(
        [
            "psql",
            url,
            "--no-psqlrc",
            "-v",
            "ON_ERROR_STOP=1",
            "-qf",
            str(EXAMPLES / "sql/submit.sql"),
        ],
        url,
    )


def _submit_node_example(url: str) -> str:
    node_dir = EXAMPLES / "node"
    if not (node_dir / "node_modules" / "pg").exists():
        _run(["npm", "ci", "--no-audit", "--no-fund"], url, cwd=node_dir)
    return _run(["node", "submit.js"], url, cwd=node_dir)


@pytest.fixture
def registered(conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    register_task_types(conn, EXAMPLE_TASKS)
    return conn


def test_sql_example_submits_tasks(registered: psycopg.Connection[Any], database_url: str) -> None:
    _submit_sql_example(database_url)
    rows = _tasks(registered)
    assert [(r[0], r[1]) for r in rows] == [
        (
            "examples.send_email",
            {"to": "user@example.com", "subject": "Welcome!", "body": "Hello..."},
        ),
        ("examples.send_email", {"to": "ops@example.com", "subject": "Disk full!"}),
        ("examples.resize_image", {"path": "/img/a.png", "width": 640}),
        ("examples.resize_image", {"path": "/img/b.png", "width": 320, "height": 200}),
    ]
    # Registered defaults where the SQL left options out; the SQL's own options where it did not.
    assert [(r[2], r[3], r[4]) for r in rows] == [
        ("default", 0, 5),
        ("default", 100, 5),
        ("images", 5, 3),
        ("images", 5, 3),
    ]
    assert rows[1][5] == {"batch": "sql-example"}


def test_shell_example_submits_a_task(
    registered: psycopg.Connection[Any], database_url: str
) -> None:
    out = _run(
        [str(EXAMPLES / "shell/submit.sh"), "o'brien@example.com", "It's here"], database_url
    )
    task_id = out.strip()
    row = registered.execute(
        "SELECT name, args, tags FROM tasklib.tasks WHERE id = %s", (task_id,)
    ).fetchone()
    assert row == (
        "examples.send_email",
        {"to": "o'brien@example.com", "subject": "It's here"},
        {"source": "shell-example"},
    )


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_node_example_submits_tasks(registered: psycopg.Connection[Any], database_url: str) -> None:
    out = _submit_node_example(database_url)
    assert out.count("submitted ") == 3
    assert "refused (TL005)" in out
    assert 'missing required key "subject"' in out
    rows = _tasks(registered)
    assert sorted((r[0], r[1]["path"] if "path" in r[1] else r[1]["to"]) for r in rows) == [
        ("examples.resize_image", "/img/n1.png"),
        ("examples.resize_image", "/img/n2.png"),
        ("examples.send_email", "node@example.com"),
    ]
    assert all(r[5] == {"source": "node-example"} for r in rows)


async def _work_until_done(url: str, expected: int) -> None:
    worker = tasklib.TaskWorker(
        tasklib.Config(database_url=url, poll_interval_seconds=0.2),
        concurrency=4,
        queues=["default", "images"],
    )
    running = asyncio.create_task(worker.run())
    try:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as aconn:

            async def done() -> bool:
                assert not running.done(), "the worker stopped on its own"
                cursor = await aconn.execute(
                    "SELECT count(*) FROM tasklib.tasks WHERE state IN ('completed', 'failed')"
                )
                row = await cursor.fetchone()
                return row is not None and row[0] >= expected

            await wait_until_async(done, timeout=60, what=f"the worker to finish {expected} tasks")
    finally:
        await worker.stop()
        await running


async def test_examples_run_by_python_worker(
    registered: psycopg.Connection[Any], database_url: str
) -> None:
    _submit_sql_example(database_url)
    _run([str(EXAMPLES / "shell/submit.sh"), "sh@example.com", "hi"], database_url)
    if shutil.which("node") is not None:
        _submit_node_example(database_url)
    # Every task except the SQL example's one delayed by an hour is due now.
    due = registered.execute("SELECT count(*) FROM tasklib.tasks WHERE run_at <= now()").fetchone()
    assert due is not None
    await _work_until_done(database_url, due[0])

    results = registered.execute(
        "SELECT name, args, state, result FROM tasklib.tasks"
        " WHERE run_at IS NULL OR state <> 'pending'"
    ).fetchall()
    assert len(results) == due[0]
    for name, args, state, result in results:
        assert state == "completed", (name, args, state)
        if name == "examples.send_email":
            assert result == {"value": True}
        else:
            width = args["width"]
            assert result == {
                "value": {"path": args["path"], "size": [width, args.get("height") or width]}
            }
