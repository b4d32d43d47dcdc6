"""TaskWorker: its options, its lifecycle (start, run, drain, stop) and its shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import secrets
import signal
import socket
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
import psycopg.conninfo
import psycopg.errors

from tasklib.config import Config
from tasklib.errors import (
    ConfigurationError,
    DatabaseUnavailableError,
    TaskLibError,
    is_schema_missing,
    translate,
)
from tasklib.registry import registered_tasks
from tasklib.worker._cancels import Cancels
from tasklib.worker._child import preload
from tasklib.worker._claims import Claimer, release
from tasklib.worker._drain import DrainLog
from tasklib.worker._heartbeats import Heartbeats, unregister
from tasklib.worker._leases import Leases
from tasklib.worker._lifecycle import Lifecycle, State
from tasklib.worker._listener import Listener
from tasklib.worker._outcomes import TaskRun
from tasklib.worker._reconnect import ReconnectingConnection
from tasklib.worker._reporter import Reporter
from tasklib.worker._runner import Runner
from tasklib.worker._scheduler import Scheduler
from tasklib.worker._tasklog import TaskLog

log = logging.getLogger("tasklib.worker")

# How long shutdown keeps trying to record results and hand tasks back while the database is
# away. Past it the worker exits anyway; its tasks come back when their leases expire.
_SHUTDOWN_DATABASE_SECONDS = 10.0
# A claim in flight at shutdown may finish within this, so its tasks are known (run or released).
_CLAIM_IN_FLIGHT_SECONDS = 1.0
_DUPLICATE_SIGNAL_WINDOW = 1.0

NO_TASKS = (
    "no tasks are registered in this process: import the module that defines the @task "
    "functions before starting a worker (a worker without them cannot run any task)"
)


def default_worker_id() -> str:
    """host-pid-random: readable in the tasks table, unique even when pids repeat (containers)."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"


@dataclass(frozen=True)
class _Jobs:
    """The worker's own asyncio tasks, one per connection."""

    claims: asyncio.Task[None]
    results: asyncio.Task[None]
    heartbeats: asyncio.Task[None]
    notifications: asyncio.Task[None] | None

    def all(self) -> list[asyncio.Task[None]]:
        jobs = [self.claims, self.results, self.heartbeats]
        return jobs if self.notifications is None else [*jobs, self.notifications]


