"""Claims due tasks for the free slots, sleeps while none may start, and hands tasks back."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import Any

from tasklib.db import statements as sql
from tasklib.db.statements import TaskId
from tasklib.registry import get_definition, registered_tasks
from tasklib.worker._cancels import Cancels
from tasklib.worker._drain import DrainLog
from tasklib.worker._leases import Leases
from tasklib.worker._lifecycle import Lifecycle, State
from tasklib.worker._reconnect import Connection, ReconnectingConnection
from tasklib.worker._reporter import Reporter
from tasklib.worker._runner import Runner

log = logging.getLogger("tasklib.worker")

# The first wait after an empty claim that the database said could have found something.
_MIN_RECHECK_SECONDS = 0.005


class Claimer:
    """The claim loop: one ``tasklib.claim`` per round for as many tasks as there are free slots.

    While a claim is in flight more slots free up, so claims batch themselves under load. When a
    claim comes back short, nothing more may start now (nothing is due, or the queues' flow
    control holds it back) and the worker sleeps until a NOTIFY (``wake_up``), a batch of its
    own outcomes is recorded (which may free a slot under a queue's concurrency limit), the
    time ``statements.IDLE_CHECK`` names (a delayed task or retry, a rate limit's next token,
    the end of a suspension, another worker's lease expiring), or the poll interval passes.

    Submits notify only while a worker waits: before its first sleep after a NOTIFY, a
    listening worker says it waits (``statements.WAIT_FOR_TASKS``, "armed") and claims once
    more, for what was submitted before that without a NOTIFY. The submit that next sees the
    flag clears it and notifies, which wakes (and disarms) every listening worker of the queue.
    """

    def __init__(
        self,
        db: ReconnectingConnection,
        *,
        worker_id: str,
        queues: list[str] | None,
        lease_seconds: float,
        poll_interval_seconds: float,
        lifecycle: Lifecycle,
        runner: Runner,
        reporter: Reporter,
        leases: Leases,
        unreported_limit: int,
        cancels: Cancels,
        quiet_idle: bool = False,
    ) -> None:
        self._db = db
        self._quiet = quiet_idle
        self._cancels = cancels
        self._worker_id = worker_id
        self._queues = queues
        self._lease_seconds = lease_seconds
        self._poll_interval = poll_interval_seconds
        self._lifecycle = lifecycle
        self._runner = runner
        self._reporter = reporter
        self._leases = leases
        self._unreported_limit = unreported_limit
        self._wake = asyncio.Event()
        self._recheck = asyncio.Event()
        # Consecutive empty claims the database said could have found something (see
        # _wait_for_work).
        self._empty_claims = 0
        self._task_names: list[str] | None = None
        self._filter_names = False
        # Whether this worker's flag in tasklib.queue_waits is set, as far as it knows: a
        # NOTIFY means a submit cleared it. Every wake_up counts (_wakes), so that a NOTIFY
        # that arrives while the flag is being set is not mistaken for an older one.
        self._armed = False
        self._wakes = 0
        # Consecutive WAIT_FOR_TASKS that found a submit in flight.
        self._busy_arms = 0

    def _names(self) -> list[str] | None:
        """The names this worker's claims ask for: None (any) until a claim brought a task it
        has no code for; from then on, the names it can run.

        Filtering by name costs every claim a test per row it reads (about a fifth of a no-op
        drain's throughput, measured), which a worker that runs every task it meets need not
        pay. One that meets a stranger hands it straight back (see _claim) and filters after.
        """
        if not self._filter_names:
            return None
        names = self._task_names
        # Read when claiming, not when the worker is built: modules may define tasks later.
        if names is None or len(names) != len(registered_tasks()):
            names = self._task_names = sorted(registered_tasks())
        return names

    def wake_up(self) -> None:
        """Claim now instead of sleeping (a submission arrived, a retry was scheduled)."""
        self._wakes += 1
        self._armed = False
        self._wake.set()

    def recheck(self) -> None:
        """Ask again when a claim may find work (a delayed task was submitted): see quiet_idle."""
        self._recheck.set()

    async def run(self) -> None:
        """Claim and start tasks while the worker is RUNNING; sleep while none is due."""
        while (free := await self._free_slots()) is not None:
            # Cleared before the claim, so that a wake-up or a batch recorded while it is in
            # flight still counts afterwards.
            self._wake.clear()
            self._reporter.recorded.clear()
            claimed = await self._claim_and_start(free)
            if claimed < free and self._lifecycle.state is State.RUNNING:
                await self._wait_for_work(claimed)

    async def run_until_idle(self, drain: DrainLog) -> None:
        """Claim like ``run``, but return once nothing is due instead of sleeping.

        Nothing is due when a claim finds no task while none was running and every outcome
        was recorded: no retry and no task submitted by a task can become due now any more.
        """
        runner, reporter = self._runner, self._reporter
        while (free := await self._free_slots()) is not None:
            # Cleared before the claim, so that a task ending or a batch being recorded while
            # the claim is in flight still counts as a change afterwards.
            runner.slot_freed.clear()
            reporter.recorded.clear()
            settled = not runner.active and not reporter.pending()
            claimed = await self._claim_and_start(free, drain)
            if claimed == 0 and settled:
                return
            if claimed < free:
                await _first_of(runner.slot_freed, reporter.recorded)

    async def _free_slots(self) -> int | None:
        """Wait for a free slot and a reporter that keeps up; None once the worker stops RUNNING."""
        while self._lifecycle.state is State.RUNNING:
            free = self._runner.free_slots()
            if free <= 0:
                self._runner.slot_freed.clear()
                await self._runner.slot_freed.wait()
            elif self._reporter.pending() >= self._unreported_limit:
                await self._reporter.wait_for_progress()
            else:
                return free
        return None

    async def _claim_and_start(self, n: int, drain: DrainLog | None = None) -> int:
        """Claim up to n tasks and start them; returns how many were claimed."""
        rows = await self._db.run(functools.partial(self._claim, n=n))
        if drain is not None:
            drain.claimed(rows)
        for row in rows:
            self._runner.start(*row)
        return len(rows)

    async def _claim(self, conn: Connection, *, n: int) -> list[tuple[Any, ...]]:
        leases = self._leases
        if leases.lost_claims:
            await self._release_lost_claims(conn)
        token = leases.new_token()
        # Listed from the moment the claim is sent until its answer arrives: if the connection
        # drops in between, the claim may have committed, and its tasks are released by this
        # token before the next claim.
        leases.lost_claims.append(token)
        cursor = await conn.execute(
            sql.CLAIM,
            (self._worker_id, n, self._queues, self._lease_seconds, token, self._names()),
        )
        rows = await cursor.fetchall()
        leases.lost_claims.remove(token)
        hold = leases.hold
        for row in rows:
            hold(row[0], token)
        strangers = [row[0] for row in rows if get_definition(row[1]) is None]
        if strangers:
            # Tasks another deployment runs: back to pending at once, no retry spent, for a
            # worker that has their code; this one's claims ask for its own names from now on.
            await conn.execute(
                sql.RELEASE, (self._worker_id, sql.id_array(strangers), "{" + token + "}")
            )
            leases.forget(strangers)
            self._filter_names = True
            log.warning(
                "handed back %d task(s) of names this worker has no code for (%s); its claims "
                "take only its own task names from now on",
                len(strangers),
                ", ".join(sorted({row[1] for row in rows if get_definition(row[1]) is None})),
            )
            rows = [row for row in rows if get_definition(row[1]) is not None]
        return rows

    async def _release_lost_claims(self, conn: Connection) -> None:
        lost = self._leases.lost_claims
        cursor = await conn.execute(
            sql.RELEASE, (self._worker_id, None, "{" + ",".join(lost) + "}")
        )
        row = await cursor.fetchone()
        lost.clear()
        if row and row[0]:
            log.info("released %d task(s) claimed while the connection dropped", row[0])

    async def _wait_for_work(self, claimed: int) -> None:
        """Sleep until something may start: see the class's docstring.

        Idle, it sends one cheap read per poll interval (IDLE_CHECK, not a claim) and claims
        only when that says a claim may find something; quiet (``quiet_idle``, while the
        listener is up and this worker holds nothing) it sends none until woken or until the
        time the last check named.
        """
        self._recheck.clear()
        if claimed:
            self._busy_arms = 0
        if not self._armed and self._cancels.listening and not self._woken():
            wakes = self._wakes
            if await self._db.run(self._wait_for_tasks):
                self._busy_arms = 0
                self._armed = wakes == self._wakes
                return  # claim once more: tasks submitted before the flag was set
            # A submit to one of the queues is in flight and may not notify: look again soon.
            timeout = min(self._poll_interval, _MIN_RECHECK_SECONDS * 2**self._busy_arms)
            self._busy_arms += 1
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await _first_of(self._wake, self._reporter.recorded)
            return
        timeout = await self._next_check(claimed)
        while timeout is None or timeout > 0:
            if self._woken():
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await _first_of(self._wake, self._reporter.recorded, self._recheck)
            if self._recheck.is_set() and not self._woken():
                # A delayed task was submitted: its time may come before the one named.
                self._recheck.clear()
                timeout = await self._next_check(None)
                continue
            if self._woken() or timeout is None or timeout < self._poll_interval:
                return  # woken, or at the time the database named: claim
            if self._lifecycle.state is not State.RUNNING:
                return
            # A poll interval passed with no news: ask whether a claim would find anything.
            self._empty_claims = 0
            timeout = await self._next_check(None)

    async def _next_check(self, claimed: int | None) -> float | None:
        """How long to sleep (None: until woken) after a short claim (claimed) or a check."""
        due = None if self._woken() else await self._db.run(self._seconds_until_claimable)
        quiet = (
            self._quiet
            and self._armed
            and self._cancels.listening
            and not self._runner.active
            and not self._reporter.pending()
        )
        timeout: float | None = None if quiet else self._poll_interval
        if due is not None:
            timeout = max(due, 0.0) if timeout is None else min(timeout, max(due, 0.0))
        if claimed == 0 and timeout is not None and timeout <= 0 and not self._woken():
            # "Claimable now", yet the claim just found nothing: rows held by another worker's
            # claim in flight, or a bound crossed between the two statements. Back off from
            # a few milliseconds to the poll interval rather than spin between the two.
            timeout = min(self._poll_interval, _MIN_RECHECK_SECONDS * 2**self._empty_claims)
            self._empty_claims += 1
        elif claimed is not None:
            self._empty_claims = 0
        return timeout

    def _woken(self) -> bool:
        return self._wake.is_set() or self._reporter.recorded.is_set()

    async def _wait_for_tasks(self, conn: Connection) -> bool:
        cursor = await conn.execute(sql.WAIT_FOR_TASKS, (self._queues,))
        row = await cursor.fetchone()
        return bool(row and row[0])

    async def _seconds_until_claimable(self, conn: Connection) -> float | None:
        cursor = await conn.execute(sql.IDLE_CHECK, {"queues": self._queues})
        row = await cursor.fetchone()
        return None if row is None or row[0] is None else float(row[0])


async def release(
    conn: Connection, worker_id: str, leases: Leases, ids: list[TaskId] | None
) -> int:
    """Hand tasks this worker holds back to pending (every one of its claims when ids is None)."""
    cursor = await conn.execute(
        sql.RELEASE,
        (worker_id, None if ids is None else sql.id_array(ids), leases.every_token()),
    )
    row = await cursor.fetchone()
    leases.lost_claims.clear()
    return int(row[0]) if row else 0


async def _first_of(*events: asyncio.Event) -> None:
    """Return once any of the events is set."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
