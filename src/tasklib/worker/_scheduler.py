"""The scheduler every worker runs: it fires the cron schedules' due fire times, each once.

There is no leader. Each worker's scheduler reads the schedules and the database's clock in one
statement, computes the fire times that have come (``plan``), and calls ``tasklib.fire_schedule``
for each; the database lets the first call of a (schedule, fire time) submit the task and turns
every other into a no-op. Between passes it sleeps until the next fire time of any schedule, at
most ``IDLE_REREAD_SECONDS``, and wakes at once on ``NOTIFY tasklib_schedules`` (a schedule
created, paused, resumed or removed), which the worker's one LISTEN connection (_listener) hears
for it. While nothing listens it re-reads every ``POLL_REREAD_SECONDS`` (or poll interval, if
longer) instead; with ``quiet_idle`` and the listener up, only at fire times and on NOTIFY.

Which fire times a scheduler fires: every one that comes while it runs. The fire times that came
before it started (or while it could not reach the database, or stalled for more than
``STALLED_AFTER_SECONDS``) were missed by this scheduler, and the schedule's ``catch_up`` policy
decides: ``one`` fires the latest of them, ``skip`` none. A scheduler that ran meanwhile has
fired them already, so with several workers the policy only matters when none ran.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
import psycopg.errors

from tasklib.config import Config
from tasklib.cron import Cron
from tasklib.db import statements as sql
from tasklib.errors import (
    InvalidScheduleError,
    SchemaMissingError,
    TaskLibError,
    first_line,
    translate,
)
from tasklib.schedules import ScheduleDefinition, declared_schedules
from tasklib.worker._reconnect import Connection, ReconnectingConnection

log = logging.getLogger("tasklib.worker")

# The longest sleep between two passes while LISTEN tells of changes: the fallback that notices a
# change whose notification was lost (a LISTEN connection replaced meanwhile).
IDLE_REREAD_SECONDS = 60.0
# The same without LISTEN. A change noticed this late delays the first fires of a new or
# resumed schedule (they fire late, none is lost); a pause or removal is seen by the database's
# fire_schedule at once. Shorter would cost an idle worker a query per poll interval.
POLL_REREAD_SECONDS = 10.0
# A pass this much later than planned means the scheduler was not running in between (the
# database was unreachable, the process was stopped or starved): the fire times of the gap
# follow the catch-up policy instead of all firing late.
STALLED_AFTER_SECONDS = 10.0
# At most this many fire times of one schedule per pass (the next pass follows at once).
MAX_FIRES_PER_PASS = 100
# After an unexpected error, the wait before the next pass.
ERROR_BACKOFF_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """What a pass reads of one schedule that may fire (statements.DUE_SCHEDULES)."""

    name: str
    cron: str
    timezone: str
    catch_up: str
    starts_after: datetime
    last_fire_at: datetime | None
    next_fire_at: datetime | None


@dataclass(frozen=True, slots=True)
class Plan:
    """The fire times of one schedule to fire now (oldest first), and the next one after them."""

    due: list[datetime]
    next_fire: datetime | None


def plan(
    row: ScheduleRow,
    cron: Cron,
    *,
    now: datetime,
    running_since: datetime,
    limit: int = MAX_FIRES_PER_PASS,
) -> Plan:
    """The fire times of ``row`` due at ``now`` for a scheduler running since ``running_since``.

    Nothing at or before the schedule's ``starts_after`` or its latest fire is due. Of the fire
    times before ``running_since`` (missed by this scheduler) the policy ``one`` takes the
    latest, ``skip`` none; every fire time after it is due once it has come.
    """
    anchor = (
        row.starts_after if row.last_fire_at is None else max(row.starts_after, row.last_fire_at)
    )
    due: list[datetime] = []
    if row.catch_up == "one" and anchor < running_since:
        missed = cron.latest_at_or_before(running_since)
        if missed is not None and missed > anchor:
            due.append(missed)
    due.extend(cron.between(max(anchor, running_since), now, limit - len(due)))
    next_fire = cron.next_after(due[-1] if len(due) >= limit else now)
    return Plan(due, next_fire)


class Scheduler:
    """One worker's scheduler loop, on a connection of its own (see the module's docstring)."""

    def __init__(self, config: Config, *, worker_id: str) -> None:
        self._db = ReconnectingConnection(config, "schedules")
        self._worker_id = worker_id
        self._poll_sleep = max(POLL_REREAD_SECONDS, config.poll_interval_seconds)
        self._quiet = config.quiet_idle
        # Whether NOTIFY tasklib_schedules reaches this worker now (set by the listener).
        self.listening = False
        self._changed = asyncio.Event()
        self._crons: dict[tuple[str, str], Cron | None] = {}
        self._running_since: datetime | None = None
        self._planned_pass: datetime | None = None
        self._job: asyncio.Task[None] | None = None
        self._stopping = False
        # What it sent, for tests and the benchmark (docs/cron.md).
        self.passes = 0
        self.statements = 0
        self.fired = 0

    def wake_up(self) -> None:
        """Pass now: a schedule changed (NOTIFY), or the listener came or went."""
        self._changed.set()

    def _max_sleep(self) -> float | None:
        if not self.listening:
            return self._poll_sleep
        return None if self._quiet else IDLE_REREAD_SECONDS

    def start(self) -> None:
        """Start the loop as a task of the running event loop."""
        self._job = asyncio.create_task(self._run(), name="tasklib-schedules")

    async def stop(self) -> None:
        """Stop the loop (a fire in flight is its own transaction) and close the connection."""
        job, self._job = self._job, None
        self._stopping = True
        if job is not None:
            self._db.stop_retrying()
            # Python 3.11's wait_for can swallow a cancellation that arrives as the awaited
            # event fires (a reconnect wait ended by stop_retrying): cancel until it is done.
            while not job.done():
                job.cancel()
                await asyncio.wait([job], timeout=1.0)
        await self._db.close()

    async def _run(self) -> None:
        try:
            await self._db.run(self._apply_declarations)
        except (TaskLibError, psycopg.Error) as error:
            if _schema_missing(error):
                log.error("cron schedules are off: %s", first_line(error))
                return
            log.error("could not apply the schedules declared in code: %s", first_line(error))
        while not self._stopping:
            try:
                # Cleared before the read, so that a change notified meanwhile still counts.
                self._changed.clear()
                seconds = await self._db.run(self._pass)
                await self._wait(seconds)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the loop must outlive any one failure
                if self._stopping:
                    return
                if _schema_missing(error):
                    log.error("cron schedules are off: %s", first_line(error))
                    return
                log.error(
                    "scheduler pass failed (%s); next try in %g s",
                    first_line(error),
                    ERROR_BACKOFF_SECONDS,
                )
                self._running_since = None  # what it missed meanwhile follows the policy
                await asyncio.sleep(ERROR_BACKOFF_SECONDS)

    # -- declarations ------------------------------------------------------------------------

    async def _apply_declarations(self, conn: Connection) -> None:
        """Create or replace the schedules this process declares (needs tasklib_admin)."""
        declared = declared_schedules()
        if not declared:
            return
        rows = json.dumps([definition.row() for definition in declared])
        try:
            cursor = await conn.execute(sql.APPLY_SCHEDULES, (rows,))
            changed = [str(name) for name, was_changed in await cursor.fetchall() if was_changed]
        except psycopg.errors.InsufficientPrivilege:
            await self._compare_declarations(conn, declared)
            return
        except psycopg.Error as error:
            if isinstance(error, psycopg.OperationalError):
                raise
            raise translate(error) from error
        if changed:
            log.info(
                "schedules created or changed from this process's code: %s", ", ".join(changed)
            )

    async def _compare_declarations(
        self, conn: Connection, declared: list[ScheduleDefinition]
    ) -> None:
        """Warn about each declaration the database lacks or holds otherwise (not admin)."""
        cursor = await conn.execute(
            sql.STORED_SCHEDULES, ([definition.name for definition in declared],)
        )
        columns = ("name", "task_name", "cron", "args", "timezone", "catch_up")
        stored = {row[0]: dict(zip(columns, row, strict=True)) for row in await cursor.fetchall()}
        for definition in declared:
            found = stored.get(definition.name)
            if found is None:
                problem = "is not in the database"
            else:
                differs = definition.same_as_stored(found)
                if not differs:
                    continue
                problem = f"is stored with another {', '.join(differs)}"
            log.warning(
                "schedule %s declared in code %s, and this worker's login may not change "
                "schedules (tasklib_admin): apply it with `tasklib schedules apply MODULE` as an "
                "administrator; workers fire the stored schedules",
                definition.name,
                problem,
            )

    # -- passes ------------------------------------------------------------------------------

    async def _pass(self, conn: Connection) -> float | None:
        """Fire what is due; return the seconds until the next pass (None: until woken)."""
        cursor = await conn.execute(sql.DUE_SCHEDULES)
        rows = await cursor.fetchall()
        self.passes += 1
        self.statements += 1
        now: datetime = rows[0][0]
        self._note_continuity(now, schedules=sum(1 for row in rows if row[1] is not None))
        assert self._running_since is not None
        max_sleep = self._max_sleep()
        wake_at = None if max_sleep is None else now + timedelta(seconds=max_sleep)
        for values in rows:
            if values[1] is None:
                continue
            row = ScheduleRow(*values[1:])
            cron = self._cron(row)
            if cron is None:
                continue
            schedule_plan = plan(row, cron, now=now, running_since=self._running_since)
            following = [*schedule_plan.due[1:], schedule_plan.next_fire]
            for fire_at, next_fire in zip(schedule_plan.due, following, strict=False):
                await self._fire(conn, row.name, fire_at, next_fire)
            next_fire = schedule_plan.next_fire
            if not schedule_plan.due and next_fire is not None and next_fire != row.next_fire_at:
                await conn.execute(sql.SET_SCHEDULE_NEXT_FIRE, (row.name, next_fire))
                self.statements += 1
            if next_fire is not None:
                wake_at = next_fire if wake_at is None else min(wake_at, next_fire)
        if wake_at is None:
            self._planned_pass = None
            return None
        seconds = max(0.0, (wake_at - now).total_seconds())
        self._planned_pass = now + timedelta(seconds=seconds)
        return seconds

    def _note_continuity(self, now: datetime, *, schedules: int) -> None:
        """Start (or restart) counting this scheduler as running from ``now`` when it was not."""
        if self._running_since is None:
            self._running_since = now
            log.info(
                "scheduler of %s running since %s (database time), %d schedule(s)",
                self._worker_id,
                now.isoformat(),
                schedules,
                extra={"event": "scheduler_started", "running_since": now.isoformat()},
            )
        elif self._planned_pass is not None and now > self._planned_pass + timedelta(
            seconds=STALLED_AFTER_SECONDS
        ):
            log.warning(
                "scheduler of %s ran %.0f s late (database unreachable or the process stalled): "
                "fire times since %s follow their catch-up policy",
                self._worker_id,
                (now - self._planned_pass).total_seconds(),
                self._planned_pass.isoformat(),
            )
            self._running_since = now

    def _cron(self, row: ScheduleRow) -> Cron | None:
        key = (row.cron, row.timezone)
        if key not in self._crons:
            try:
                self._crons[key] = Cron(row.cron, row.timezone)
            except InvalidScheduleError as error:
                # Stored through SQL, which checks the shape only: said once per definition.
                log.error("schedule %s cannot fire: %s", row.name, error)
                self._crons[key] = None
        return self._crons[key]

    async def _fire(
        self, conn: Connection, name: str, fire_at: datetime, next_fire: datetime | None
    ) -> None:
        try:
            cursor = await conn.execute(sql.FIRE_SCHEDULE, (name, fire_at, next_fire))
            row = await cursor.fetchone()
        except psycopg.Error as error:
            if isinstance(error, psycopg.OperationalError):
                raise
            log.error("schedule %s, fire time %s: %s", name, fire_at.isoformat(), first_line(error))
            return
        finally:
            self.statements += 1
        if row is None:
            return  # fired already (another worker), or paused or removed meanwhile
        self.fired += 1
        task_id, refusal = row
        if refusal is not None:
            log.warning(
                "schedule %s, fire time %s: its task was refused: %s",
                name,
                fire_at.isoformat(),
                refusal,
                extra={"event": "schedule_refused", "schedule": name},
            )
            return
        log.info(
            "schedule %s fired for %s: task %s",
            name,
            fire_at.isoformat(),
            task_id,
            extra={"event": "schedule_fired", "schedule": name, "task_id": str(task_id)},
        )

    async def _wait(self, seconds: float | None) -> None:
        """Sleep ``seconds`` (None: without end), or until ``wake_up``."""
        if seconds is not None and seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._changed.wait()


def _schema_missing(error: BaseException) -> bool:
    seen = translate(error) if isinstance(error, psycopg.Error) else error
    return isinstance(seen, SchemaMissingError)


__all__ = ["Plan", "ScheduleRow", "Scheduler", "plan"]
