"""submit_task, submit_task_sync and submit_many: validation, options, transactions, bulk."""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import psycopg
import pydantic
import pytest

import tasklib
from tests.client.simulated_worker import claim, run_due_tasks


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Line(pydantic.BaseModel):
    sku: str
    price: Decimal
    added_at: datetime


class Order(pydantic.BaseModel):
    id: UUID
    color: Color
    lines: list[Line]


received: dict[str, Any] = {}


@tasklib.task
def ship(
    order: Order,
    backlog: list[Order],
    due: datetime,
    ref: UUID,
    amount: Decimal,
    color: Color,
    by_sku: dict[str, list[Line]],
) -> Order:
    received.update(
        order=order, backlog=backlog, due=due, ref=ref, amount=amount, color=color, by_sku=by_sku
    )
    return order


@tasklib.task
def add(x: int, y: int = 1) -> int:
    return x + y


def _order() -> Order:
    added = datetime(2025, 10, 25, 9, 30, 0, 123456, tzinfo=ZoneInfo("Europe/Paris"))
    return Order(
        id=uuid4(),
        color=Color.GREEN,
        lines=[
            Line(sku="A-1", price=Decimal("19.99"), added_at=added),
            Line(sku="B-2", price=Decimal("0.000001"), added_at=added + timedelta(days=1)),
        ],
    )


async def test_rich_types_arrive_as_they_were_sent(
    tasklib_url: str, conn: psycopg.Connection[Any]
) -> None:
    order, other = _order(), _order()
    sent: dict[str, Any] = {
        "order": order,
        "backlog": [order, other],
        "due": datetime(2025, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),
        "ref": uuid4(),
        "amount": Decimal("12345678901234567890.123456789"),
        "color": Color.RED,
        "by_sku": {"A-1": order.lines, "none": []},
    }
    task_id = await tasklib.submit_task(ship, **sent)

    rebuilt = ship.rebuild_args(tasklib.get_task(task_id).args)
    assert rebuilt == sent
    assert rebuilt["due"].utcoffset() == timedelta(hours=-5)
    assert rebuilt["order"].lines[0].added_at.utcoffset() == timedelta(hours=2)
    assert type(rebuilt["amount"]) is Decimal
    assert type(rebuilt["color"]) is Color
    assert type(rebuilt["backlog"][1]) is Order
    # The worker's path: pydantic parses the stored JSON text itself.
    stored_text = conn.execute(
        "SELECT args::text FROM tasklib.tasks WHERE id = %s", (task_id,)
    ).fetchone()
    assert stored_text is not None
    assert ship.rebuild_args_json(stored_text[0]) == sent

    # What the function receives when a worker runs it, and the typed result it stores.
    run_due_tasks(conn)
    assert received == sent
    finished = tasklib.get_task(task_id)
    result = finished.result_as(ship)
    assert isinstance(result, Order)
    assert result == order


async def test_validation_errors_name_the_field_and_problem(tasklib_url: str) -> None:
    with pytest.raises(tasklib.TaskValidationError) as wrong_type:
        await tasklib.submit_task(add, x="three")
    assert "x: Input should be a valid integer" in str(wrong_type.value)
    assert wrong_type.value.errors[0]["loc"] == ("x",)

    with pytest.raises(tasklib.TaskValidationError, match=r"x: Field required"):
        await tasklib.submit_task(add, y=2)
    with pytest.raises(tasklib.TaskValidationError, match=r"z: Extra inputs are not permitted"):
        await tasklib.submit_task(add, x=1, z=2)
    with pytest.raises(tasklib.TaskValidationError, match=r"order\.lines\.0\.price"):
        await tasklib.submit_task(
            ship,
            order={"id": str(uuid4()), "color": "red", "lines": [{"sku": "a", "price": "x"}]},
            backlog=[],
            due=datetime.now(UTC),
            ref=uuid4(),
            amount=1,
            color="red",
            by_sku={},
        )


async def test_annotated_constraints_are_checked(tasklib_url: str) -> None:
    @tasklib.task
    def resize(width: Annotated[int, pydantic.Field(gt=0, le=4096)]) -> None:
        pass

    with pytest.raises(tasklib.TaskValidationError, match=r"width: Input should be greater than 0"):
        await tasklib.submit_task(resize, width=0)
    await tasklib.submit_task(resize, width=4096)


