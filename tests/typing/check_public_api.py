"""Type-checked by mypy --strict (not run by pytest): typical uses of the public API.

Each assignment to an annotated name states the type a user relies on; mypy fails if the
API's types drift from it. The ``assert_type`` calls pin the inferred types exactly, and each
``# type: ignore[code]`` marks a mistake mypy must catch (strict mode reports an unused one).
"""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, assert_type
from uuid import UUID

import psycopg
import pydantic

import tasklib
from tasklib import Config, task


class Report(pydantic.BaseModel):
    rows: int


@task
def add(x: int, y: int = 1) -> int:
    return x + y


@task
def crunch(n: int) -> int:
    total = 0
    try:
        for i in range(n):
            if tasklib.cancel_requested():
                break
            total += i
    except tasklib.TaskCancelled:
        assert_type(tasklib.cancel_requested(), bool)
        raise
    return total


@task(max_retries=5, timeout_seconds=30)
async def shout(text: str) -> str:
    return text.upper()


@tasklib.task(name="reports.build", priority=10, queue="reports", backoff_base_seconds=2)
async def build_report(month: str) -> Report:
    return Report(rows=len(month))


def direct_calls() -> None:
    total: int = add(1, y=2)
    assert total == 3
    pending: Coroutine[Any, Any, str] = shout("hi")
    pending.close()
    sync_definition: tasklib.SyncTaskDefinition[[int, int], int] = add
    async_definition: tasklib.AsyncTaskDefinition[[str], Report] = build_report
    assert sync_definition.name != async_definition.name
    definition: tasklib.TaskDefinition[[str], str] = shout
    assert definition.name.endswith("shout")


def configure() -> None:
    config: Config = Config(database_url="postgresql://localhost/app", max_retries=5)
    tasklib.init(config)
    tasklib.init()  # from $TASKLIB_DATABASE_URL
    tasklib.close()


async def submit_and_inspect() -> None:
    task_id: UUID = await tasklib.submit_task(add, x=1)
    await tasklib.submit_task(
        build_report,
        month="2025-10",
        delay_seconds=3600,
        priority=100,
        tags={"batch": "monthly", "user_id": 12345},
    )
    task: tasklib.Task = tasklib.get_task(task_id)
    same: tasklib.Task = await tasklib.get_task_async(str(task_id))
    assert task.id == same.id
    state: tasklib.TaskState = task.state
    scheduled: datetime = task.scheduled_at
    retry_at: datetime | None = task.next_retry_at
    print(state, scheduled, retry_at, task.result, task.error, task.worker_id)
    checks: list[bool] = [
        tasklib.is_pending(task),
        tasklib.is_running(task),
        tasklib.is_completed(task),
        tasklib.is_failed(task),
        tasklib.is_cancelled(task),
        tasklib.has_result(task),
        tasklib.has_error(task),
        tasklib.is_terminal(task),
    ]
    assert len(checks) == 8

    newsletter: list[tasklib.Task] = tasklib.list_tasks(tags={"batch": "weekly-newsletter"})
    failed: list[tasklib.Task] = await tasklib.list_tasks_async(
        state=["failed", "cancelled"], name=build_report, queue="reports", limit=10, offset=10
    )
    assert newsletter != failed

    cancelled: tasklib.Task = tasklib.cancel_task(task_id)
    requeued: tasklib.Task = await tasklib.retry_task_async(cancelled.id, delay_seconds=5)
    tasklib.retry_task(requeued.id)
    asked: tasklib.Task = await tasklib.cancel_task_async(requeued.id, reason="not needed")
    assert_type(asked.cancel_requested_at, datetime | None)
    assert_type(asked.cancelled_by, str | None)
    ids: list[UUID] = tasklib.cancel_tasks(name=build_report, tags={"batch": "weekly"})
    more: list[UUID] = await tasklib.cancel_tasks_async(queue="reports", reason="quarter closed")
    assert ids != more
    await tasklib.aclose()


async def results() -> None:
    task_id = await tasklib.submit_task(build_report, month="2025-10")
    report = await tasklib.wait_for_result(build_report, task_id, timeout=30)
    assert_type(report, Report)
    total = tasklib.wait_for_result_sync(add, task_id, timeout=None)
    assert_type(total, int)
    finished: tasklib.Task = await tasklib.wait_for_task(task_id, timeout=5.0)
    assert_type(finished.result_as(build_report), Report)
    assert_type(finished.result_as(add), int)
    tasklib.wait_for_task_sync(task_id)
    try:
        await tasklib.wait_for_result(build_report, task_id, timeout=1)
    except tasklib.TaskFailedError as error:
        final: tasklib.Task = error.task
        print(final.error)
    except tasklib.TaskTimeoutError:
        pass


