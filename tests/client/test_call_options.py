"""Per-call options (max_retries, queue, timeout_seconds, backoff_base_seconds beside priority,
delay and tags), in submit_task, submit_many and prepare; one typing rule for Python and SQL."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
import pytest

import tasklib


@tasklib.task(name="call_options.resize", max_retries=1, queue="images")
def resize(path: str, width: int) -> int:
    return width


@tasklib.task(name="call_options.tag_user")
def tag_user(user: UUID) -> str:
    return str(user)


def _options(conn: psycopg.Connection[Any], task_id: UUID) -> tuple[Any, ...]:
    row = conn.execute(
        "SELECT queue, max_retries, timeout_seconds, backoff_base_seconds, priority, tags"
        " FROM tasklib.tasks WHERE id = %s",
        (task_id,),
    ).fetchone()
    assert row is not None
    return tuple(row)


async def test_a_call_sets_every_option_sql_submit_takes(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    task_id = await tasklib.submit_task(
        resize,
        path="a.png",
        width=64,
        max_retries=5,
        queue="urgent",
        timeout_seconds=9.5,
        backoff_base_seconds=0.5,
        priority=2,
    )
    assert _options(conn, task_id) == ("urgent", 5, 9.5, 0.5, 2, {})


def test_without_call_options_the_task_s_apply(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    task_id = tasklib.submit_task_sync(resize, path="a.png", width=64)
    assert _options(conn, task_id)[:2] == ("images", 1)


def test_prepare_takes_the_options_too(tasklib_url: str, conn: psycopg.Connection[Any]) -> None:
    own, shared = tasklib.submit_many_sync(
        [
            resize.prepare(path="a", width=1, tags={"batch": 7}, queue="q1", max_retries=0),
            resize.prepare(path="b", width=2),
        ],
        timeout_seconds=3.0,
    )
    assert _options(conn, own) == ("q1", 0, 3.0, 5.0, 0, {"batch": 7})
    assert _options(conn, shared) == ("images", 1, 3.0, 5.0, 0, {})


def test_with_options_sets_the_new_options(tasklib_url: str, conn: psycopg.Connection[Any]) -> None:
    prepared = resize.prepare(path="a", width=1).with_options(queue="later", max_retries=9)
    [task_id] = tasklib.submit_many_sync([prepared])
    assert _options(conn, task_id)[:2] == ("later", 9)


def test_an_option_out_of_range_is_refused_by_the_database(tasklib_url: str) -> None:
    with pytest.raises(
        tasklib.InvalidArgumentError, match="max_retries must be an integer from 0 to 100, got -1"
    ):
        tasklib.submit_task_sync(resize, path="a", width=1, max_retries=-1)
    with pytest.raises(tasklib.InvalidArgumentError, match="queue must be a string"):
        tasklib.submit_task_sync(resize, path="a", width=1, queue=5)  # type: ignore[arg-type]


def test_option_names_cannot_be_task_parameters() -> None:
    for name in ("queue", "max_retries", "timeout_seconds", "backoff_base_seconds"):
        namespace: dict[str, Any] = {}
        exec(f"def job({name}: int) -> None: ...", namespace)
        with pytest.raises(tasklib.ConfigurationError, match=f"parameter '{name}'"):
            tasklib.task(name=f"call_options.bad_{name}")(namespace["job"])


def test_a_string_is_not_an_int_from_python_as_from_sql(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    with pytest.raises(tasklib.TaskValidationError, match="width"):
        tasklib.submit_task_sync(resize, path="a", width="640")  # type: ignore[arg-type]
    tasklib.Client(tasklib.Config(database_url=tasklib_url)).register_task_types([resize])
    with pytest.raises(psycopg.Error, match="width"):
        conn.execute(
            'SELECT tasklib.submit(\'call_options.resize\', \'{"path": "a", "width": "640"}\')'
        )


def test_json_text_of_a_uuid_is_a_uuid_from_python_as_from_sql(tasklib_url: str) -> None:
    user = UUID("f25d0132-f796-4425-bc9f-03adde1c8d3b")
    as_object = tasklib.submit_task_sync(tag_user, user=user)
    as_text = tasklib.submit_task_sync(tag_user, user=str(user))  # type: ignore[arg-type]
    assert tasklib.get_task(as_object).args == tasklib.get_task(as_text).args == {"user": str(user)}


def test_json_too_deep_for_postgresql_is_an_invalid_argument(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    deep = "[" * 20000 + "]" * 20000
    with pytest.raises(psycopg.Error) as raw:
        conn.execute("SELECT tasklib.submit('call_options.resize', %s::jsonb)", (deep,))
    error = tasklib.errors.translate(raw.value)
    assert isinstance(error, tasklib.InvalidArgumentError)
    assert "nested too deeply" in str(error)