async def test_options_explicit_over_task_over_config(database_url: str) -> None:
    tasklib.init(
        tasklib.Config(
            database_url=database_url, max_retries=7, backoff_base_seconds=2.5, priority=3
        )
    )
    try:

        @tasklib.task(priority=9, max_retries=1, timeout_seconds=12, queue="emails")
        def tuned() -> None:
            pass

        plain_task = tasklib.get_task(await tasklib.submit_task(add, x=1))
        assert (plain_task.priority, plain_task.max_retries) == (3, 7)
        assert plain_task.backoff_base_seconds == 2.5
        assert (plain_task.queue, plain_task.timeout_seconds) == ("default", None)

        tuned_task = tasklib.get_task(await tasklib.submit_task(tuned))
        assert (tuned_task.priority, tuned_task.max_retries) == (9, 1)
        assert (tuned_task.queue, tuned_task.timeout_seconds) == ("emails", 12)

        explicit = tasklib.get_task(await tasklib.submit_task(tuned, priority=-4))
        assert explicit.priority == -4
    finally:
        tasklib.close()


def test_reserved_parameter_names_are_rejected_at_decoration() -> None:
    for reserved in ("priority", "tags", "delay_seconds", "connection"):
        namespace: dict[str, Any] = {}
        exec(f"def notify({reserved}: int) -> None: pass", namespace)
        with pytest.raises(tasklib.ConfigurationError, match=rf"parameter '{reserved}'.*rename"):
            tasklib.task(namespace["notify"])


async def test_bad_options_are_rejected(tasklib_url: str) -> None:
    with pytest.raises(tasklib.InvalidArgumentError, match=r"delay_seconds .* from 0 to"):
        await tasklib.submit_task(add, x=1, delay_seconds=-1)
    with pytest.raises(tasklib.InvalidArgumentError, match=r"priority must be an integer"):
        await tasklib.submit_task(add, x=1, priority="high")  # type: ignore[arg-type]
    with pytest.raises(tasklib.InvalidArgumentError, match=r"tags must be a dict"):
        await tasklib.submit_task(add, x=1, tags=["a"])  # type: ignore[arg-type]
    with pytest.raises(tasklib.InvalidArgumentError, match=r"tags must be JSON-serializable"):
        await tasklib.submit_task(add, x=1, tags={"when": object()})
    with pytest.raises(tasklib.InvalidArgumentError, match=r"tags contain NaN or Infinity"):
        await tasklib.submit_task(add, x=1, tags={"scores": [1.0, float("inf")]})
    with pytest.raises(tasklib.InvalidArgumentError, match=r"tags contain a NUL character"):
        await tasklib.submit_task(add, x=1, tags={"k\x00": "v"})
    with pytest.raises(tasklib.InvalidArgumentError, match=r"out of range"):
        await tasklib.submit_task(add, x=1, priority=2**40)


async def test_tags_take_rich_values(tasklib_url: str) -> None:
    when = datetime(2025, 10, 25, tzinfo=UTC)
    task_id = await tasklib.submit_task(add, x=1, tags={"at": when, "n": Decimal("1.5")})
    assert tasklib.get_task(task_id).tags == {"at": "2025-10-25T00:00:00Z", "n": "1.5"}


def test_sync_submit(tasklib_url: str) -> None:
    task_id = tasklib.submit_task_sync(add, x=2, priority=5, tags={"via": "script"})
    task = tasklib.get_task(task_id)
    assert (task.args, task.priority, task.tags) == ({"x": 2, "y": 1}, 5, {"via": "script"})
    with pytest.raises(tasklib.NotATaskError):
        tasklib.submit_task_sync(len)  # type: ignore[arg-type]


