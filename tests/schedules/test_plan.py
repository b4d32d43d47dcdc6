"""The scheduler's plan: which fire times one pass fires, for a scheduler running since when.

Every worker's scheduler plans the same way from the same row; the database then lets one call
per fire time through. These cases are the catch-up policy and the continuity rule.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tasklib import Cron
from tasklib.worker._scheduler import ScheduleRow, plan

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
EVERY_SECOND = Cron("* * * * * *")


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def row(
    catch_up: str = "one", *, starts_after: datetime = T0, last_fire_at: datetime | None = None
) -> ScheduleRow:
    return ScheduleRow("sched", "* * * * * *", "UTC", catch_up, starts_after, last_fire_at, None)


def test_a_running_scheduler_fires_each_fire_time_that_came() -> None:
    planned = plan(row(last_fire_at=s(10)), EVERY_SECOND, now=s(13.2), running_since=s(0.5))
    assert planned.due == [s(11), s(12), s(13)]
    assert planned.next_fire == s(14)


def test_nothing_is_due_between_fire_times() -> None:
    planned = plan(row(last_fire_at=s(13)), EVERY_SECOND, now=s(13.7), running_since=s(0.5))
    assert planned.due == []
    assert planned.next_fire == s(14)


def test_catch_up_one_fires_the_latest_missed_fire_time_once() -> None:
    # Last fired at 10 s; no scheduler ran until this one started at 30.4 s.
    planned = plan(row("one", last_fire_at=s(10)), EVERY_SECOND, now=s(30.4), running_since=s(30.4))
    assert planned.due == [s(30)]
    again = plan(row("one", last_fire_at=s(30)), EVERY_SECOND, now=s(30.9), running_since=s(30.4))
    assert again.due == [], "once fired, the catch-up is not repeated"


def test_catch_up_skip_fires_nothing_before_the_scheduler_started() -> None:
    planned = plan(
        row("skip", last_fire_at=s(10)), EVERY_SECOND, now=s(30.4), running_since=s(30.4)
    )
    assert planned.due == []
    assert planned.next_fire == s(31)
    later = plan(row("skip", last_fire_at=s(10)), EVERY_SECOND, now=s(32.1), running_since=s(30.4))
    assert later.due == [s(31), s(32)], "the fire times after it started are due as usual"


def test_a_new_schedule_fires_nothing_of_its_past() -> None:
    fresh = row("one", starts_after=s(20.5))
    assert plan(fresh, EVERY_SECOND, now=s(20.6), running_since=s(0)).due == []
    assert plan(fresh, EVERY_SECOND, now=s(22.1), running_since=s(0)).due == [s(21), s(22)]
    # A scheduler starting later: its missed fire times are the schedule's, from starts_after.
    assert plan(fresh, EVERY_SECOND, now=s(25.5), running_since=s(25.5)).due == [s(25)]


def test_a_catch_up_is_the_latest_fire_time_however_long_ago() -> None:
    nightly = Cron("0 3 * * *")
    last = datetime(2026, 1, 1, 3, tzinfo=UTC)
    start = datetime(2026, 1, 5, 10, tzinfo=UTC)
    planned = plan(
        ScheduleRow("n", "0 3 * * *", "UTC", "one", last - timedelta(days=9), last, None),
        nightly,
        now=start,
        running_since=start,
    )
    assert planned.due == [datetime(2026, 1, 5, 3, tzinfo=UTC)]
    assert planned.next_fire == datetime(2026, 1, 6, 3, tzinfo=UTC)


def test_a_pass_fires_at_most_limit_fire_times_and_wakes_at_once() -> None:
    planned = plan(row(last_fire_at=s(0)), EVERY_SECOND, now=s(50), running_since=s(0), limit=10)
    assert planned.due == [s(i) for i in range(1, 11)]
    assert planned.next_fire == s(11)
