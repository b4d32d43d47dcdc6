"""Cron: a cron expression read in a time zone, checked, and its fire times computed (croniter).

Fire times are UTC datetimes in whole seconds. Every worker computes them the same way from the
same definition, which is what lets many schedulers agree on one fire time without a leader:
nothing here may depend on the process (no random or hashed fields).

Daylight saving time follows Vixie cron. An expression with a fixed minute and hour (``30 2 * *
*``: neither field starts with ``*``) fires once a day at that wall-clock time: on the night
the clocks go forward it fires at the first instant after the gap (03:00), and on the night
they go back it fires at the first of the two 02:30s only. An expression with ``*`` in its
minute or hour field (``*/15 * * * *``, ``@hourly``) follows the clock: no fire in the hour
that does not exist, and fires in both copies of the hour that repeats.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, CroniterError, croniter

from tasklib.errors import InvalidScheduleError

ALIASES: dict[str, str] = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_FIELDS = "minute hour day-of-month month day-of-week"
# croniter's R (random) differs in every process, and H (hashed) needs a key: either would let
# two workers disagree on the fire times. A letter next to another is a name (THU, MAR).
_PROCESS_DEPENDENT = re.compile(r"(?<![A-Za-z])[HhRr](?![A-Za-z])")
# How many fire times a search may skip (DST repeats, the odd croniter answer) before it gives up.
_MAX_SKIPS = 8
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def normalize(expression: str) -> str:
    """The expression as stored: fields separated by single spaces."""
    return " ".join(expression.split())


class Cron:
    """A checked cron expression in a time zone; computes its fire times as UTC datetimes.

    Five fields (minute hour day-of-month month day-of-week), six with seconds first
    (``*/10 * * * * *``: every 10 seconds), or an alias (``@hourly``, ``@daily``, ...).
    InvalidScheduleError names what is wrong. Not thread-safe (one croniter, reused).
    """

    def __init__(self, expression: str, timezone: str = "UTC") -> None:
        if not isinstance(expression, str) or not expression.strip():
            raise InvalidScheduleError(
                f"cron must be a non-empty cron expression, got {expression!r}"
            )
        self.expression = normalize(expression)
        if len(self.expression) > 255:
            raise InvalidScheduleError("cron must be at most 255 characters")
        fields_text = self.expression
        if fields_text.startswith("@"):
            expanded = ALIASES.get(fields_text.lower())
            if expanded is None:
                raise InvalidScheduleError(
                    f"cron alias {fields_text!r} is not one of {', '.join(ALIASES)}"
                )
            fields_text = expanded
        fields = fields_text.split(" ")
        if len(fields) not in (5, 6):
            raise InvalidScheduleError(
                f"cron must have 5 fields ({_FIELDS}) or 6 (second first), got {len(fields)}: "
                f"{self.expression!r}"
            )
        if _PROCESS_DEPENDENT.search(fields_text):
            raise InvalidScheduleError(
                f"cron {self.expression!r} uses H or R, which every worker would read "
                "differently: write the minute or second out"
            )
        self.timezone = _zone_name(timezone)
        self.zone = _zone(self.timezone)
        # Vixie cron's rule: only jobs at a particular time are kept to one run per wall time.
        minute, hour = fields[-5], fields[-4]
        self.fixed_time = not minute.startswith("*") and not hour.startswith("*")
        try:
            self._iter = croniter(
                fields_text,
                _EPOCH.astimezone(self.zone),
                second_at_beginning=len(fields) == 6,
            )
        except CroniterError as error:
            raise InvalidScheduleError(f"cron {self.expression!r} is not valid: {error}") from None
        if self.next_after(datetime.now(UTC)) is None:
            raise InvalidScheduleError(f"cron {self.expression!r} never fires (e.g. 30 February)")

    def __repr__(self) -> str:
        return f"Cron({self.expression!r}, {self.timezone!r})"

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire time after ``moment`` (aware), in UTC; None if there is none."""
        start = moment.astimezone(self.zone)
        try:
            self._iter.set_current(start, force=True)
            for _ in range(_MAX_SKIPS):
                fire = self._iter.get_next(datetime).astimezone(UTC)
                if fire > moment and not self._second_copy(fire):
                    return fire
        except CroniterBadDateError:
            return None
        return None

    def latest_at_or_before(self, moment: datetime) -> datetime | None:
        """The last fire time at or before ``moment`` (aware), in UTC; None if none is found."""
        # croniter's previous is strictly before its start: a microsecond later includes moment.
        start = (moment + timedelta(microseconds=1)).astimezone(self.zone)
        try:
            self._iter.set_current(start, force=True)
            for _ in range(_MAX_SKIPS):
                fire = self._iter.get_prev(datetime).astimezone(UTC)
                if fire <= moment and not self._second_copy(fire):
                    return fire
        except CroniterBadDateError:
            return None
        return None

    def between(self, after: datetime, until: datetime, limit: int) -> list[datetime]:
        """The fire times in (after, until], oldest first, at most ``limit`` of them."""
        fires: list[datetime] = []
        fire = self.next_after(after)
        while fire is not None and fire <= until and len(fires) < limit:
            fires.append(fire)
            fire = self.next_after(fire)
        return fires

    def _second_copy(self, fire: datetime) -> bool:
        """Whether a fixed-time expression's fire is the second copy of a repeated wall time."""
        if not self.fixed_time:
            return False
        local = fire.astimezone(self.zone)
        return bool(local.fold) and local.replace(fold=0).utcoffset() != local.utcoffset()


def _zone_name(timezone: object) -> str:
    if not isinstance(timezone, str) or not timezone.strip():
        raise InvalidScheduleError(f"timezone must be a time zone name, got {timezone!r}")
    return timezone


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidScheduleError(
            f"timezone must be a time zone name such as 'UTC' or 'Europe/Paris', got {name!r}"
        ) from None
