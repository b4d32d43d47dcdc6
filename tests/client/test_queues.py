"""Flow control from Python: queue limits, pause, resume, suspension, and tasks' limit keys."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

import tasklib
from tasklib import Queue, RateLimit
from tasklib.db import statements
from tasklib.task_types import register_task_types
from tests.support.database import login_url


@tasklib.task(name="tests.client.queues.charge", queue="payments", limit_key="customer_id")
def charge(customer_id: int, amount: float) -> float:
    return amount


@tasklib.task(name="tests.client.queues.anything", limit_key="value")
def anything(value: Any) -> None:
    return None


@tasklib.task(name="tests.client.queues.plain")
def plain(n: int) -> int:
    return n


def _task_row(conn: psycopg.Connection[Any], task_id: uuid.UUID) -> tuple[Any, ...]:
    row = conn.execute(
        "SELECT queue, limit_key FROM tasklib.tasks WHERE id = %s", (task_id,)
    ).fetchone()
    assert row is not None
    return row


# -- queue management ----------------------------------------------------------------------------


def test_set_queue_limits_replaces_every_limit(tasklib_url: str) -> None:
    queue = tasklib.set_queue_limits(
        "api",
        concurrency=5,
        key_concurrency=1,
        rate=RateLimit(50, per_seconds=1, burst=10),
        key_rate=RateLimit(100, per_seconds=60),
    )
    assert isinstance(queue, Queue)
    assert (queue.queue, queue.concurrency_limit, queue.key_concurrency_limit) == ("api", 5, 1)
    assert queue.rate == RateLimit(50, 1.0, 10)
    assert queue.key_rate == RateLimit(100, 60.0, 1)
    assert queue.tokens_left == pytest.approx(10, abs=0.01)
    assert (queue.paused, queue.suspended_until, queue.running, queue.due) == (False, None, 0, 0)
    assert tasklib.get_queue("api") == queue

    # A limit left out of the next call is lifted: the call states the whole policy.
    queue = tasklib.set_queue_limits("api", rate=RateLimit(5))
    assert (queue.concurrency_limit, queue.key_concurrency_limit, queue.key_rate) == (
        None,
        None,
        None,
    )
    assert queue.rate == RateLimit(5, 1.0, 1)
    queue = tasklib.set_queue_limits("api")
    assert (queue.rate, queue.tokens_left, queue.concurrency_limit) == (None, None, None)


def test_pause_resume_and_suspend(tasklib_url: str) -> None:
    tasklib.submit_task_sync(plain, n=1, queue="reports")
    assert tasklib.get_queue("reports").due == 1

    assert tasklib.pause_queue("reports").paused
    assert tasklib.get_queue("reports").paused

    before = datetime.now(UTC)
    queue = tasklib.suspend_queue("reports", seconds=60)
    assert queue.suspended_until is not None
    assert before + timedelta(seconds=55) < queue.suspended_until < before + timedelta(seconds=65)

    until = datetime.now(UTC) + timedelta(minutes=5)
    queue = tasklib.suspend_queue("reports", until=until, key="acme")
    assert list(queue.suspended_keys) == ["acme"]
    assert queue.suspended_keys["acme"] == pytest.approx(until, abs=timedelta(milliseconds=1))

    # Resume ends the pause and every suspension, of the queue and of its keys.
    queue = tasklib.resume_queue("reports")
    assert (queue.paused, queue.suspended_until, queue.suspended_keys) == (False, None, {})


def test_list_queues_shows_every_queue_by_name(tasklib_url: str) -> None:
    tasklib.submit_task_sync(plain, n=1, queue="zeta")
    tasklib.submit_task_sync(plain, n=2)  # the default queue
    tasklib.pause_queue("alpha")  # created by the change
    assert [queue.queue for queue in tasklib.list_queues()] == ["alpha", "default", "zeta"]


def test_queue_statements_select_every_column_the_queue_model_reads() -> None:
    assert tuple(Queue.model_fields) == statements.QUEUE_COLUMNS


async def test_async_queue_management(tasklib_url: str) -> None:
    queue = await tasklib.set_queue_limits_async("mail", concurrency=2)
    assert queue.concurrency_limit == 2
    assert (await tasklib.pause_queue_async("mail")).paused
    suspended = await tasklib.suspend_queue_async("mail", seconds=30, key="k1")
    assert list(suspended.suspended_keys) == ["k1"]
    resumed = await tasklib.resume_queue_async("mail")
    assert (resumed.paused, resumed.suspended_keys) == (False, {})
    assert await tasklib.get_queue_async("mail") == resumed
    assert [q.queue for q in await tasklib.list_queues_async()] == ["mail"]
    with pytest.raises(tasklib.QueueNotFoundError, match="'nowhere'"):
        await tasklib.get_queue_async("nowhere")


async def test_client_objects_manage_queues_on_the_callers_connection(database_url: str) -> None:
    config = tasklib.Config(database_url=database_url)
    # Inside the caller's transaction: the change and the row read back are both in it.
    with tasklib.Client(config) as client, psycopg.connect(database_url) as conn:
        queue = client.set_queue_limits("tx", concurrency=3, connection=conn)
        assert queue.concurrency_limit == 3
        conn.rollback()
        with pytest.raises(tasklib.QueueNotFoundError):
            client.get_queue("tx")
    async with (
        tasklib.AsyncClient(config) as aclient,
        await psycopg.AsyncConnection.connect(database_url) as aconn,
    ):
        queue = await aclient.pause_queue("tx", connection=aconn)
        assert queue.paused
        await aconn.commit()
        assert (await aclient.get_queue("tx")).paused


def test_queue_management_errors(tasklib_url: str) -> None:
    with pytest.raises(tasklib.QueueNotFoundError, match="'nowhere' not found"):
        tasklib.get_queue("nowhere")
    with pytest.raises(tasklib.InvalidArgumentError, match="concurrency_limit must be at least 1"):
        tasklib.set_queue_limits("api", concurrency=0)
    with pytest.raises(tasklib.InvalidArgumentError, match="rate_period_seconds"):
        tasklib.set_queue_limits("api", rate=RateLimit(10, per_seconds=0))
    with pytest.raises(tasklib.InvalidArgumentError, match="rate must be a RateLimit"):
        tasklib.set_queue_limits("api", rate=50)  # type: ignore[arg-type]
    with pytest.raises(tasklib.InvalidArgumentError, match="concurrency must be an integer"):
        tasklib.set_queue_limits("api", concurrency=2.5)  # type: ignore[arg-type]
    with pytest.raises(tasklib.InvalidArgumentError, match="queue must be a non-empty string"):
        tasklib.pause_queue("")
    with pytest.raises(tasklib.InvalidArgumentError, match="either seconds or until"):
        tasklib.suspend_queue("api")
    with pytest.raises(tasklib.InvalidArgumentError, match="either seconds or until"):
        tasklib.suspend_queue("api", seconds=1, until=datetime.now(UTC))
    with pytest.raises(tasklib.InvalidArgumentError, match="timezone-aware"):
        tasklib.suspend_queue("api", until=datetime.now())
    with pytest.raises(tasklib.InvalidArgumentError, match="limit_key must be a non-empty"):
        tasklib.suspend_queue("api", seconds=1, key="")
    # None of the refused calls created the queue.
    assert tasklib.list_queues() == []


@pytest.fixture
def producer_url(database_url: str) -> Iterator[str]:
    """The test database as a new LOGIN role in tasklib_producer (dropped afterwards)."""
    role = f"tl16_producer_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'x' IN ROLE tasklib_producer")
    try:
        yield login_url(database_url, role, "x")
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


def test_a_producer_may_not_change_a_queue(producer_url: str) -> None:
    with tasklib.Client(tasklib.Config(database_url=producer_url)) as producer:
        with pytest.raises(tasklib.TaskLibError, match="permission denied"):
            producer.set_queue_limits("api", concurrency=100)
        with pytest.raises(tasklib.TaskLibError, match="permission denied"):
            producer.resume_queue("api")


# -- limit keys ----------------------------------------------------------------------------------


def test_limit_key_given_at_submit(tasklib_url: str, conn: psycopg.Connection[Any]) -> None:
    task_id = tasklib.submit_task_sync(plain, n=1, limit_key="acme")
    assert tasklib.get_task(task_id).limit_key == "acme"
    assert _task_row(conn, tasklib.submit_task_sync(plain, n=2)) == ("default", None)


async def test_limit_key_taken_from_the_declared_argument(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    # Not registered in the database: the key comes with the submission.
    derived = await tasklib.submit_task(charge, customer_id=42, amount=9.5)
    given = await tasklib.submit_task(charge, customer_id=42, amount=1.0, limit_key="vip")
    assert _task_row(conn, derived) == ("payments", "42")
    assert _task_row(conn, given) == ("payments", "vip")


def test_submit_many_limit_keys(tasklib_url: str, conn: psycopg.Connection[Any]) -> None:
    ids = tasklib.submit_many_sync(
        [
            charge.prepare(customer_id=1, amount=1.0),
            charge.prepare(customer_id=2, amount=1.0, limit_key="own"),
            charge.prepare(customer_id=3, amount=1.0).with_options(limit_key="chained"),
            plain.prepare(n=4),
        ]
    )
    assert [_task_row(conn, i)[1] for i in ids] == ["1", "own", "chained", None]
    # The call's key applies to the calls that set none, before the argument's value.
    ids = tasklib.submit_many_sync(
        [charge.prepare(customer_id=5, amount=1.0), plain.prepare(n=6)], limit_key="batch"
    )
    assert [_task_row(conn, i)[1] for i in ids] == ["batch", "batch"]


@pytest.mark.parametrize(
    "value",
    [
        "acme",
        "naïve ✓",
        7,
        -12345678901234567890,
        1.5,
        1.0,
        1e20,
        1e-7,
        -0.0,
        True,
        False,
    ],
)
def test_a_python_submission_gets_the_key_a_sql_submission_gets(
    tasklib_url: str, conn: psycopg.Connection[Any], value: Any
) -> None:
    from_python = tasklib.submit_task_sync(anything, value=value)
    register_task_types(tasklib_url, [anything])
    from_sql = conn.execute(
        "SELECT tasklib.submit(%s, %s::jsonb)", (anything.name, json.dumps({"value": value}))
    ).fetchone()
    assert from_sql is not None
    python_key = _task_row(conn, from_python)[1]
    assert python_key == _task_row(conn, from_sql[0])[1]
    assert python_key is not None


def test_a_null_argument_gives_no_key(tasklib_url: str, conn: psycopg.Connection[Any]) -> None:
    assert _task_row(conn, tasklib.submit_task_sync(anything, value=None))[1] is None


def test_a_dict_or_list_argument_is_refused_as_a_key(tasklib_url: str) -> None:
    with pytest.raises(tasklib.InvalidArgumentError, match="holds a dict"):
        tasklib.submit_task_sync(anything, value={"id": 1})
    with pytest.raises(tasklib.InvalidArgumentError, match="holds a list"):
        tasklib.submit_many_sync([anything.prepare(value=[1])])


def test_bad_limit_keys_are_refused(tasklib_url: str) -> None:
    with pytest.raises(tasklib.InvalidArgumentError, match="limit_key must be a non-empty"):
        tasklib.submit_task_sync(plain, n=1, limit_key="")
    with pytest.raises(tasklib.InvalidArgumentError, match="at most 255"):
        tasklib.submit_task_sync(plain, n=1, limit_key="k" * 256)
    with pytest.raises(tasklib.InvalidArgumentError, match="limit_key must be a string"):
        tasklib.submit_task_sync(plain, n=1, limit_key=5)  # type: ignore[arg-type]
    with pytest.raises(tasklib.InvalidArgumentError, match=r"tasks\[0\].limit_key"):
        tasklib.submit_many_sync([plain.prepare(n=1, limit_key="")])


def test_limit_key_must_name_a_parameter() -> None:
    with pytest.raises(tasklib.ConfigurationError, match="limit_key='customer' must name one"):

        @tasklib.task(name="tests.client.queues.bad_key", limit_key="customer")
        def bad_key(customer_id: int) -> None:
            return None

    with pytest.raises(tasklib.ConfigurationError, match="'limit_key' has the name of"):

        @tasklib.task(name="tests.client.queues.reserved")
        def reserved(limit_key: str) -> None:
            return None


def test_the_key_argument_is_registered_with_the_task_type(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    register_task_types(tasklib_url, [charge, plain])
    rows = conn.execute(
        "SELECT name, limit_key_arg FROM tasklib.task_types ORDER BY name"
    ).fetchall()
    assert rows == [(charge.name, "customer_id"), (plain.name, None)]
