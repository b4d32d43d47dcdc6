"""Schedules from Python: create, read, pause, resume and remove them through Client,
AsyncClient and the module API; what is checked before anything is sent; who may do it; and
the database's guarantee that one fire time submits one task however many callers fire it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

import tasklib
from tasklib.schedules import define_schedule


@tasklib.task(name="tests.schedules.report")
def report(kind: str = "daily", copies: int = 1) -> str:
    return f"{kind} x{copies}"


def test_a_schedule_is_created_read_paused_resumed_and_removed(url: str) -> None:
    created = tasklib.create_schedule(
        report, cron="0  3 * * *", args={"kind": "weekly"}, timezone="Europe/Paris"
    )
    assert (created.name, created.task_name, created.cron, created.timezone) == (
        report.name,
        report.name,
        "0 3 * * *",
        "Europe/Paris",
    )
    # The arguments as submit_task stores them: validated, defaults filled in.
    assert (created.args, created.catch_up, created.paused) == (
        {"kind": "weekly", "copies": 1},
        "one",
        False,
    )
    assert created.next_fire_at is None, "no scheduler has computed it yet"
    assert tasklib.get_schedule(report.name) == created
    assert [found.name for found in tasklib.list_schedules()] == [report.name]

    assert tasklib.pause_schedule(report.name).paused
    assert not tasklib.resume_schedule(report.name).paused
    tasklib.remove_schedule(report.name)
    assert tasklib.list_schedules() == []


async def test_the_async_forms_and_an_async_client(url: str) -> None:
    made = await tasklib.create_schedule_async(
        report, cron="*/5 * * * * *", name="fast", args={"copies": 2}, catch_up="skip"
    )
    assert (made.name, made.args, made.catch_up) == ("fast", {"kind": "daily", "copies": 2}, "skip")
    assert (await tasklib.pause_schedule_async("fast")).paused
    assert not (await tasklib.resume_schedule_async("fast")).paused
    assert (await tasklib.get_schedule_async("fast")).cron == "*/5 * * * * *"
    async with tasklib.AsyncClient(tasklib.Config(database_url=url)) as client:
        assert [found.name for found in await client.list_schedules()] == ["fast"]
        await client.remove_schedule("fast")
    assert await tasklib.list_schedules_async() == []


def test_a_task_given_by_name_takes_json_args(url: str) -> None:
    with tasklib.Client(tasklib.Config(database_url=url)) as client:
        made = client.create_schedule(
            "billing.invoice", cron="@daily", name="invoices", args={"day": [1, 2]}
        )
    assert (made.task_name, made.cron, made.args) == ("billing.invoice", "@daily", {"day": [1, 2]})


def test_create_again_replaces_the_definition_and_keeps_the_pause(url: str) -> None:
    tasklib.create_schedule(report, cron="0 3 * * *")
    tasklib.pause_schedule(report.name)
    again = tasklib.create_schedule(report, cron="30 4 * * *", args={"kind": "monthly"})
    assert (again.cron, again.args["kind"], again.paused) == ("30 4 * * *", "monthly", True)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: tasklib.create_schedule(report, cron="0 3 * *"),
            tasklib.InvalidScheduleError,
            "cron must have 5 fields",
        ),
        (
            lambda: tasklib.create_schedule(report, cron="0 3 * * *", timezone="Paris"),
            tasklib.InvalidScheduleError,
            "timezone must be a time zone name",
        ),
        (
            lambda: tasklib.create_schedule(report, cron="0 3 * * *", catch_up="all"),  # type: ignore[arg-type]
            tasklib.InvalidScheduleError,
            "catch_up must be 'one' or 'skip'",
        ),
        (
            lambda: tasklib.create_schedule(report, cron="0 3 * * *", args={"kind": 3}),
            tasklib.TaskValidationError,
            "kind: Input should be a valid string",
        ),
        (
            lambda: tasklib.create_schedule(report, cron="0 3 * * *", name=""),
            tasklib.InvalidScheduleError,
            "schedule name must be a non-empty string",
        ),
    ],
)
def test_bad_definitions_are_refused_before_anything_is_sent(
    url: str, call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        call()
    assert message in str(raised.value)
    assert tasklib.list_schedules() == []


def test_the_database_names_what_python_cannot_check(url: str) -> None:
    tasklib.create_schedule("tests.schedules.unregistered", cron="* * * * *")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "SELECT tasklib.register_task_type('tests.schedules.typed',"
            ' \'{"type": "object", "properties": {"n": {"type": "integer"}},'
            ' "required": ["n"]}\')'
        )
    with pytest.raises(tasklib.ArgumentSchemaError, match='missing required key "n"'):
        tasklib.create_schedule("tests.schedules.typed", cron="* * * * *")


@pytest.mark.parametrize("action", ["get", "pause", "resume", "remove"])
def test_an_unknown_schedule_is_schedule_not_found(url: str, action: str) -> None:
    call = getattr(tasklib, f"{action}_schedule")
    with pytest.raises(tasklib.ScheduleNotFoundError, match="schedule 'nope' not found"):
        call("nope")


def test_apply_schedules_reports_only_what_it_changed(url: str) -> None:
    nightly = define_schedule(report, cron="0 3 * * *", name="nightly")
    weekly = define_schedule(report, cron="0 4 * * 1", name="weekly", args={"kind": "weekly"})
    with tasklib.Client(tasklib.Config(database_url=url)) as client:
        assert client.apply_schedules([weekly, nightly]) == ["nightly", "weekly"]
        assert client.apply_schedules([weekly, nightly]) == []
        moved = define_schedule(report, cron="0 5 * * 1", name="weekly", args={"kind": "weekly"})
        assert client.apply_schedules([nightly, moved]) == ["weekly"]


def test_only_an_administrator_changes_schedules(url: str, login: Callable[[str], str]) -> None:
    tasklib.create_schedule(report, cron="0 3 * * *")
    with tasklib.Client(tasklib.Config(database_url=login("tasklib_worker"))) as worker:
        with pytest.raises(tasklib.TaskLibError, match="42501"):
            worker.create_schedule(report, cron="* * * * *")
        with pytest.raises(tasklib.TaskLibError, match="42501"):
            worker.pause_schedule(report.name)
    with tasklib.Client(tasklib.Config(database_url=login("tasklib_admin"))) as admin:
        assert admin.pause_schedule(report.name).paused


def test_a_monitor_reads_schedules_without_their_args(
    url: str, login: Callable[[str], str]
) -> None:
    tasklib.create_schedule(report, cron="0 3 * * *", args={"kind": "secret"})
    with tasklib.Client(tasklib.Config(database_url=login("tasklib_monitor"))) as monitor:
        [seen] = monitor.list_schedules()
    assert (seen.name, seen.cron, seen.args, seen.last_error) == (
        report.name,
        "0 3 * * *",
        None,
        None,
    )


def test_concurrent_fires_of_one_fire_time_submit_one_task(url: str) -> None:
    """40 threads, each on its own connection, fire the same fire time at the same moment."""
    tasklib.create_schedule(report, cron="* * * * * *")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE tasklib.schedules SET starts_after = now() - interval '1 minute'")
    fire_at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=2)
    start = threading.Barrier(40)
    answers: list[int] = []
    lock = threading.Lock()

    def fire() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            start.wait()
            rows = conn.execute(
                "SELECT * FROM tasklib.fire_schedule(%s, %s)", (report.name, fire_at)
            ).fetchall()
        with lock:
            answers.append(len(rows))

    threads = [threading.Thread(target=fire) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [0] * 39 + [1], "one call fired, 39 found the fire time taken"
    tasks = tasklib.list_tasks(tags={"schedule": report.name})
    assert [task.tags["fire_at"] for task in tasks] == [fire_at.strftime("%Y-%m-%dT%H:%M:%SZ")]
