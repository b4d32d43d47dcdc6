"""The scheduler in a running TaskWorker: it fires each fire time once, wakes on schedule
changes, honours pauses, applies the schedules declared in code, and survives bad schedules."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable

import psycopg
import pytest

import tasklib
from tasklib.worker import _scheduler
from tests.support.waiting import wait_until_async
from tests.worker.support import running_worker


@tasklib.task(name="tests.schedules.tick")
async def tick(label: str = "tick") -> str:
    return label


def fire_times(url: str, schedule: str) -> list[str]:
    """The fire_at tag of every task the schedule submitted, oldest first."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT tags->>'fire_at' FROM tasklib.tasks"
            " WHERE tags @> jsonb_build_object('schedule', %s::text) ORDER BY tags->>'fire_at'",
            (schedule,),
        ).fetchall()
    return [str(row[0]) for row in rows]


async def fired(url: str, schedule: str, at_least: int, within: float = 15.0) -> list[str]:
    return await wait_until_async(
        lambda: (found := fire_times(url, schedule)) and len(found) >= at_least and found,
        what=f"{at_least} fires of {schedule}",
        timeout=within,
        interval=0.1,
    )


async def first_pass(worker: tasklib.TaskWorker) -> None:
    """Wait until the worker's scheduler has read the schedules once (and so sleeps)."""
    await wait_until_async(lambda: worker._scheduler.passes >= 1, what="the scheduler's first pass")


def consecutive_seconds(stamps: list[str]) -> bool:
    seconds = [time.mktime(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")) for stamp in stamps]
    return all(b - a == 1 for a, b in itertools.pairwise(seconds))


async def test_two_workers_fire_each_second_once(url: str) -> None:
    tasklib.create_schedule(tick, cron="* * * * * *", name="every-second")
    async with running_worker(url, worker_id="cron-a"), running_worker(url, worker_id="cron-b"):
        found = await fired(url, "every-second", 4)
    found = fire_times(url, "every-second")
    assert len(found) == len(set(found)), f"a fire time ran twice: {found}"
    assert consecutive_seconds(found), f"a fire time is missing: {found}"
    await wait_until_async(
        lambda: all(t.state == "completed" for t in tasklib.list_tasks(name=tick.name)),
        what="the runs to complete",
    )


async def test_an_idle_worker_wakes_when_a_schedule_is_created(url: str) -> None:
    """Without schedules the scheduler sleeps a minute; NOTIFY from create_schedule wakes it."""
    async with running_worker(url, worker_id="cron-idle") as worker:
        await first_pass(worker)
        began = time.monotonic()
        await tasklib.create_schedule_async(tick, cron="* * * * * *", name="new")
        await fired(url, "new", 1, within=5)
        assert time.monotonic() - began < 3


async def test_without_listen_the_scheduler_rereads_every_few_seconds(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 10 s in production (one query per 10 s while idle); shortened so the test is quick.
    monkeypatch.setattr(_scheduler, "POLL_REREAD_SECONDS", 0.5)
    async with running_worker(
        url, worker_id="cron-poll", listen_notify=False, poll_interval_seconds=0.5
    ) as worker:
        await first_pass(worker)
        await tasklib.create_schedule_async(tick, cron="* * * * * *", name="polled")
        await fired(url, "polled", 1, within=5)


async def test_a_paused_schedule_stops_firing_until_resumed(url: str) -> None:
    tasklib.create_schedule(tick, cron="* * * * * *", name="pausable")
    async with running_worker(url, worker_id="cron-pause"):
        await fired(url, "pausable", 1)
        await tasklib.pause_schedule_async("pausable")
        count = len(fire_times(url, "pausable"))
        await asyncio.sleep(2.2)  # the pause itself is what is tested: two fire times pass
        assert len(fire_times(url, "pausable")) == count
        await tasklib.resume_schedule_async("pausable")
        await fired(url, "pausable", count + 1, within=5)
    status = tasklib.get_schedule("pausable")
    assert status.last_task_id is not None
    assert status.next_fire_at is not None
    assert status.last_fire_at is not None
    assert status.next_fire_at > status.last_fire_at


async def test_a_worker_applies_the_schedules_its_code_declares(
    url: str, declarations: None
) -> None:
    @tasklib.task(name="tests.schedules.declared", schedule="* * * * * *")
    async def declared() -> None:
        return None

    tasklib.schedule(tick, cron="*/2 * * * * *", name="declared-with-args", args={"label": "x"})
    async with running_worker(url, worker_id="cron-declare"):
        await fired(url, "tests.schedules.declared", 1)
        await fired(url, "declared-with-args", 1)
    assert {s.name: s.args for s in tasklib.list_schedules()} == {
        "declared-with-args": {"label": "x"},
        "tests.schedules.declared": {},
    }


async def test_a_worker_login_warns_instead_of_changing_schedules(
    url: str, declarations: None, login: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    tasklib.create_schedule(tick, cron="0 3 * * *", name="stored")
    tasklib.schedule(tick, cron="0 4 * * *", name="stored")
    tasklib.schedule(tick, cron="0 5 * * *", name="missing")
    worker_url = login("tasklib_worker")
    caplog.set_level(logging.WARNING, logger="tasklib.worker")
    async with running_worker(worker_url, worker_id="cron-not-admin"):
        await wait_until_async(
            lambda: "missing declared in code is not in the database" in caplog.text,
            what="the warning about the missing schedule",
        )
    assert "schedule stored declared in code is stored with another cron" in caplog.text
    assert [(s.name, s.cron) for s in tasklib.list_schedules()] == [("stored", "0 3 * * *")]


async def test_a_worker_login_fires_the_stored_schedules(
    url: str, login: Callable[[str], str]
) -> None:
    tasklib.create_schedule(tick, cron="* * * * * *", name="fired-by-worker-login")
    async with running_worker(login("tasklib_worker"), worker_id="cron-worker-login"):
        await fired(url, "fired-by-worker-login", 1)


async def test_a_refused_task_or_an_unreadable_cron_does_not_stop_the_others(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    tasklib.create_schedule(tick, cron="* * * * * *", name="healthy")
    tasklib.create_schedule("tests.schedules.typed", cron="* * * * * *", name="refused")
    with psycopg.connect(url, autocommit=True) as conn:
        # Stored through SQL, which checks the number of fields only.
        conn.execute("SELECT tasklib.create_schedule('unreadable', 'x', '61 * * * *')")
        # The task type registered after the schedule was made: its args no longer fit.
        conn.execute(
            'SELECT tasklib.register_task_type(\'tests.schedules.typed\', \'{"type": "object",'
            ' "properties": {"n": {"type": "integer"}}, "required": ["n"]}\')'
        )
    caplog.set_level(logging.INFO, logger="tasklib.worker")
    async with running_worker(url, worker_id="cron-bad"):
        await fired(url, "healthy", 2)
        await wait_until_async(
            lambda: tasklib.get_schedule("refused").last_fire_refused, what="a refused fire"
        )
    assert "schedule unreadable cannot fire: cron '61 * * * *' is not valid" in caplog.text
    assert caplog.text.count("schedule unreadable cannot fire") == 1, "said once"
    assert "its task was refused: arguments of task tests.schedules.typed break" in caplog.text
    assert fire_times(url, "refused") == []
