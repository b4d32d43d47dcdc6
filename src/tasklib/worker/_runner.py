"""Runs claimed tasks (on the event loop, in a thread, or in a child process), each known by id."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tasklib.db.statements import TaskId
from tasklib.errors import RateLimited, TaskLibError
from tasklib.registry import TaskDefinition, get_definition
from tasklib.worker._child import run_in_child
from tasklib.worker._outcomes import (
    Completed,
    Outcome,
    failed,
    failed_with_exception,
    returned,
    throttled,
    timed_out,
)
from tasklib.worker._reporter import Reporter
from tasklib.worker._tasklog import TaskLog

THREAD_NAME_PREFIX = "tasklib-task"


class Runner:
    """Starts each claimed task and hands its outcome to the reporter.

    ``active`` maps the id of every task still executing to its asyncio task; ``slot_freed``
    is set whenever one ends (or is given up), so the claim loop can take another.
    """

    _loop: asyncio.AbstractEventLoop  # set by open()

    def __init__(
        self, worker_id: str, concurrency: int, reporter: Reporter, task_log: TaskLog
    ) -> None:
        self._worker_id = worker_id
        self._concurrency = concurrency
        self._reporter = reporter
        self._task_log = task_log
        self.active: dict[TaskId, asyncio.Task[None]] = {}
        self._kill_switches: dict[TaskId, threading.Event] = {}
        self.slot_freed = asyncio.Event()
        self._threads: ThreadPoolExecutor | None = None

    def open(self) -> None:
        """Bind to the running loop and create the thread pool (one thread per slot)."""
        self._loop = asyncio.get_running_loop()
        self._threads = ThreadPoolExecutor(self._concurrency, thread_name_prefix=THREAD_NAME_PREFIX)

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
            raise
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
            self._free(task_id)
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
        try:
            if timeout_seconds is None:
                outcome = await self._loop.run_in_executor(
                    self._threads, call_sync, task_id, definition, kwargs
                )
            else:
                outcome = await self._run_in_child(task_id, definition, args, timeout_seconds)
        except asyncio.CancelledError:
            raise
        except BaseException:
            outcome = failed_with_exception(task_id)
        finally:
            self._free(task_id)
        if outcome is not None:
            self._reporter.add(outcome)

    def _free(self, task_id: TaskId) -> None:
        self.active.pop(task_id, None)
        self._task_log.ended(task_id)
        self.slot_freed.set()

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
            return await self._loop.run_in_executor(
                self._threads,
                run_in_child,
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

    def give_up(self, task_id: TaskId) -> None:
        """Stop a task without reporting it: cancel it, kill its child; a thread runs on."""
        task = self.active.pop(task_id, None)
        self._task_log.forget(task_id)
        switch = self._kill_switches.get(task_id)
        if switch is not None:
            switch.set()
        if task is not None:
            task.cancel()
        self.slot_freed.set()

    def give_up_all(self) -> list[TaskId]:
        """Give up every task still executing; returns their ids."""
        leftovers = list(self.active)
        for task_id in leftovers:
            self.give_up(task_id)
        return leftovers

    def close(self) -> bool:
        """Drop the thread pool without waiting; True if some of its threads are still busy."""
        if self._threads is None:
            return False
        busy = any(t.name.startswith(THREAD_NAME_PREFIX) for t in threading.enumerate())
        self._threads.shutdown(wait=False, cancel_futures=True)
        return busy


def call_sync(
    task_id: TaskId, definition: TaskDefinition[..., Any], kwargs: dict[str, Any]
) -> Outcome:
    """Call a sync task function (in a pool thread) and return its outcome."""
    try:
        value = definition.fn(**kwargs)
    except RateLimited as limited:
        return throttled(task_id, limited)
    except BaseException:
        return failed_with_exception(task_id)
    return returned(task_id, definition, value)
