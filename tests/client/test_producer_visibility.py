"""Issue 14: a producer login sees only the tasks it submitted, through get_task and
list_tasks (row level security on tasklib.tasks)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

import tasklib
from tests.support.database import login_url


@tasklib.task(name="tests.client.producer.note")
def note(text: str) -> str:
    return text


@pytest.fixture
def producer_url(database_url: str) -> Iterator[str]:
    """The test database as a new LOGIN role in tasklib_producer (dropped afterwards)."""
    role = f"tl14_producer_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'x' IN ROLE tasklib_producer")
    try:
        yield login_url(database_url, role, "x")
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


def test_a_producer_sees_only_its_own_tasks(database_url: str, producer_url: str) -> None:
    role = producer_url.split("//")[1].split(":")[0]
    with tasklib.Client(tasklib.Config(database_url=database_url)) as other:
        not_mine = other.submit_task(note, text="someone else's")
    with tasklib.Client(tasklib.Config(database_url=producer_url)) as producer:
        mine = producer.submit_task(note, text="mine")
        task = producer.get_task(mine)
        assert (task.args, task.submitted_by, task.attempt) == ({"text": "mine"}, role, 0)
        with pytest.raises(tasklib.TaskNotFoundError):
            producer.get_task(not_mine)
        assert [task.id for task in producer.list_tasks()] == [mine]
        assert [task.id for task in producer.list_tasks(name=note.name)] == [mine]
    # Everyone else still sees both (the test's login, like workers and admins, reads all rows).
    with tasklib.Client(tasklib.Config(database_url=database_url)) as other:
        assert {task.id for task in other.list_tasks()} == {mine, not_mine}
