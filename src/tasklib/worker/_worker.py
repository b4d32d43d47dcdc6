"""TaskWorker: claims tasks, runs them, records what happened; leases, shutdown and reconnects.

The worker keeps no queue state of its own. Every change of a task goes through the SQL
functions (claim, complete, fail, heartbeat, release), so several workers on several machines
share one database, and a worker that dies leaves nothing that the others cannot recover.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import psycopg.errors

from tasklib.config import Config
from tasklib.db import statements as sql
from tasklib.db.statements import TaskId
from tasklib.errors import ConfigurationError, DatabaseUnavailableError, TaskLibError
from tasklib.registry import TaskDefinition, get_definition, registered_tasks
from tasklib.task_types import register_task_types_async
from tasklib.worker import _child
from tasklib.worker._outcomes import Outcome, failed, failed_with_exception
from tasklib.worker._reconnect import Connection, ReconnectingConnection
from tasklib.worker._reporter import Reporter
from tasklib.worker._runner import call_async, call_sync

log = logging.getLogger("tasklib.worker")

# How long shutdown keeps trying to record results and hand tasks back while the database is
# away. Past it the worker exits anyway; its tasks come back when their leases expire.
_SHUTDOWN_DATABASE_SECONDS = 10.0
_DUPLICATE_SIGNAL_WINDOW = 1.0


def default_worker_id() -> str:
    """host-pid-random: readable in the tasks table, unique even when pids repeat (containers)."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"