def test_rolled_back_submission_never_exists(tasklib_url: str) -> None:
    with psycopg.connect(tasklib_url) as own:
        own.execute("CREATE TEMP TABLE signups (email text)")
        own.execute("INSERT INTO signups VALUES ('a@example.com')")
        task_id = tasklib.submit_task_sync(add, x=1, connection=own)
        # Inside the transaction the task is visible to it, and to nobody else yet.
        assert tasklib.get_task(task_id, connection=own).state == "pending"
        with pytest.raises(tasklib.TaskNotFoundError):
            tasklib.get_task(task_id)
        own.rollback()
    with pytest.raises(tasklib.TaskNotFoundError):
        tasklib.get_task(task_id)
    with psycopg.connect(tasklib_url, autocommit=True) as worker_conn:
        assert claim(worker_conn) == []


def test_committed_submission_runs(tasklib_url: str, conn: psycopg.Connection[Any]) -> None:
    with psycopg.connect(tasklib_url) as own:
        with own.transaction():
            task_id = tasklib.submit_task_sync(add, x=41, connection=own)
        assert own.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert run_due_tasks(conn) == [task_id]
    assert tasklib.get_task(task_id).result == {"value": 42}


async def test_async_submission_follows_the_callers_transaction(tasklib_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(tasklib_url) as own:
        doomed = None
        with contextlib.suppress(RuntimeError):
            async with own.transaction():
                doomed = await tasklib.submit_task(add, x=1, connection=own)
                raise RuntimeError("signup failed")
        assert doomed is not None
        async with own.transaction():
            kept = await tasklib.submit_task(add, x=2, connection=own)
            many = await tasklib.submit_many([add.prepare(3), add.prepare(4)], connection=own)
    with pytest.raises(tasklib.TaskNotFoundError):
        await tasklib.get_task_async(doomed)
    assert {t.id for t in await tasklib.list_tasks_async()} == {kept, *many}


async def test_connection_of_the_wrong_kind_is_refused(tasklib_url: str) -> None:
    with (
        psycopg.connect(tasklib_url) as sync_conn,
        pytest.raises(tasklib.ConfigurationError, match="AsyncConnection"),
    ):
        await tasklib.submit_task(add, x=1, connection=sync_conn)  # type: ignore[arg-type]


def test_a_failed_submission_in_the_callers_transaction_raises_and_leaves_it_to_them(
    tasklib_url: str,
) -> None:
    with psycopg.connect(tasklib_url) as own:
        with pytest.raises(tasklib.InvalidArgumentError):
            tasklib.submit_task_sync(add, x=1, delay_seconds=float("inf"), connection=own)
        assert own.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        own.rollback()


async def test_submit_many_in_one_call(tasklib_url: str, conn: psycopg.Connection[Any]) -> None:
    calls = [add.prepare(n) for n in range(500)]
    ids = await tasklib.submit_many(calls, tags={"batch": "b1"}, priority=2)
    assert len(set(ids)) == 500
    stored = {t.id: t for t in tasklib.list_tasks(tags={"batch": "b1"}, limit=1000)}
    assert [stored[i].args["x"] for i in ids] == list(range(500))
    assert {(t.priority, t.max_retries, t.queue) for t in stored.values()} == {(2, 3, "default")}


async def test_submit_many_mixes_tasks_and_per_call_options(tasklib_url: str) -> None:
    order = _order()
    ids = await tasklib.submit_many(
        [
            add.prepare(x=1).with_options(priority=50, tags={"own": True}),
            ship.prepare(
                order=order,
                backlog=[],
                due=datetime(2025, 1, 1, tzinfo=UTC),
                ref=uuid4(),
                amount=Decimal("1.10"),
                color=Color.RED,
                by_sku={},
            ),
            add.prepare(7, y=3).with_options(delay_seconds=60),
        ],
        priority=1,
    )
    first, second, third = (tasklib.get_task(i) for i in ids)
    assert (first.priority, first.tags, first.args) == (50, {"own": True}, {"x": 1, "y": 1})
    assert (second.name, second.priority) == (ship.name, 1)
    assert ship.rebuild_args(second.args)["order"] == order
    assert third.args == {"x": 7, "y": 3}
    assert third.scheduled_at - third.created_at == timedelta(seconds=60)


def test_submit_many_sync_and_edge_cases(tasklib_url: str) -> None:
    assert tasklib.submit_many_sync([]) == []
    ids = tasklib.submit_many_sync(add.prepare(n) for n in range(3))
    assert len(ids) == 3
    with pytest.raises(tasklib.TaskValidationError, match=r"x: Input should be a valid integer"):
        add.prepare("three")  # type: ignore[arg-type]
    with pytest.raises(tasklib.TaskValidationError, match=r"x: Field required"):
        add.prepare()  # type: ignore[call-arg]
    with pytest.raises(tasklib.TaskValidationError, match=r"multiple values for argument 'x'"):
        add.prepare(1, x=2)  # type: ignore[misc]
    with pytest.raises(tasklib.InvalidArgumentError, match=r"position 1"):
        tasklib.submit_many_sync([add.prepare(1), {"x": 2}])  # type: ignore[list-item]
    with pytest.raises(tasklib.InvalidArgumentError, match=r"delay_seconds"):
        tasklib.submit_many_sync([add.prepare(1), add.prepare(2).with_options(delay_seconds=-5)])
    assert len(tasklib.list_tasks()) == 3  # the bad batch queued nothing


def test_decorated_functions_still_call_directly() -> None:
    assert add(2, y=3) == 5
    assert ship.__name__ == "ship"
    assert ship.name.endswith("test_submit.ship")


# -- Config(durable_submits=False) -------------------------------------------------------------


@pytest.fixture
def commit_setting_log(database_url: str) -> Iterator[str]:
    """A trigger that records the synchronous_commit in force when each task row is stored."""
    with psycopg.connect(database_url, autocommit=True) as setup:
        setup.execute(
            """
            CREATE TABLE public.commit_settings (task_id uuid, synchronous_commit text);
            -- submit runs as tasklib_owner (SECURITY DEFINER), which fires the trigger.
            GRANT INSERT ON public.commit_settings TO tasklib_owner;
            CREATE FUNCTION public.log_commit_setting() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO public.commit_settings
                VALUES (NEW.id, current_setting('synchronous_commit'));
                RETURN NEW;
            END $$;
            CREATE TRIGGER log_commit_setting AFTER INSERT ON tasklib.tasks
                FOR EACH ROW EXECUTE FUNCTION public.log_commit_setting();
            """
        )
    yield database_url
    with psycopg.connect(database_url, autocommit=True) as teardown:
        teardown.execute(
            "DROP TRIGGER log_commit_setting ON tasklib.tasks;"
            " DROP FUNCTION public.log_commit_setting(); DROP TABLE public.commit_settings"
        )


def _commit_settings(url: str) -> dict[UUID, str]:
    with psycopg.connect(url, autocommit=True) as check:
        rows = check.execute("SELECT task_id, synchronous_commit FROM commit_settings").fetchall()
    return {row[0]: row[1] for row in rows}


async def test_durable_submits_off_commits_without_waiting_for_the_flush(
    commit_setting_log: str,
) -> None:
    tasklib.init(tasklib.Config(database_url=commit_setting_log, durable_submits=False))
    try:
        one = await tasklib.submit_task(add, x=1)
        one_sync = tasklib.submit_task_sync(add, x=2)
        many = await tasklib.submit_many([add.prepare(x=3), add.prepare(x=4)])
        many_sync = tasklib.submit_many_sync([add.prepare(x=5)])
        pool = tasklib.client.default_client().pool()
        with pool.connection() as pooled:
            after = pooled.execute("SHOW synchronous_commit").fetchone()
    finally:
        tasklib.close()
    settings = _commit_settings(commit_setting_log)
    assert {settings[i] for i in [one, one_sync, *many, *many_sync]} == {"off"}
    assert after == ("on",), "the pooled connection keeps the durable default afterwards"
    assert len(settings) == 5


async def test_durable_submits_is_the_default_and_ignores_a_callers_connection(
    commit_setting_log: str,
) -> None:
    tasklib.init(tasklib.Config(database_url=commit_setting_log, durable_submits=False))
    try:
        async with await psycopg.AsyncConnection.connect(commit_setting_log) as own:
            mine = await tasklib.submit_task(add, x=1, connection=own)
    finally:
        tasklib.close()
    tasklib.init(tasklib.Config(database_url=commit_setting_log))
    try:
        default = await tasklib.submit_task(add, x=2)
    finally:
        tasklib.close()
    assert _commit_settings(commit_setting_log) == {mine: "on", default: "on"}
