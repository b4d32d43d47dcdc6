"""Runs claimed tasks (on the event loop, in a thread, or in a child process), each known by id,
and stops a running one whose cancellation was asked for."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tasklib import cancellation, progress
from tasklib.db.statements import TaskId
from tasklib.errors import RateLimited, TaskLibError
from tasklib.registry import TaskDefinition, get_definition
from tasklib.worker._child import ChildControl, ChildPool, run_in_child
from tasklib.worker._outcomes import (
    Cancelled,
    CancelRequest,
    Completed,
    Outcome,
    cancelled,
    failed,
    failed_with_exception,
    returned,
    throttled,
    timed_out,
)
from tasklib.worker._reporter import Reporter
from tasklib.worker._tasklog import TaskLog
from tasklib.worker._threads import ThreadRun, call_sync

THREAD_NAME_PREFIX = "tasklib-task"


class _Stop:
    """A cancellation under way: the request, the timer of its grace period, how far it got."""

    __slots__ = ("delivered", "forced", "request", "timer")

    def __init__(self, request: CancelRequest, timer: asyncio.TimerHandle) -> None:
        self.request = request
        self.timer = timer
        # An async task got its CancelledError (threads and children keep their own record).
        self.delivered = False
        # How the task was forced, past the grace period (None: it was not).
        self.forced: str | None = None


class Runner:
    """Starts each claimed task and hands its outcome to the reporter.

    ``active`` maps the id of every task still executing to its asyncio task; ``slot_freed``
    is set whenever one ends (or is given up), so the claim loop can take another.

    ``cancel`` stops a running task whose cancellation was asked for: an async task gets
    CancelledError, a sync task in a thread TaskCancelled (see _threads), a sync task in a
    child process SIGTERM. A run that the cancellation reached ends ``Cancelled``, whatever it
    does afterwards; one that finished first keeps its own outcome. A task still running
    ``cancel_grace_seconds`` after the request is forced: a child is killed, while a coroutine
    or a thread, which nothing can kill, is left behind (recorded cancelled, its slot freed).
    """

    _loop: asyncio.AbstractEventLoop  # set by open()

    def __init__(
        self,
        worker_id: str,
        concurrency: int,
        reporter: Reporter,
        task_log: TaskLog,
        *,
        cancel_grace_seconds: float = 5.0,
        max_tasks_per_child: int | None = None,
    ) -> None:
        self._worker_id = worker_id
        self._concurrency = concurrency
        self._reporter = reporter
        self._task_log = task_log
        self._cancel_grace = cancel_grace_seconds
        self.active: dict[TaskId, asyncio.Task[None]] = {}
        self._children: dict[TaskId, ChildControl] = {}
        self._thread_runs: dict[TaskId, ThreadRun] = {}
        self._stopping: dict[TaskId, _Stop] = {}
        # Runs the worker stopped waiting for (they ignored their cancellation): not in active,
        # never reported again.
        self._abandoned: set[asyncio.Task[None]] = set()
        self.slot_freed = asyncio.Event()
        self._threads: ThreadPoolExecutor | None = None
        self._max_tasks_per_child = max_tasks_per_child
        # Child processes for sync tasks with a timeout, made on the first one (see _child).
        self._pool: ChildPool | None = None

    def open(self) -> None:
        """Bind to the running loop and create the thread pool (one thread per slot)."""
        self._loop = asyncio.get_running_loop()
        self._threads = self._thread_pool()

    def child_pool(self) -> ChildPool:
        """The child processes of sync tasks with a timeout (made on first use)."""
        if self._pool is None:
            self._pool = ChildPool(self._concurrency, self._max_tasks_per_child)
        return self._pool

    def _thread_pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(self._concurrency, thread_name_prefix=THREAD_NAME_PREFIX)

    def free_slots(self) -> int:
        """How many more tasks may start now."""
        return self._concurrency - len(self.active)

    def start(
        self,
        task_id: TaskId,
        name: str,
        args: str,
        timeout: float | None,
        retry_count: int | None = None,
        max_retries: int | None = None,
        queue: str | None = None,
        pickup_latency: float | None = None,
        traceparent: str | None = None,
    ) -> None:
        """Start one claimed row; a row that cannot run fails at once, without retries."""
        # A context only when traces are recorded (see worker/_observed.py): the task runs in it.
        context = self._task_log.started(
            task_id, name, retry_count, max_retries, queue, pickup_latency, traceparent
        )
        definition = get_definition(name)
        if definition is None:
            self._reporter.add(
                failed(
                    task_id,
                    f"UnknownTaskError: no task named {name!r} is registered in worker "
                    f"{self._worker_id}; import the module that defines it in the worker process",
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
        # One coroutine per task, from the loop's own create_task (asyncio.create_task looks the
        # loop up again): at tens of thousands of tasks a second, each layer shows.
        if definition.is_async:
            run = self._run_async(task_id, definition, kwargs, timeout)
        else:
            run = self._run_sync(task_id, definition, kwargs, args, timeout)
        self.active[task_id] = self._loop.create_task(run, context=context)

    async def _run_async(
        self,
        task_id: TaskId,
        definition: TaskDefinition[..., Any],
        kwargs: dict[str, Any],
        timeout_seconds: float | None,
    ) -> None:
        # This asyncio task's own context (and that of the tasks it starts): cancel_requested().
        cancellation.enter(task_id)
        deadline = asyncio.timeout(timeout_seconds) if timeout_seconds is not None else None
        outcome: Outcome
        try:
            if deadline is None:
                value = await definition.fn(**kwargs)
            else:
                async with deadline:
                    value = await definition.fn(**kwargs)
            # Most tasks return nothing: no serializer, no call.
            outcome = (
                Completed(task_id, "null")
                if value is None
                else returned(task_id, definition, value)
            )
        except asyncio.CancelledError:
            stopped = self._stopped(task_id, reached=True) if self._ours(task_id) else None
            if stopped is None:
                raise  # given up (shutdown, lost lease), or left behind: nothing to report
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            outcome = stopped
        except RateLimited as limited:
            outcome = throttled(task_id, limited)
        except TimeoutError:
            if deadline is not None and deadline.expired() and timeout_seconds is not None:
                outcome = timed_out(task_id, definition, timeout_seconds, "cancelled")
            else:
                outcome = failed_with_exception(task_id)
        except BaseException:
            outcome = failed_with_exception(task_id)
        finally:
            cancellation.unmark(task_id)
            progress.forget(task_id)
            ours = self._free(task_id)
        if not ours:
            return
        if self._stopping and type(outcome) is not Cancelled and task_id in self._stopping:
            # It swallowed its CancelledError and went on to return or raise (delivered), or it
            # ended before the cancellation was delivered (its own outcome stands).
            outcome = self._stopped(task_id, self._stopping[task_id].delivered) or outcome
        self._reporter.add(outcome)

    async def _run_sync(
        self,
        task_id: TaskId,
        definition: TaskDefinition[..., Any],
        kwargs: dict[str, Any],
        args: str,
        timeout_seconds: float | None,
    ) -> None:
        outcome: Outcome | None
        run: ThreadRun | None = None
        control: ChildControl | None = None
        try:
            if timeout_seconds is None:
                run = ThreadRun(task_id)
                self._thread_runs[task_id] = run
                outcome = await self._loop.run_in_executor(
                    self._threads, call_sync, task_id, definition, kwargs, run
                )
            else:
                control = ChildControl()
                self._children[task_id] = control
                outcome = await self._loop.run_in_executor(
                    self._threads,
                    run_in_child,
                    task_id,
                    definition,
                    args,
                    timeout_seconds,
                    control,
                    self.child_pool(),
                )
        except asyncio.CancelledError:
            raise
        except BaseException:
            outcome = failed_with_exception(task_id)
        finally:
            if control is not None:
                # Reached on cancellation too: the thread then kills the child at once.
                control.abandon()
                self._children.pop(task_id, None)
                progress.forget(task_id)
            if run is not None and self._thread_runs.get(task_id) is run:
                del self._thread_runs[task_id]
            ours = self._free(task_id)
        if not ours:
            return
        if self._stopping and task_id in self._stopping:
            if run is not None:
                reached = run.delivered
            else:
                reached = control is not None and (control.terminated or control.killing)
            outcome = self._stopped(task_id, reached) or outcome
        if outcome is not None:
            self._reporter.add(outcome)

    def _ours(self, task_id: TaskId) -> bool:
        """Whether the calling run is still this worker's to report (not left behind)."""
        return not (self._abandoned and asyncio.current_task() in self._abandoned)

    def _free(self, task_id: TaskId) -> bool:
        """A run ended: free its slot; False for a run left behind (its slot was freed then)."""
        if not self._ours(task_id):
            return False
        self.active.pop(task_id, None)
        self._task_log.ended(task_id)
        self.slot_freed.set()
        return True

    # -- cancellation -------------------------------------------------------------------------

    def cancel(self, request: CancelRequest) -> bool:
        """Stop a running task whose cancellation was asked for; False if it does not run here
        (any more) or is being stopped already."""
        task_id = request.task_id
        task = self.active.get(task_id)
        if task is None or task_id in self._stopping:
            return False
        timer = self._loop.call_later(self._cancel_grace, self._force, task_id)
        self._stopping[task_id] = _Stop(request, timer)
        self._task_log.stopping(request)
        # Delivered once the run's first step has run (a task started in this loop iteration
        # has not yet entered its try block, nor said whether it runs in a thread or a child).
        self._loop.call_soon(self._deliver, task_id, task)
        return True

    def stopping(self, task_id: TaskId) -> bool:
        """Whether this worker is stopping that task (its cancellation was asked for)."""
        return task_id in self._stopping

    def _deliver(self, task_id: TaskId, task: asyncio.Task[None]) -> None:
        stop = self._stopping.get(task_id)
        if stop is None or self.active.get(task_id) is not task or task.done():
            return  # it ended, or was given up, meanwhile
        control = self._children.get(task_id)
        if control is not None:
            control.stop()  # its thread sends SIGTERM at once
            return
        run = self._thread_runs.get(task_id)
        if run is not None:
            run.interrupt()
            return
        stop.delivered = True
        cancellation.mark(task_id)
        task.cancel()

    def _stopped(self, task_id: TaskId, reached: bool) -> Cancelled | None:
        """End the cancellation of a run that ended: its Cancelled outcome if the cancellation
        reached it, None if it finished first (its own outcome stands)."""
        stop = self._stopping.pop(task_id, None)
        if stop is None:
            return None
        stop.timer.cancel()
        if not reached:
            return None
        return cancelled(stop.request, forced=stop.forced)

    def _force(self, task_id: TaskId) -> None:
        """The grace period is over and the task still runs: kill its child, or stop waiting."""
        stop = self._stopping.get(task_id)
        task = self.active.get(task_id)
        if stop is None or task is None:
            return
        grace = f"{self._cancel_grace:g} s"
        control = self._children.get(task_id)
        if control is not None:
            stop.forced = f"its process was still running {grace} after SIGTERM and was killed"
            control.kill()  # the run reports Cancelled once its thread sees the child gone
            return
        run = self._thread_runs.pop(task_id, None)
        if run is not None:
            # Its thread runs on; a fresh pool keeps every slot's thread available.
            how = f"its thread was still running {grace} later; the worker stopped waiting for it"
            self._replace_thread_pool()
        else:
            how = f"it was still running {grace} after CancelledError; the worker stopped waiting"
        del self._stopping[task_id]
        self._reporter.add(cancelled(stop.request, forced=how))
        self._leave_behind(task_id)

    def _replace_thread_pool(self) -> None:
        old, self._threads = self._threads, self._thread_pool()
        if old is not None:
            # Threads still running tasks finish them; idle ones exit.
            old.shutdown(wait=False)

    # -- giving up ------------------------------------------------------------------------------

    def give_up(self, task_id: TaskId) -> None:
        """Stop a task without reporting it: cancel it, kill its child; a thread runs on."""
        task = self.active.pop(task_id, None)
        self._task_log.forget(task_id)
        stop = self._stopping.pop(task_id, None)
        if stop is not None:
            stop.timer.cancel()
        control = self._children.get(task_id)
        if control is not None:
            control.abandon()
        if task is not None:
            task.cancel()
        self.slot_freed.set()

    def give_up_all(self) -> list[TaskId]:
        """At shutdown: give up every task still executing; returns the ids to hand back.

        A task being cancelled is recorded cancelled instead: it is not to run again.
        """
        leftovers: list[TaskId] = []
        for task_id in list(self.active):
            stop = self._stopping.pop(task_id, None)
            if stop is None:
                leftovers.append(task_id)
                self.give_up(task_id)
                continue
            stop.timer.cancel()
            how = "the worker shut down before it stopped"
            self._reporter.add(cancelled(stop.request, forced=how))
            self._leave_behind(task_id)
        for task in list(self._abandoned):
            task.cancel()
        self.slot_freed.set()
        return leftovers

    def _leave_behind(self, task_id: TaskId) -> None:
        """Stop waiting for a run (its outcome is reported already): it frees its slot now,
        and whatever it does later is not reported. A child is killed; a coroutine gets one
        more CancelledError (it swallowed one, it may heed a second); a thread runs on."""
        task = self.active.pop(task_id)
        self._task_log.ended(task_id)
        self._abandoned.add(task)
        task.add_done_callback(self._abandoned.discard)
        control = self._children.get(task_id)
        if control is not None:
            control.abandon()
        task.cancel()
        self.slot_freed.set()

    def close(self) -> bool:
        """Kill the child processes, drop the thread pool without waiting; True if some of its
        threads are still busy."""
        if self._pool is not None:
            self._pool.close()
        if self._threads is None:
            return False
        busy = any(t.name.startswith(THREAD_NAME_PREFIX) for t in threading.enumerate())
        self._threads.shutdown(wait=False, cancel_futures=True)
        return busy
