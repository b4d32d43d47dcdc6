"""register_task_types: @task definitions recorded for SQL submitters, and checked against."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

import psycopg
import pydantic
import pytest
from psycopg.types.json import Jsonb

import tasklib
from tasklib.errors import ArgumentSchemaError, UnknownTaskError
from tasklib.registry import TaskDefinition
from tasklib.task_types import register_task_types, register_task_types_async, task_type_rows


class Size(enum.Enum):
    SMALL = "s"
    LARGE = "l"


class Address(pydantic.BaseModel):
    street: str
    number: int


@tasklib.task(name="sql_surface.send_email", max_retries=5, priority=3, queue="mail")
def send_email(to: str, subject: str, cc: str | None = None, attempt: int = 1) -> bool:
    return True


@tasklib.task(name="sql_surface.everything", timeout_seconds=30)
def everything(
    text: str,
    count: int,
    ratio: float,
    flag: bool,
    numbers: list[int],
    mapping: dict[str, Any],
    when: datetime,
    amount: Decimal,
    ident: UUID,
    size: Size,
    mode: Literal["a", "b"],
    address: Address,
    pair: tuple[int, str],
    maybe: Address | None = None,
    anything: Any = None,
) -> None:
    return None


SAMPLE_EVERYTHING: dict[str, Any] = {
    "text": "x",
    "count": 3,
    "ratio": 2,
    "flag": False,
    "numbers": [1, 2],
    "mapping": {"k": [1]},
    "when": datetime(2025, 10, 25, 12, 0, tzinfo=UTC),
    "amount": Decimal("1.50"),
    "ident": UUID(int=7),
    "size": Size.LARGE,
    "mode": "b",
    "address": Address(street="Main", number=1),
    "pair": (1, "a"),
}


def _definitions() -> list[TaskDefinition[..., Any]]:
    return [send_email, everything]


def _submit(conn: psycopg.Connection[Any], name: str, args: dict[str, Any]) -> None:
    try:
        conn.execute("SELECT tasklib.submit(%s, %s)", (name, Jsonb(args)))
    except psycopg.Error as error:
        raise tasklib.errors.translate(error) from None


def test_records_schema_and_options(conn: psycopg.Connection[Any], database_url: str) -> None:
    assert register_task_types(database_url, _definitions()) == [
        "sql_surface.everything",
        "sql_surface.send_email",
    ]
    row = conn.execute(
        "SELECT queue, priority, max_retries, timeout_seconds, args_schema"
        " FROM tasklib.task_types WHERE name = 'sql_surface.send_email'"
    ).fetchone()
    assert row is not None
    assert row[:4] == ("mail", 3, 5, None)
    assert row[4] == send_email.args_json_schema()


def test_config_fills_unset_options(conn: psycopg.Connection[Any]) -> None:
    config = tasklib.Config(max_retries=7, backoff_base_seconds=2.0, priority=1)
    register_task_types(conn, [everything], config=config)
    row = conn.execute(
        "SELECT max_retries, backoff_base_seconds, priority, timeout_seconds"
        " FROM tasklib.task_types WHERE name = 'sql_surface.everything'"
    ).fetchone()
    assert row == (7, 2.0, 1, 30.0)


def test_defaults_to_every_registered_task(conn: psycopg.Connection[Any]) -> None:
    names = register_task_types(conn)
    assert {"sql_surface.send_email", "sql_surface.everything"} <= set(names)
    assert [row["name"] for row in task_type_rows()] == names


def test_sql_submission_inherits_registered_defaults(conn: psycopg.Connection[Any]) -> None:
    register_task_types(conn, _definitions())
    _submit(conn, "sql_surface.send_email", {"to": "a@b.c", "subject": "hi"})
    row = conn.execute("SELECT queue, priority, max_retries FROM tasklib.tasks").fetchone()
    assert row == ("mail", 3, 5)


def test_what_python_validates_passes_the_sql_check(conn: psycopg.Connection[Any]) -> None:
    # No false rejections: arguments as the Python client stores them fit the recorded schema.
    register_task_types(conn, _definitions())
    conn.execute("SET tasklib.submit_validation = strict")
    for definition, kwargs in (
        (everything, SAMPLE_EVERYTHING),
        (
            everything,
            {**SAMPLE_EVERYTHING, "maybe": Address(street="S", number=2), "anything": [1]},
        ),
        (send_email, {"to": "a", "subject": "b", "cc": None}),
        (send_email, {"to": "a", "subject": "b", "cc": "c", "attempt": 2}),
    ):
        _submit(conn, definition.name, definition.validate_args(kwargs))
    assert conn.execute("SELECT count(*) FROM tasklib.tasks").fetchone() == (4,)


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ({"subject": "hi"}, 'missing required key "to"'),
        ({"to": 1, "subject": "hi"}, 'key "to" must be string, got number 1'),
        ({"to": "a", "subject": "hi", "cc": 5}, 'key "cc" must be null or string, got number 5'),
        ({"to": "a", "subject": "hi", "attempt": "2"}, 'key "attempt" must be integer, got string'),
        ({"to": "a", "subject": "hi", "bcc": "x"}, 'unexpected key "bcc"'),
    ],
)
def test_sql_submission_breaking_the_schema_is_rejected(
    conn: psycopg.Connection[Any], args: dict[str, Any], problem: str
) -> None:
    register_task_types(conn, [send_email])
    with pytest.raises(ArgumentSchemaError, match=problem):
        _submit(conn, "sql_surface.send_email", args)


def test_strict_rejects_unknown_names(conn: psycopg.Connection[Any]) -> None:
    conn.execute("SET tasklib.submit_validation = strict")
    with pytest.raises(UnknownTaskError, match=r"unknown task sql_surface\.nobody"):
        _submit(conn, "sql_surface.nobody", {})


def test_reregistering_replaces_the_schema(conn: psycopg.Connection[Any]) -> None:
    register_task_types(conn, [send_email])

    @tasklib.task(name="sql_surface.send_email_v2")
    def send_email_v2(to: str) -> None:
        return None

    rows = task_type_rows([send_email_v2])
    rows[0]["name"] = "sql_surface.send_email"
    conn.execute(
        "SELECT tasklib.register_task_type(name => %s, args_schema => %s)",
        (rows[0]["name"], Jsonb(rows[0]["args_schema"])),
    )
    _submit(conn, "sql_surface.send_email", {"to": "a"})
    with pytest.raises(ArgumentSchemaError, match='unexpected key "subject"'):
        _submit(conn, "sql_surface.send_email", {"to": "a", "subject": "s"})


def test_empty_definitions_do_nothing(database_url: str) -> None:
    assert register_task_types("postgresql://nobody@127.0.0.1:1/none", []) == []
    assert register_task_types(database_url, []) == []


async def test_async_variant(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as aconn:
        assert await register_task_types_async(aconn, [send_email]) == ["sql_surface.send_email"]
        cursor = await aconn.execute("SELECT count(*) FROM tasklib.task_types")
        assert await cursor.fetchone() == (1,)