async def bulk_and_transactions(url: str) -> None:
    ids: list[UUID] = await tasklib.submit_many(
        [add.prepare(n) for n in range(100)], tags={"batch": "b"}, priority=1
    )
    prepared: tasklib.PreparedTask[Report] = build_report.prepare("2025-11")
    add.prepare("three")  # type: ignore[arg-type]
    add.prepare(y=2)  # type: ignore[call-arg]
    await tasklib.submit_task(len, x=1)  # type: ignore[arg-type]
    ids += tasklib.submit_many_sync([prepared.with_options(delay_seconds=60, priority=5)])

    async with await psycopg.AsyncConnection.connect(url) as conn, conn.transaction():
        await tasklib.submit_task(add, x=2, connection=conn)
        await tasklib.submit_many([add.prepare(x=3)], connection=conn)

    with psycopg.connect(url) as sync_conn, sync_conn.transaction():
        tasklib.submit_task_sync(add, x=4, connection=sync_conn)
        tasklib.get_task(ids[0], connection=sync_conn)


def errors() -> None:
    try:
        tasklib.submit_task_sync(add, x="three")
    except tasklib.TaskValidationError as error:
        problems: list[dict[str, Any]] = error.errors
        print(problems)
    except (tasklib.NotATaskError, tasklib.InvalidArgumentError, tasklib.ConfigurationError):
        pass
    except (tasklib.TaskNotFoundError, tasklib.InvalidStateError, tasklib.UnknownTaskError):
        pass
    except (tasklib.DatabaseUnavailableError, tasklib.ArgumentSchemaError):
        pass
    except tasklib.TaskLibError:
        pass


async def worker(config: Config) -> None:
    runner = tasklib.TaskWorker(config, concurrency=4)
    await runner.run()


@tasklib.task(queue="partner", limit_key="customer_id")
async def call_partner(customer_id: int) -> None:
    raise tasklib.RateLimited(retry_after=2.0, scope="key")


async def flow_control() -> None:
    await tasklib.submit_task(call_partner, customer_id=7)  # its key: "7"
    tasklib.submit_task_sync(add, x=1, limit_key="acme")
    tasklib.submit_many_sync([add.prepare(x=1).with_options(limit_key="acme"), add.prepare(x=2)])
    queue: tasklib.Queue = tasklib.set_queue_limits(
        "partner",
        concurrency=5,
        key_concurrency=1,
        rate=tasklib.RateLimit(50, per_seconds=1.0, burst=10),
        key_rate=tasklib.RateLimit(100, per_seconds=60),
    )
    rate: tasklib.RateLimit | None = queue.rate
    suspended: dict[str, datetime] = queue.suspended_keys
    print(rate, suspended, queue.running, queue.tokens_left)
    tasklib.pause_queue("partner")
    await tasklib.resume_queue_async("partner")
    tasklib.suspend_queue("partner", seconds=30, key="acme")
    await tasklib.suspend_queue_async("partner", until=datetime.now().astimezone())
    queues: list[tasklib.Queue] = tasklib.list_queues()
    try:
        await tasklib.get_queue_async("nowhere")
    except tasklib.QueueNotFoundError as error:
        print(error)
    tasklib.RateLimited(2, scope="worker")  # type: ignore[arg-type]
    tasklib.set_queue_limits("partner", rate=50)  # type: ignore[arg-type]
    print(queues)


@tasklib.task(schedule="*/5 * * * *")
def refresh() -> None: ...


nightly: tasklib.ScheduleDefinition = tasklib.schedule(
    add, cron="0 3 * * *", name="nightly-add", args={"x": 1}, timezone="Europe/Paris"
)
tasklib.schedule(add, cron="0 3 * * *", catch_up="sometimes")  # type: ignore[arg-type]


async def schedules(config: Config) -> None:
    made: tasklib.Schedule = tasklib.create_schedule(add, cron="* * * * * *", args={"x": 2})
    also: tasklib.Schedule = await tasklib.create_schedule_async(
        "billing.invoice", cron="@daily", catch_up="skip"
    )
    listed: list[tasklib.Schedule] = tasklib.list_schedules() + await tasklib.list_schedules_async()
    paused: bool = tasklib.pause_schedule(made.name).paused
    resumed: datetime | None = (await tasklib.resume_schedule_async(also.name)).next_fire_at
    tasklib.remove_schedule(made.name)
    await tasklib.remove_schedule_async(also.name)
    fire: datetime | None = tasklib.Cron("*/10 * * * * *", "UTC").next_after(datetime.now(UTC))
    with tasklib.Client(config) as client:
        changed: list[str] = client.apply_schedules([nightly])
        client.get_schedule(nightly.name)
    print(listed, paused, resumed, fire, changed)
    try:
        tasklib.get_schedule("nope")
    except (tasklib.ScheduleNotFoundError, tasklib.InvalidScheduleError) as error:
        print(error)