class TaskWorker:
    """Runs registered tasks from the database, up to ``concurrency`` at a time.

    Async task functions run on the event loop, sync ones in a thread pool, and sync ones that
    have a timeout in one of up to ``concurrency`` reused child processes, killed (and replaced)
    at the deadline; ``max_tasks_per_child`` replaces each child after that many tasks.
    ``run`` returns after ``stop`` (or SIGTERM/SIGINT): running tasks get
    ``shutdown_grace_seconds`` to finish, the rest are cancelled and handed back to the queue
    so that they run again promptly.

    A running task whose cancellation is asked for (``tasklib.cancel``: NOTIFY, or the poll)
    is stopped: CancelledError in an async task, TaskCancelled in a sync one (SIGTERM to its
    child process, if it has one); one still running ``cancel_grace_seconds`` later is forced
    (its child killed; a coroutine or thread, which cannot be killed, left behind). It is
    recorded cancelled either way. See docs/worker.md.

    ``metrics_port`` serves Prometheus metrics on that port (extra ``metrics``); with a
    TracerProvider set (extra ``tracing``) each execution is a span (docs/operations.md).

    ``queues`` limits the worker to those queues (default: all). ``handle_signals=False`` leaves
    SIGTERM/SIGINT to the host application (e.g. a worker inside a web server's lifespan).
    ``report_batch_size`` and ``report_linger_seconds`` bound how many outcomes one
    complete/fail round trip carries and how long an outcome may wait for companions.

    The worker keeps no queue state of its own. Every change of a task goes through the SQL
    functions (claim, complete, fail, heartbeat, release), so several workers on several
    machines share one database, and a worker that dies leaves nothing that the others cannot
    recover.
    """

    def __init__(
        self,
        config: Config,
        concurrency: int = 4,
        *,
        queues: Sequence[str] | None = None,
        worker_id: str | None = None,
        shutdown_grace_seconds: float = 30.0,
        cancel_grace_seconds: float = 5.0,
        report_batch_size: int = 1000,
        report_linger_seconds: float = 0.001,
        handle_signals: bool = True,
        metrics_port: int | None = None,
        max_tasks_per_child: int | None = None,
    ) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigurationError(f"concurrency must be an integer >= 1, got {concurrency!r}")
        if queues is not None:
            if isinstance(queues, str):
                raise ConfigurationError("queues must be a list of queue names, not a string")
            if not queues or any(not isinstance(q, str) or not q for q in queues):
                raise ConfigurationError(
                    f"queues must be a non-empty list of non-empty names, got {list(queues)!r}"
                )
        if worker_id is not None and not worker_id.strip():
            raise ConfigurationError("worker_id must be a non-empty string")
        if not shutdown_grace_seconds >= 0:
            raise ConfigurationError(
                f"shutdown_grace_seconds must be >= 0, got {shutdown_grace_seconds}"
            )
        if not cancel_grace_seconds >= 0:
            raise ConfigurationError(
                f"cancel_grace_seconds must be >= 0, got {cancel_grace_seconds}"
            )
        if max_tasks_per_child is not None and (
            isinstance(max_tasks_per_child, bool)
            or not isinstance(max_tasks_per_child, int)
            or max_tasks_per_child < 1
        ):
            raise ConfigurationError(
                f"max_tasks_per_child must be an integer >= 1 or None, got {max_tasks_per_child!r}"
            )
        if report_batch_size < 1:
            raise ConfigurationError(f"report_batch_size must be >= 1, got {report_batch_size}")
        if not report_linger_seconds >= 0:
            raise ConfigurationError(
                f"report_linger_seconds must be >= 0, got {report_linger_seconds}"
            )
        self.config = config
        self.concurrency = concurrency
        self.queues: list[str] | None = list(queues) if queues is not None else None
        self.worker_id = worker_id or default_worker_id()
        self.shutdown_grace_seconds = shutdown_grace_seconds
        self.cancel_grace_seconds = cancel_grace_seconds
        self.handle_signals = handle_signals
        config.require_database_url()
        if metrics_port is not None and not 0 <= metrics_port <= 65535:
            raise ConfigurationError(f"metrics_port must be 0-65535, got {metrics_port!r}")
        self.metrics_port = metrics_port

        def connection(purpose: str) -> ReconnectingConnection:
            return ReconnectingConnection(config, purpose)

        self._claim_db = connection("claims")
        self._report_db = connection("results")
        self._heartbeat_db = connection("heartbeats")
        # The one connection that LISTENs (to listen_url when set: see _listener).
        self._listen_db = ReconnectingConnection(config, "notifications", listen=True)
        self._lifecycle = Lifecycle(self.worker_id)
        # The workers row belongs to this registration: only this TaskWorker refreshes or
        # removes it, whoever else uses the name.
        self._registration = uuid.uuid4()
        self._leases = Leases()
        task_log = _task_log(self.worker_id, metrics_port, concurrency)
        self._reporter = Reporter(
            self._report_db,
            self.worker_id,
            leases=self._leases,
            max_batch=report_batch_size,
            linger_seconds=report_linger_seconds,
            on_retry_scheduled=self._wake_claims,
            task_log=task_log,
        )
        self._runner = Runner(
            self.worker_id,
            concurrency,
            self._reporter,
            task_log,
            cancel_grace_seconds=cancel_grace_seconds,
            max_tasks_per_child=max_tasks_per_child,
        )
        cancels = Cancels(self.worker_id, self._runner)
        self._claimer = Claimer(
            self._claim_db,
            worker_id=self.worker_id,
            queues=self.queues,
            lease_seconds=config.lease_seconds,
            poll_interval_seconds=config.poll_interval_seconds,
            lifecycle=self._lifecycle,
            runner=self._runner,
            reporter=self._reporter,
            leases=self._leases,
            # Outcomes wait in memory until the results connection records them. Past this
            # many, claiming pauses: a worker whose results cannot be written (that connection
            # down or slow while claims still work) stops taking tasks other workers could
            # run, and its memory stays bounded.
            unreported_limit=concurrency + 2 * report_batch_size,
            cancels=cancels,
            quiet_idle=config.quiet_idle,
        )
        self._heartbeats = Heartbeats(
            self._heartbeat_db,
            worker_id=self.worker_id,
            registration=self._registration,
            queues=self.queues,
            concurrency=concurrency,
            config=config,
            runner=self._runner,
            reporter=self._reporter,
            leases=self._leases,
            task_log=task_log,
            cancels=cancels,
        )
        self._first_signal_at = 0.0
        # Cron schedules: every worker fires them (not while draining, see run_until_idle).
        self._scheduler = Scheduler(config, worker_id=self.worker_id)
        self._listener = Listener(
            queues=self.queues,
            wake_claims=self._wake_claims,
            delayed=self._claimer.recheck if config.quiet_idle else None,
            cancels=cancels,
            schedules_changed=self._scheduler.wake_up,
            listening_changed=self._listening_changed,
        )

    @property
    def state(self) -> State:
        """Where the worker is in its lifecycle (NEW, STARTING, RUNNING, ..., STOPPED)."""
        return self._lifecycle.state

    @property
    def running_tasks(self) -> int:
        """How many tasks this worker is executing right now."""
        return len(self._runner.active)

    async def run(self) -> None:
        """Work until stopped; on return nothing of this worker is left 'running'."""
        await self._work(drain=None)

    async def run_until_idle(self) -> list[TaskRun]:
        """Run every task that is due now, then stop; returns what each run came to.

        Claims and runs tasks (those of ``queues``) until nothing is due: tasks that tasks
        submit and retries that fall due meanwhile are run too, retries scheduled later are
        not waited for. Every outcome is recorded before this returns, in the order the
        outcomes were recorded, and the worker then shuts down as after ``stop`` (nothing left
        running or leased). Meant for tests: no signal handlers, no LISTEN connection.
        DatabaseUnavailableError if some outcomes could not be recorded.
        """
        drain = DrainLog()
        await self._work(drain=drain)
        if self._reporter.pending():
            raise DatabaseUnavailableError(
                f"{self._reporter.pending()} outcome(s) could not be recorded; their tasks run "
                "again when their leases expire"
            )
        return drain.runs

    def run_until_idle_sync(self) -> list[TaskRun]:
        """``run_until_idle`` for synchronous code (runs its own event loop)."""
        return asyncio.run(self.run_until_idle())

    async def _work(self, drain: DrainLog | None) -> None:
        if self._lifecycle.state is not State.NEW:
            raise TaskLibError(
                f"this TaskWorker is {self._lifecycle.state.name} (it ran, or was stopped "
                "before it ran); create a new one"
            )
        if not registered_tasks():
            raise ConfigurationError(NO_TASKS)
        self._lifecycle.advance(State.STARTING)
        loop = asyncio.get_running_loop()
        if drain is not None:
            self._reporter.on_recorded = drain.recorded
        signals = (
            self._install_signal_handlers(loop) if self.handle_signals and drain is None else []
        )
        # A drain never sleeps waiting for work, so it has no use for notifications.
        listen = self.config.listen_notify and drain is None
        try:
            _ensure_log_output()
            if not await self._start_up(listen):
                return
            self._log_banner()
            preload(d.fn.__module__ for d in registered_tasks().values())
            self._runner.open()
            jobs = self._start_jobs(drain, listen)
            if drain is None:
                self._scheduler.start()
            self._lifecycle.advance(State.RUNNING)
            try:
                failure = await self._until_stop_requested(jobs, draining=drain is not None)
            except asyncio.CancelledError:
                # Cancelled from outside: no grace period, but everything is still handed back.
                self._skip_grace()
                await self._shutdown(jobs)
                raise
            await self._shutdown(jobs)
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)
        if failure is not None and is_schema_missing(failure):
            # Dropped or downgraded while the worker ran; the start-up checks it otherwise.
            assert isinstance(failure, psycopg.Error)
            raise translate(failure) from failure
        if failure is not None:
            raise failure

    async def _start_up(self, listen: bool) -> bool:
        """Connect every connection once and announce the worker; False if stopped meanwhile.

        The first connections are not retried: a server that cannot be reached now is a wrong
        URL or a server that is down, and the caller hears it at once (DatabaseUnavailableError),
        as it does a missing schema (SchemaMissingError). Reconnecting is for connections that
        once worked. A stop request (signal, ``stop()``) ends the start-up at once.
        """
        starting = asyncio.ensure_future(self._connect_and_announce(listen))
        stop_requested = asyncio.ensure_future(self._lifecycle.reached(State.DRAINING))
        try:
            await asyncio.wait([starting, stop_requested], return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            starting.cancel()
            await self._abort_start_up(starting)
            raise
        finally:
            stop_requested.cancel()
        started = starting.done() and not starting.cancelled() and starting.exception() is None
        if started and self._lifecycle.state is State.STARTING:
            return True
        starting.cancel()
        await self._abort_start_up(starting)
        if not starting.cancelled() and (error := starting.exception()) is not None:
            raise error
        log.info("TaskWorker %s stopped before it started", self.worker_id)
        return False

    async def _connect_and_announce(self, listen: bool) -> None:
        dbs = [self._claim_db, self._report_db, self._heartbeat_db]
        if listen:
            dbs.append(self._listen_db)
        results = await asyncio.gather(*(db.connection() for db in dbs), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        await self._heartbeats.announce()

    async def _abort_start_up(self, starting: asyncio.Future[None]) -> None:
        """Undo what the start-up did (the announcement, connections) and end in STOPPED."""
        await asyncio.gather(starting, return_exceptions=True)
        if not starting.cancelled() and starting.exception() is None:
            # Announced, then told to stop before running: one attempt to take it back.
            self._report_db.stop_retrying()
            with contextlib.suppress(DatabaseUnavailableError, psycopg.Error):
                await self._report_db.run(
                    functools.partial(
                        unregister, worker_id=self.worker_id, registration=self._registration
                    )
                )
        for db in self._connections():
            await db.close()
        self._skip_grace()
        self._lifecycle.advance(State.STOPPED)

    def _log_banner(self) -> None:
        """Say who this worker is, where its database is and what it takes, before it starts."""
        names = sorted(registered_tasks())
        queues = ", ".join(self.queues) if self.queues is not None else "all"
        database = describe_database(self.config.require_database_url())
        log.info(
            "Starting TaskWorker %s with concurrency=%d",
            self.worker_id,
            self.concurrency,
            extra={
                "worker_id": self.worker_id,
                "concurrency": self.concurrency,
                "queues": self.queues,
                "tasks": names,
                "database": database,
            },
        )
        log.info("  database: %s; queues: %s", database, queues)
        log.info("  tasks (%d): %s", len(names), ", ".join(names))

    async def stop(self, *, grace_seconds: float | None = None) -> None:
        """Ask the worker to stop and wait until ``run`` has finished its shutdown.

        Before ``run``, the worker goes straight to STOPPED and will not start.
        """
        if grace_seconds is not None:
            self.shutdown_grace_seconds = grace_seconds
        state = self._lifecycle.state
        if state is State.NEW:
            self._lifecycle.advance(State.STOPPED)
            return
        if state in (State.STARTING, State.RUNNING):
            self._lifecycle.advance(State.DRAINING)
        await self._lifecycle.reached(State.STOPPED)

    # -- running ----------------------------------------------------------------------------

    def _start_jobs(self, drain: DrainLog | None, listen: bool) -> _Jobs:
        return _Jobs(
            claims=asyncio.create_task(
                self._claimer.run() if drain is None else self._claimer.run_until_idle(drain),
                name="tasklib-claims",
            ),
            results=asyncio.create_task(self._reporter.run(), name="tasklib-results"),
            heartbeats=asyncio.create_task(self._heartbeats.run(), name="tasklib-heartbeats"),
            notifications=(
                asyncio.create_task(self._listener.run(self._listen_db), name="tasklib-listen")
                if listen
                else None
            ),
        )

    async def _until_stop_requested(self, jobs: _Jobs, *, draining: bool) -> BaseException | None:
        """Wait for a stop request or for a job to end; returns the failure of a job, if any.

        While draining, the claim loop returning is the normal end: nothing is due any more.
        """
        stop_requested = asyncio.create_task(self._lifecycle.reached(State.DRAINING))
        try:
            done, _ = await asyncio.wait(
                [*jobs.all(), stop_requested], return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stop_requested.cancel()
        failure: BaseException | None = None
        # A job may return as the worker starts to stop (the claim loop does): that is its end.
        stopping = self._lifecycle.state.value >= State.DRAINING.value
        for job in done:
            if job is stop_requested or job.cancelled():
                continue
            if job.exception() is None and (stopping or (draining and job is jobs.claims)):
                continue
            failure = job.exception()
            log.error(
                "TaskWorker %s: %s stopped unexpectedly: %r",
                self.worker_id,
                job.get_name(),
                failure,
            )
        if self._lifecycle.state is State.RUNNING:
            self._lifecycle.advance(State.DRAINING)
        return failure

    def _wake_claims(self) -> None:
        self._claimer.wake_up()

    def _listening_changed(self, listening: bool) -> None:
        self._scheduler.listening = listening

    # -- stopping ---------------------------------------------------------------------------

    def _install_signal_handlers(self, loop: asyncio.AbstractEventLoop) -> list[int]:
        installed: list[int] = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, self._on_signal, sig)
            except (NotImplementedError, RuntimeError, ValueError):
                continue  # not the main thread, or no signals on this platform
            installed.append(sig)
        return installed

    def _on_signal(self, sig: int) -> None:
        name = signal.Signals(sig).name
        now = time.monotonic()
        state = self._lifecycle.state
        if state in (State.STARTING, State.RUNNING):
            self._first_signal_at = now
            log.info("%s received: stopping (send it again to skip the grace period)", name)
            self._lifecycle.advance(State.DRAINING)
        elif state is State.DRAINING:
            # A wrapper (uv run, a shell, systemd's control group, docker stop) often delivers
            # one stop request twice within milliseconds; only a deliberate repeat skips grace.
            if now - self._first_signal_at < _DUPLICATE_SIGNAL_WINDOW:
                return
            log.warning("%s again: cancelling running tasks now", name)
            self._skip_grace()
        elif state is State.STOPPING:
            if now - self._first_signal_at < _DUPLICATE_SIGNAL_WINDOW:
                return
            log.warning("%s again: not waiting for the database any longer", name)
            for db in self._connections():
                db.stop_retrying()

    def _connections(self) -> tuple[ReconnectingConnection, ...]:
        return (self._claim_db, self._report_db, self._heartbeat_db, self._listen_db)

    def _skip_grace(self) -> None:
        """Go to STOPPING now, unless already there: running tasks are cancelled, not awaited."""
        if not self._lifecycle.has_reached(State.STOPPING):
            self._lifecycle.advance(State.STOPPING)

    async def _shutdown(self, jobs: _Jobs) -> None:
        try:
            await self._scheduler.stop()
            await self._stop_claiming(jobs)
            if self._lifecycle.state is State.DRAINING:
                await self._let_running_tasks_finish()
                self._skip_grace()
            await self._hand_back(jobs)
        finally:
            # Even a shutdown that failed halfway ends in STOPPED: stop() waits for it.
            self._skip_grace()
            self._lifecycle.advance(State.STOPPED)

    async def _stop_claiming(self, jobs: _Jobs) -> None:
        # The claim loop ends once it sees the state; wake it wherever it sleeps, including a
        # wait to reconnect: a claim that cannot be sent now is not worth waiting for.
        self._claimer.wake_up()
        self._runner.slot_freed.set()
        self._claim_db.stop_retrying()
        if jobs.notifications is not None:
            jobs.notifications.cancel()
        # A claim in flight is allowed to finish so its tasks are known (and run or released).
        await asyncio.wait([jobs.claims], timeout=_CLAIM_IN_FLIGHT_SECONDS)
        jobs.claims.cancel()

    async def _let_running_tasks_finish(self) -> None:
        """Wait for running tasks until none is left, the grace period ends, or it is skipped."""
        active = self._runner.active
        if not active:
            return
        log.info(
            "waiting up to %g s for %d running task(s) to finish",
            self.shutdown_grace_seconds,
            len(active),
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.shutdown_grace_seconds
        skipped = asyncio.create_task(self._lifecycle.reached(State.STOPPING))
        try:
            while active and not skipped.done():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                await asyncio.wait(
                    [*active.values(), skipped],
                    timeout=remaining,
                    return_when=asyncio.FIRST_COMPLETED,
                )
        finally:
            skipped.cancel()
        if active:
            log.warning(
                "%d task(s) still running after the grace period: cancelling them and handing "
                "them back",
                len(active),
            )

    async def _hand_back(self, jobs: _Jobs) -> None:
        """Cancel what still runs, record every outcome, release the rest, close everything."""
        leftovers = self._runner.give_up_all()
        # The database is waited for (it may be restarting) only while this worker holds
        # something for it: outcomes, or tasks to hand back. An idle worker makes one attempt
        # to say goodbye and exits, database or not; should a claim whose answer was lost have
        # taken tasks meanwhile, their leases expire as after a crash.
        holds = bool(leftovers or self._reporter.pending())
        if holds:
            self._report_db.give_up_at = (
                asyncio.get_running_loop().time() + _SHUTDOWN_DATABASE_SECONDS
            )
        else:
            self._report_db.stop_retrying()
        self._reporter.close()
        recorded = await _finish(jobs.results)
        jobs.heartbeats.cancel()
        await asyncio.gather(*jobs.all(), return_exceptions=True)

        released = 0
        try:
            # With every outcome recorded, whatever still runs under this worker's claims is
            # either unfinished or was claimed by an answer that never arrived: hand it all back.
            ids = None if recorded else leftovers
            released = await self._report_db.run(
                functools.partial(release, worker_id=self.worker_id, leases=self._leases, ids=ids)
            )
            await self._report_db.run(
                functools.partial(
                    unregister, worker_id=self.worker_id, registration=self._registration
                )
            )
        except (DatabaseUnavailableError, psycopg.Error) as error:
            if holds:
                log.error(
                    "%s; %d task(s) stay leased to %s and run again when the lease expires",
                    error,
                    len(leftovers),
                    self.worker_id,
                )
            else:
                log.warning(
                    "%s: could not remove %s from tasklib.workers (it held no task)",
                    error,
                    self.worker_id,
                )
        if self._reporter.pending():
            log.error(
                "%d result(s) could not be recorded before exit; those tasks run again "
                "after their leases expire",
                self._reporter.pending(),
            )
        for db in self._connections():
            await db.close()
        if self._runner.close() and leftovers:
            log.warning(
                "sync tasks cannot be interrupted: threads of released tasks may still be "
                "running and keep the process alive until they return"
            )
        log.info(
            "TaskWorker %s stopped (%d unfinished task(s) handed back)", self.worker_id, released
        )


async def _finish(reporter_task: asyncio.Task[None]) -> bool:
    """Wait for the reporter to record what is left; False if the database stayed away."""
    try:
        await reporter_task
    except DatabaseUnavailableError as error:
        log.error("%s", error)
        return False
    except Exception:
        log.exception("recording results failed")
        return False
    return True


def _task_log(worker_id: str, metrics_port: int | None, concurrency: int) -> TaskLog:
    """The plain TaskLog, or one that also feeds metrics and traces when they are wanted."""
    from tasklib import tracing

    trace = tracing.enabled()
    if metrics_port is None and not trace:
        return TaskLog(worker_id)
    from tasklib import metrics
    from tasklib.worker._observed import ObservedTaskLog

    worker_metrics = None
    if metrics_port is not None:
        worker_metrics = metrics.worker_metrics()
        worker_metrics.concurrency.inc(concurrency)
        metrics.serve(metrics_port)
    return ObservedTaskLog(worker_id, worker_metrics, trace=trace)


def describe_database(url: str) -> str:
    """``user@host:port/dbname`` of a database URL, for logs: never its password."""
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "(unreadable URL)"
    host = str(params.get("host") or params.get("hostaddr") or "localhost")
    if params.get("port"):
        host = f"{host}:{params['port']}"
    user = f"{params['user']}@" if params.get("user") else ""
    dbname = f"/{params['dbname']}" if params.get("dbname") else ""
    return f"{user}{host}{dbname}"


def _ensure_log_output() -> None:
    """Show the worker's INFO lines when the application has configured no logging at all.

    ``python worker.py`` should print "Starting TaskWorker ..." as documented; an application
    that configures logging itself keeps full control (nothing is added then).
    """
    package = logging.getLogger("tasklib")
    if logging.getLogger().handlers or package.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    package.addHandler(handler)
    if package.level == logging.NOTSET:
        package.setLevel(logging.INFO)


__all__ = ["TaskWorker", "default_worker_id", "describe_database"]
