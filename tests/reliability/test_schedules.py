"""Cron schedules with real worker processes: each fire time runs once, none is missed, with
three workers, with one of them killed, and across a gap in which no worker ran.

Every worker runs a scheduler; the database lets one ``fire_schedule`` per (schedule, fire time)
submit the task. The run of each fire time is read from the tasks' tags (``fire_at``).
"""

from __future__ import annotations

import re
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import tasklib
from tests.reliability import tasks
from tests.reliability.support import ScenarioReport, Workers, fetch, workers
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

WINDOW_SECONDS = 20
# Short leases: the tasks a killed worker held run again within seconds, not 30.
OPTIONS = ("-c", "4", "--lease-seconds", "3")


def db_now(url: str) -> datetime:
    value: datetime = fetch(url, "SELECT now()")[0][0]
    return value


def runs(url: str, schedule: str) -> dict[datetime, int]:
    """Fire time -> how many tasks the schedule submitted for it."""
    rows = fetch(
        url,
        "SELECT tags->>'fire_at', count(*) FROM tasklib.tasks"
        " WHERE tags @> jsonb_build_object('schedule', %s::text) GROUP BY 1",
        (schedule,),
    )
    return {
        datetime.strptime(str(stamp), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC): int(count)
        for stamp, count in rows
    }


def wait_for_database_time(url: str, moment: datetime, what: str) -> None:
    left = (moment - db_now(url)).total_seconds()
    wait_until(lambda: db_now(url) >= moment, what=what, timeout=max(left, 0) + 30, interval=0.2)


def wait_until_completed(url: str, schedule: str, until: datetime) -> None:
    """Wait until every run of the schedule's fire times up to ``until`` has completed (those
    a killed worker held come back when their leases expire)."""

    def unfinished() -> list[tuple[object, ...]]:
        return fetch(
            url,
            "SELECT 1 FROM tasklib.tasks WHERE state <> 'completed'"
            " AND tags @> jsonb_build_object('schedule', %s::text)"
            " AND (tags->>'fire_at')::timestamptz <= %s",
            (schedule, until),
        )

    wait_until(
        lambda: not unfinished(),
        what=f"every run of {schedule} to complete",
        timeout=60,
        interval=0.2,
    )


def lateness(url: str, schedule: str) -> str:
    """How long after its fire time each fire was recorded, in ms: the median, the worst, and
    the worst but the first fire (the schedule exists before the workers start, so its first
    fire is the catch-up of the fire time that passed while they started: up to a second)."""
    rows = fetch(
        url,
        "SELECT extract(epoch FROM fired_at - fire_at) * 1000 FROM tasklib.schedule_fires"
        " WHERE schedule = %s ORDER BY fire_at",
        (schedule,),
    )
    late = [float(row[0]) for row in rows]
    median, worst, worst_after_first = statistics.median(late), max(late), max(late[1:])
    return (
        f"fired {median:.0f} ms after the fire time (median), {worst:.0f} ms at worst,"
        f" {worst_after_first:.0f} ms at worst after the first fire"
    )


def fires_by_worker(group: Workers) -> str:
    counts = {wid: group.log(wid).count("schedule rel.every-second fired") for wid in group.procs}
    return ", ".join(f"{wid} {n}" for wid, n in counts.items())