class TaskWorker:
    """Runs registered tasks from the database, up to ``concurrency`` at a time.

    Async task functions run on the event loop, sync ones in a thread pool, and sync ones that
    have a timeout in a child process that is killed at the deadline. ``run`` returns after
    ``stop`` (or SIGTERM/SIGINT): running tasks get ``shutdown_grace_seconds`` to finish, the
    rest are cancelled and handed back to the queue so that they run again promptly.

    ``queues`` limits the worker to those queues (default: all). ``handle_signals=False`` leaves
    SIGTERM/SIGINT to the host application (e.g. a worker inside a web server's lifespan).
    ``report_batch_size`` and ``report_linger_seconds`` bound how many outcomes one
    complete/fail round trip carries and how long an outcome may wait for companions.
    """

    def __init__(
        self,
        config: Config,
        concurrency: int = 4,
        *,
        queues: Sequence[str] | None = None,
        worker_id: str | None = None,
        shutdown_grace_seconds: float = 30.0,
        report_batch_size: int = 1000,
        report_linger_seconds: float = 0.001,
        handle_signals: bool = True,
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
        self.handle_signals = handle_signals
        url = config.require_database_url()

        def connection(purpose: str) -> ReconnectingConnection:
            return ReconnectingConnection(
                url, purpose, f"{config.application_name}:worker:{purpose}"
            )

        self._claim_db = connection("claims")
        self._report_db = connection("results")
        self._heartbeat_db = connection("heartbeats")
        self._listen_db = connection("notifications")
        self._reporter = Reporter(
            self._report_db,
            self.worker_id,
            max_batch=report_batch_size,
            linger_seconds=report_linger_seconds,
            on_retry_scheduled=self._wake_up,
        )
        # Outcomes wait in memory until the results connection records them. Past this many,
        # claiming pauses: a worker whose results cannot be written (that connection down or
        # slow while claims still work) stops taking tasks other workers could run, and its
        # memory stays bounded.
        self._unreported_limit = concurrency + 2 * report_batch_size
        self._queue_set = frozenset(self.queues) if self.queues is not None else None
        self._active: dict[TaskId, asyncio.Task[None]] = {}
        self._kill_switches: dict[TaskId, threading.Event] = {}
        self._wake = asyncio.Event()
        self._slot_freed = asyncio.Event()
        self._stop_requested = asyncio.Event()
        self._first_signal_at = 0.0
        self._force = asyncio.Event()
        self._stopped = asyncio.Event()
        self._stopping = False
        self._started = False
        self._orphans_possible = False
        self._threads: ThreadPoolExecutor | None = None

    @property
    def running_tasks(self) -> int:
        """How many tasks this worker is executing right now."""
        return len(self._active)

    async def run(self) -> None:
        """Work until stopped; on return nothing of this worker is left 'running'."""
        if self._started:
            raise TaskLibError("this TaskWorker has already run; create a new one")
        self._started = True
        loop = asyncio.get_running_loop()
        signals = self._install_signal_handlers(loop) if self.handle_signals else []
        _ensure_log_output()
        log.info("Starting TaskWorker %s with concurrency=%d", self.worker_id, self.concurrency)
        _child.preload(d.fn.__module__ for d in registered_tasks().values())
        self._threads = ThreadPoolExecutor(self.concurrency, thread_name_prefix="tasklib-task")
        internal = [
            asyncio.create_task(self._claim_loop(), name="tasklib-claims"),
            asyncio.create_task(self._reporter.run(), name="tasklib-results"),
            asyncio.create_task(self._heartbeat_loop(), name="tasklib-heartbeats"),
        ]
        if self.config.listen_notify:
            internal.append(asyncio.create_task(self._listen_loop(), name="tasklib-listen"))
        stop_waiter = asyncio.create_task(self._stop_requested.wait())
        failure: BaseException | None = None
        try:
            try:
                done, _ = await asyncio.wait(
                    [*internal, stop_waiter], return_when=asyncio.FIRST_COMPLETED
                )
            except asyncio.CancelledError:
                # Cancelled from outside: no grace period, but everything is still handed back.
                self._force.set()
                await self._shutdown(internal)
                raise
            finally:
                stop_waiter.cancel()
            for finished in done:
                if finished is not stop_waiter and not finished.cancelled():
                    failure = finished.exception()
                    log.error(
                        "TaskWorker %s: %s stopped unexpectedly: %r",
                        self.worker_id,
                        finished.get_name(),
                        failure,
                    )
            await self._shutdown(internal)
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)
        if isinstance(
            failure,
            psycopg.errors.UndefinedFunction
            | psycopg.errors.UndefinedTable
            | psycopg.errors.InvalidSchemaName,
        ):
            raise ConfigurationError(
                f"the tasklib schema is missing or outdated in this database ({failure}); "
                "run `tasklib migrate`"
            ) from failure
        if failure is not None:
            raise failure

    async def stop(self, *, grace_seconds: float | None = None) -> None:
        """Ask the worker to stop and wait until ``run`` has finished its shutdown."""
        if grace_seconds is not None:
            self.shutdown_grace_seconds = grace_seconds
        self._stop_requested.set()
        if self._started:
            await self._stopped.wait()

    # -- claiming ---------------------------------------------------------------------------

    def _wake_up(self) -> None:
        self._wake.set()

    async def _claim_loop(self) -> None:
        while not self._stopping:
            free = self.concurrency - len(self._active)
            if free <= 0:
                self._slot_freed.clear()
                await self._slot_freed.wait()
                continue
            if self._reporter.pending() >= self._unreported_limit:
                await self._reporter.wait_for_progress()
                continue
            self._wake.clear()
            rows = await self._claim_db.run(functools.partial(self._claim, n=free))
            for row in rows:
                self._dispatch(*row)
            if len(rows) < free and not self._stopping:
                await self._wait_for_work()

    async def _claim(self, conn: Connection, *, n: int) -> list[tuple[Any, ...]]:
        if self._orphans_possible:
            await self._release_orphans(conn)
        # Set until the answer arrives: if the connection drops first, the claim may have
        # committed, and those tasks are released before the next claim.
        self._orphans_possible = True
        cursor = await conn.execute(
            sql.CLAIM, (self.worker_id, n, self.queues, self.config.lease_seconds)
        )
        rows = await cursor.fetchall()
        self._orphans_possible = False
        return rows

    async def _release_orphans(self, conn: Connection) -> None:
        known = [*self._active, *self._reporter.unreported()]
        cursor = await conn.execute(
            sql.RELEASE_ORPHANS, {"worker": self.worker_id, "known": sql.id_array(known)}
        )
        row = await cursor.fetchone()
        if row and row[0]:
            log.info("released %d task(s) claimed while the connection dropped", row[0])

    async def _wait_for_work(self) -> None:
        """Sleep until a NOTIFY, the next delayed task or retry is due, or the poll interval."""
        timeout = self.config.poll_interval_seconds
        if not self._wake.is_set():
            due = await self._claim_db.run(self._seconds_until_due)
            if due is not None:
                timeout = min(timeout, max(due, 0.0))
        if timeout > 0 and not self._wake.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    async def _seconds_until_due(self, conn: Connection) -> float | None:
        cursor = await conn.execute(sql.SECONDS_UNTIL_DUE, {"queues": self.queues})
        row = await cursor.fetchone()
        return None if row is None or row[0] is None else float(row[0])

    async def _listen_loop(self) -> None:
        while True:
            await self._listen_db.run(self._listen)

    async def _listen(self, conn: Connection) -> None:
        await conn.execute(sql.LISTEN)
        # Submissions made while this connection was not listening sent no wake-up here.
        self._wake.set()
        async for notify in conn.notifies():
            if self._queue_set is None or notify.payload in self._queue_set:
                self._wake.set()

    # -- running ----------------------------------------------------------------------------

    def _dispatch(self, task_id: TaskId, name: str, args: str, timeout: float | None) -> None:
        definition = get_definition(name)
        if definition is None:
            self._reporter.add(
                failed(
                    task_id,
                    f"UnknownTaskError: no task named {name!r} is registered in worker "
                    f"{self.worker_id}; import the module that defines it in the worker process",
                    retryable=False,
                )
            )
            return
        try:
            kwargs = definition.rebuild_args_json(args)
        except TaskLibError as error:
            self._reporter.add(failed(task_id, f"{type(error).__name__}: {error}", retryable=False))
            return
        except Exception:
            self._reporter.add(failed_with_exception(task_id, retryable=False))
            return
        if timeout is None:
            timeout = definition.options.timeout_seconds
        self._active[task_id] = asyncio.create_task(
            self._run(task_id, definition, kwargs, args, timeout)
        )

    async def _run(
        self,
        task_id: TaskId,
        definition: TaskDefinition[..., Any],
        kwargs: dict[str, Any],
        args: str,
        timeout_seconds: float | None,
    ) -> None:
        outcome: Outcome | None
        try:
            if definition.is_async:
                outcome = await call_async(task_id, definition, kwargs, timeout_seconds)
            elif timeout_seconds is None:
                outcome = await asyncio.get_running_loop().run_in_executor(
                    self._threads, call_sync, task_id, definition, kwargs
                )
            else:
                outcome = await self._run_in_child(task_id, definition, args, timeout_seconds)
        except asyncio.CancelledError:
            raise
        except BaseException:
            outcome = failed_with_exception(task_id)
        finally:
            self._active.pop(task_id, None)
            self._slot_freed.set()
        if outcome is not None:
            self._reporter.add(outcome)

    async def _run_in_child(
        self,
        task_id: TaskId,
        definition: TaskDefinition[..., Any],
        args: str,
        timeout_seconds: float,
    ) -> Outcome | None:
        switch = threading.Event()
        self._kill_switches[task_id] = switch
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._threads,
                _child.run_in_child,
                task_id,
                definition,
                args,
                timeout_seconds,
                switch,
            )
        finally:
            # Reached on cancellation too: the thread then kills the child within 50 ms.
            switch.set()
            self._kill_switches.pop(task_id, None)

    def _give_up(self, task_id: TaskId) -> None:
        """Stop a task without reporting it: cancel it, kill its child; a thread runs on."""
        task = self._active.pop(task_id, None)
        switch = self._kill_switches.get(task_id)
        if switch is not None:
            switch.set()
        if task is not None:
            task.cancel()
        self._slot_freed.set()

    # -- leases -----------------------------------------------------------------------------

    async def _heartbeat_loop(self) -> None:
        interval = self.config.lease_seconds / 3
        await self._heartbeat_db.run(self._announce)
        while True:
            await asyncio.sleep(interval)
            ids = [*self._active, *self._reporter.unreported()]
            held = await self._heartbeat_db.run(functools.partial(self._heartbeat, ids=ids))
            lost = [task_id for task_id in ids if task_id not in held and task_id in self._active]
            for task_id in lost:
                log.warning(
                    "task %s is no longer held by worker %s (its lease expired, another worker "
                    "may run it): stopping it here, its outcome will not be recorded",
                    task_id,
                    self.worker_id,
                )
                self._give_up(task_id)

    async def _heartbeat(self, conn: Connection, *, ids: list[TaskId]) -> set[TaskId]:
        await conn.execute(sql.SEEN, (self.worker_id,))
        if not ids:
            return set()
        cursor = await conn.execute(
            sql.HEARTBEAT, (self.worker_id, sql.id_array(ids), self.config.lease_seconds)
        )
        return {row[0] for row in await cursor.fetchall()}

    async def _announce(self, conn: Connection) -> None:
        """Register the task types this process defines, then the worker itself."""
        try:
            await register_task_types_async(conn, config=self.config)
        except DatabaseUnavailableError as error:
            # Same as a lost connection: let ReconnectingConnection retry.
            raise psycopg.OperationalError(str(error)) from error
        except TaskLibError as error:
            # SQL submitters lose the defaults and schema checks; Python ones are unaffected.
            log.error("could not record the task types in tasklib.task_types: %s", error)
        info = {"host": socket.gethostname(), "pid": os.getpid(), "tasks": len(registered_tasks())}
        await conn.execute(
            sql.ANNOUNCE, (self.worker_id, self.queues, self.concurrency, json.dumps(info))
        )

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
        if self._stop_requested.is_set():
            # A wrapper (uv run, a shell, systemd's control group, docker stop) often delivers
            # one stop request twice within milliseconds; only a deliberate repeat skips grace.
            if now - self._first_signal_at < _DUPLICATE_SIGNAL_WINDOW:
                return
            log.warning("%s again: cancelling running tasks now", name)
            self._force.set()
            return
        self._first_signal_at = now
        log.info("%s received: stopping (send it again to skip the grace period)", name)
        self._stop_requested.set()

    async def _shutdown(self, internal: list[asyncio.Task[None]]) -> None:
        self._stopping = True
        self._wake.set()
        self._slot_freed.set()
        claims, reporter_task, heartbeats = internal[0], internal[1], internal[2]
        others = internal[3:]
        for task in others:
            task.cancel()
        # A claim in flight is allowed to finish so its tasks are known (and run or released).
        await asyncio.wait([claims], timeout=1.0)
        claims.cancel()
        await self._let_running_tasks_finish()

        leftovers = list(self._active)
        for task_id in leftovers:
            self._give_up(task_id)
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + _SHUTDOWN_DATABASE_SECONDS
        self._report_db.give_up_at = give_up_at
        self._reporter.close()
        recorded = await _finish(reporter_task)
        heartbeats.cancel()
        await asyncio.gather(claims, heartbeats, *others, return_exceptions=True)

        released = 0
        try:
            # With every outcome recorded, whatever still runs under this worker id is either
            # unfinished or was claimed by an answer that never arrived: hand it all back.
            ids = None if recorded else leftovers
            released = await self._report_db.run(functools.partial(self._release, ids=ids))
            await self._report_db.run(self._unregister)
        except (DatabaseUnavailableError, psycopg.Error) as error:
            log.error(
                "%s; %d task(s) stay leased to %s and run again when the lease expires",
                error,
                len(leftovers),
                self.worker_id,
            )
        if self._reporter.pending():
            log.error(
                "%d result(s) could not be recorded before exit; those tasks run again "
                "after their leases expire",
                self._reporter.pending(),
            )
        for db in (self._claim_db, self._report_db, self._heartbeat_db, self._listen_db):
            await db.close()
        if self._threads is not None:
            busy = sum(1 for t in threading.enumerate() if t.name.startswith("tasklib-task"))
            self._threads.shutdown(wait=False, cancel_futures=True)
            if leftovers and busy:
                log.warning(
                    "sync tasks cannot be interrupted: threads of released tasks may still be "
                    "running and keep the process alive until they return"
                )
        log.info(
            "TaskWorker %s stopped (%d unfinished task(s) handed back)", self.worker_id, released
        )
        self._stopped.set()

    async def _let_running_tasks_finish(self) -> None:
        if not self._active:
            return
        log.info(
            "waiting up to %g s for %d running task(s) to finish",
            self.shutdown_grace_seconds,
            len(self._active),
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.shutdown_grace_seconds
        force = asyncio.create_task(self._force.wait())
        try:
            while self._active and not self._force.is_set():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                await asyncio.wait(
                    [*self._active.values(), force],
                    timeout=remaining,
                    return_when=asyncio.FIRST_COMPLETED,
                )
        finally:
            force.cancel()
        if self._active:
            log.warning(
                "%d task(s) still running after the grace period: cancelling them and handing "
                "them back",
                len(self._active),
            )

    async def _unregister(self, conn: Connection) -> None:
        await conn.execute(sql.UNREGISTER, (self.worker_id,))

    async def _release(self, conn: Connection, *, ids: list[TaskId] | None) -> int:
        cursor = await conn.execute(
            sql.RELEASE, (self.worker_id, None if ids is None else sql.id_array(ids))
        )
        row = await cursor.fetchone()
        return int(row[0]) if row else 0


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


__all__ = ["TaskWorker", "default_worker_id"]
