"""tasklib.Cron: what it accepts, the fire times it computes, and daylight saving time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tasklib import Cron, InvalidScheduleError


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def fires(cron: Cron, start: datetime, n: int) -> list[str]:
    """The next n fire times after start, as wall-clock times of the cron's zone."""
    found = []
    moment = start
    for _ in range(n):
        fire = cron.next_after(moment)
        assert fire is not None
        found.append(fire.astimezone(cron.zone).strftime("%m-%d %H:%M:%S%z"))
        moment = fire
    return found


def test_five_fields_fire_on_the_minute() -> None:
    cron = Cron("*/15 * * * *")
    assert cron.next_after(at(2026, 1, 1, 0, 7, 30)) == at(2026, 1, 1, 0, 15)
    assert cron.latest_at_or_before(at(2026, 1, 1, 0, 7, 30)) == at(2026, 1, 1, 0, 0)


def test_six_fields_put_the_seconds_first() -> None:
    cron = Cron("*/10 * * * * *")
    assert cron.between(at(2026, 1, 1), at(2026, 1, 1, 0, 0, 35), limit=10) == [
        at(2026, 1, 1, 0, 0, 10),
        at(2026, 1, 1, 0, 0, 20),
        at(2026, 1, 1, 0, 0, 30),
    ]


def test_between_is_after_exclusive_until_inclusive_and_limited() -> None:
    cron = Cron("* * * * * *")
    start = at(2026, 1, 1)
    assert cron.between(start, start + timedelta(seconds=3), limit=10) == [
        start + timedelta(seconds=s) for s in (1, 2, 3)
    ]
    assert len(cron.between(start, start + timedelta(hours=1), limit=5)) == 5


def test_latest_at_or_before_includes_the_moment_itself() -> None:
    cron = Cron("* * * * * *")
    assert cron.latest_at_or_before(at(2026, 1, 1, 0, 0, 5)) == at(2026, 1, 1, 0, 0, 5)
    assert cron.next_after(at(2026, 1, 1, 0, 0, 5)) == at(2026, 1, 1, 0, 0, 6)


def test_whitespace_is_normalised_and_aliases_accepted() -> None:
    assert Cron("  0\t3  * * * ").expression == "0 3 * * *"
    assert Cron("@hourly").next_after(at(2026, 1, 1, 0, 30)) == at(2026, 1, 1, 1, 0)


def test_a_time_zone_moves_the_fire_times() -> None:
    # 03:00 in Paris is 02:00 UTC in winter, 01:00 UTC in summer.
    cron = Cron("0 3 * * *", "Europe/Paris")
    assert cron.next_after(at(2026, 1, 10)) == at(2026, 1, 10, 2)
    assert cron.next_after(at(2026, 7, 10)) == at(2026, 7, 10, 1)


def test_a_fixed_time_fires_once_on_the_night_clocks_go_back() -> None:
    # Paris, 25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
    assert fires(Cron("30 2 * * *", "Europe/Paris"), at(2026, 10, 23, 12), 3) == [
        "10-24 02:30:00+0200",
        "10-25 02:30:00+0200",
        "10-26 02:30:00+0100",
    ]


def test_a_fixed_time_that_does_not_exist_fires_when_the_clocks_go_forward() -> None:
    # Paris, 29 March 2026: 02:00 CET becomes 03:00 CEST; there is no 02:30.
    assert fires(Cron("30 2 * * *", "Europe/Paris"), at(2026, 3, 27, 12), 3) == [
        "03-28 02:30:00+0100",
        "03-29 03:00:00+0200",
        "03-30 02:30:00+0200",
    ]


def test_a_wildcard_hour_follows_the_clock_through_both_changes() -> None:
    autumn = fires(Cron("0 * * * *", "Europe/Paris"), at(2026, 10, 24, 22, 30), 4)
    assert autumn == ["10-25 01:00:00+0200", "10-25 02:00:00+0200", "10-25 02:00:00+0100",
                      "10-25 03:00:00+0100"]  # fmt: skip
    spring = fires(Cron("0 * * * *", "Europe/Paris"), at(2026, 3, 28, 23, 30), 3)
    assert spring == ["03-29 01:00:00+0100", "03-29 03:00:00+0200", "03-29 04:00:00+0200"]


def test_latest_at_or_before_skips_the_repeated_copy_too() -> None:
    cron = Cron("30 2 * * *", "Europe/Paris")
    after_both = at(2026, 10, 25, 3)  # 04:00 CET, both 02:30s passed
    latest = cron.latest_at_or_before(after_both)
    assert latest == at(2026, 10, 25, 0, 30)  # the first 02:30 (CEST)


@pytest.mark.parametrize(
    ("expression", "timezone", "message"),
    [
        ("", "UTC", "cron must be a non-empty cron expression"),
        ("* * * *", "UTC", "cron must have 5 fields (minute hour day-of-month month day-of-week)"),
        ("* * * * * * *", "UTC", "or 6 (second first), got 7"),
        ("61 * * * *", "UTC", "cron '61 * * * *' is not valid"),
        ("*/0 * * * *", "UTC", "is not valid"),
        ("@fortnightly", "UTC", "cron alias '@fortnightly' is not one of"),
        ("0 0 30 2 *", "UTC", "never fires"),
        ("R * * * *", "UTC", "uses H or R"),
        ("H * * * *", "UTC", "uses H or R"),
        ("* * * * *", "Mars/Olympus", "timezone must be a time zone name"),
        ("* * * * *", "", "timezone must be a time zone name"),
    ],
)
def test_bad_expressions_and_zones_are_named(expression: str, timezone: str, message: str) -> None:
    with pytest.raises(InvalidScheduleError, match=None) as raised:
        Cron(expression, timezone)
    assert message in str(raised.value)


def test_day_and_month_names_are_not_mistaken_for_h_or_r() -> None:
    assert Cron("0 9 * MAR THU").next_after(at(2026, 3, 1)) == at(2026, 3, 5, 9)