@pytest.mark.parametrize("kill_one", [False, True], ids=["three-workers", "one-killed"])
def test_every_second_for_20_seconds_runs_each_fire_time_once(
    database_url: str, records: Path, report: ScenarioReport, kill_one: bool
) -> None:
    schedule = "rel.every-second"
    with tasklib.Client(tasklib.Config(database_url=database_url)) as client:
        client.create_schedule(tasks.tick.name, cron="* * * * * *", name=schedule)
    with workers(database_url, records, *OPTIONS) as group:
        started = [group.start() for _ in range(3)]
        group.wait_until_announced(started)
        first = db_now(database_url).replace(microsecond=0) + timedelta(seconds=2)
        last = first + timedelta(seconds=WINDOW_SECONDS - 1)
        window = [first + timedelta(seconds=i) for i in range(WINDOW_SECONDS)]
        if kill_one:
            halfway = first + timedelta(seconds=WINDOW_SECONDS // 2)
            wait_for_database_time(database_url, halfway, "half the window")
            group.kill(started[1])
            assert group.alive() == [started[0], started[2]]
        wait_for_database_time(database_url, last + timedelta(seconds=1.5), "the window's end")
        wait_until_completed(database_url, schedule, last)
        figures = fires_by_worker(group)
        group.stop_all()

    found = runs(database_url, schedule)
    report.submitted = len(found)
    report.completed = sum(found.values())
    twice = {at.isoformat(): n for at, n in found.items() if n > 1}
    report.run_twice["fire time run twice"] = len(twice)
    missing = [at.isoformat() for at in window if at not in found]
    report.lost = len(missing)
    report.figures += [f"fires by worker: {figures}", lateness(database_url, schedule)]
    assert twice == {}, f"fire times with more than one run: {twice}"
    assert missing == [], f"fire times of the window without a run: {missing}"
    assert all(found[at] == 1 for at in window)


RUNNING_SINCE = re.compile(r"scheduler of \S+ running since (\S+) \(database time\)")


def test_fire_times_missed_while_no_worker_ran_follow_the_catch_up_policy(
    database_url: str, records: Path, report: ScenarioReport
) -> None:
    """Two schedules fire every second, one with catch_up 'one', one with 'skip'. The worker
    stops for 5 s: five fire times or more pass with no scheduler running. A 5-second gap shows
    the policy as well as the issue's 30 s would (only the count of missed fire times grows),
    at a sixth of the time. The fire times a restarted scheduler counts as missed are those up
    to the moment it starts running, which it logs."""
    with tasklib.Client(tasklib.Config(database_url=database_url)) as client:
        for policy in ("one", "skip"):
            client.create_schedule(
                tasks.tick.name, cron="* * * * * *", name=f"rel.{policy}", catch_up=policy
            )
    with workers(database_url, records, *OPTIONS) as group:
        before = group.start()
        group.wait_until_announced([before])
        for policy in ("one", "skip"):
            wait_until(lambda p=policy: len(runs(database_url, f"rel.{p}")) >= 2, what="fires")
        assert group.stop_all() == {before: 0}
        stopped = {policy: max(runs(database_url, f"rel.{policy}")) for policy in ("one", "skip")}
        time.sleep(5)  # the outage under test: no worker, no scheduler

        after = group.start()
        running_since = datetime.fromisoformat(
            wait_until(
                lambda: (m := RUNNING_SINCE.search(group.log(after))) and m.group(1),
                what="the new scheduler to start",
            )
        )
        for policy in ("one", "skip"):
            wait_until(
                lambda p=policy: (
                    max(runs(database_url, f"rel.{p}")) >= running_since + timedelta(seconds=2)
                ),
                what=f"rel.{policy} to fire again",
            )
        group.stop_all()

    missed_fire_times = {
        policy: [
            stopped[policy] + timedelta(seconds=i)
            for i in range(1, int((running_since - stopped[policy]).total_seconds()) + 1)
        ]
        for policy in ("one", "skip")
    }
    assert all(len(missed) >= 5 for missed in missed_fire_times.values()), missed_fire_times
    caught_up = {
        policy: sorted(
            at
            for at in runs(database_url, f"rel.{policy}")
            if stopped[policy] < at <= running_since
        )
        for policy in ("one", "skip")
    }
    report.submitted = report.completed = sum(
        sum(runs(database_url, f"rel.{policy}").values()) for policy in ("one", "skip")
    )
    report.figures.append(
        f"missed while no worker ran: {len(missed_fire_times['one'])} fire times;"
        f" run afterwards: one -> {len(caught_up['one'])}, skip -> {len(caught_up['skip'])}"
    )
    assert caught_up["one"] == [missed_fire_times["one"][-1]], "one run: the latest missed"
    assert caught_up["skip"] == [], "skip: none of them"
    for policy in ("one", "skip"):
        found = runs(database_url, f"rel.{policy}")
        assert all(n == 1 for n in found.values()), f"{policy}: a fire time ran twice"
        after_start = sorted(at for at in found if at > running_since)
        expected = [after_start[0] + timedelta(seconds=i) for i in range(len(after_start))]
        assert after_start == expected, f"{policy}: every fire time after the start ran"
