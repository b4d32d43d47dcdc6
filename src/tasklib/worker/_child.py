"""Running a sync task in a child process, so that its timeout or its cancellation can stop it."""

from __future__ import annotations

import importlib
import importlib.util
import multiprocessing
import signal
import sys
import threading
import time
from collections.abc import Iterable
from multiprocessing.connection import Connection
from types import ModuleType
from typing import Any

from tasklib import cancellation, progress
from tasklib.db.statements import TaskId
from tasklib.errors import RateLimited, TaskCancelled
from tasklib.registry import TaskDefinition
from tasklib.worker._outcomes import (
    Outcome,
    failed,
    failed_with_exception,
    returned,
    throttled,
    timed_out,
)

_CONTEXT = multiprocessing.get_context("forkserver")
_FORK = multiprocessing.get_context("fork")

# A child gets this long to import the task's module and report that it started; the task's
# own timeout is counted from then, so a slow first start of the fork server costs no attempt.
_START_LIMIT_SECONDS = 60.0
_POLL_SECONDS = 0.05


class ChildControl:
    """How the event loop steers the thread that watches one task's child process.

    ``stop``: the task's cancellation was asked for: SIGTERM (``terminated`` once sent).
    ``kill``: it ignored that past the grace period: SIGKILL. ``abandon``: the worker gave the
    task up (shutdown, lost lease): kill the child and report nothing.
    """

    __slots__ = ("abandon", "kill", "stop", "terminated")

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.kill = threading.Event()
        self.abandon = threading.Event()
        self.terminated = False


def preload(modules: Iterable[str]) -> None:
    """Import these modules once in the fork server, so children start without importing them."""
    names = sorted({name for name in modules if name not in ("__main__", "__mp_main__")})
    if names:
        _CONTEXT.set_forkserver_preload(["tasklib.registry", *names])


def run_in_child(
    task_id: TaskId,
    definition: TaskDefinition[..., Any],
    args: str,
    timeout: float,
    control: ChildControl,
) -> Outcome | None:
    """Run the task in a child process; blocks (call it from a pool thread).

    Returns None when ``control.abandon`` was set: the child is killed and nothing is
    reported. On timeout the child is killed and a retryable timeout failure is returned.
    ``control.stop`` sends the child SIGTERM, whose handler raises TaskCancelled in the task;
    ``control.kill`` sends SIGKILL. What the child sends back (or its exit) is returned as
    usual; the caller knows from ``control.terminated`` that the cancellation reached it.

    Threads cannot be interrupted, so a sync task that declares a timeout runs in a process of
    its own and is killed with SIGKILL at the deadline. The child is forked from
    multiprocessing's fork server (a clean single-threaded process started once), finds the
    function again by module and qualified name, rebuilds the arguments from their JSON form
    and sends back an Outcome. A function that cannot be imported by name (defined in the
    script being run, ``__main__``, or inside another function) is run in a child forked from
    the worker itself instead: importing a script again would run its top level, and a nested
    function has no importable name.
    """
    target: TaskDefinition[..., Any] | tuple[str, str | None, str]
    if _importable(definition):
        context: Any = _CONTEXT
        module = sys.modules.get(definition.fn.__module__)
        target = (
            definition.fn.__module__,
            getattr(module, "__file__", None),
            definition.fn.__qualname__,
        )
    else:
        # Process arguments are not pickled under fork: the child gets the definition itself.
        context = _FORK
        target = definition
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_child_main,
        args=(sender, task_id, target, args),
        name=f"tasklib-task-{definition.name}",
        daemon=True,
    )
    started_process = False
    try:
        if control.stop.is_set():
            # Cancelled while it waited for a thread: it never starts.
            control.terminated = True
            return failed(task_id, f"TaskCancelled: task {task_id} never started", retryable=False)
        process.start()
        started_process = True
        sender.close()
        deadline = time.monotonic() + _START_LIMIT_SECONDS
        started = killed = False
        while True:
            if control.abandon.is_set():
                return None
            if control.kill.is_set() and not killed:
                killed = True
                process.kill()
            # A message waiting is read first: an outcome sent before SIGTERM stands.
            elif control.stop.is_set() and not control.terminated and not receiver.poll(0):
                control.terminated = True
                process.terminate()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if started:
                    return timed_out(task_id, definition, timeout, "killed with its child process")
                return failed(
                    task_id,
                    f"child process for task {definition.name!r} did not start within "
                    f"{_START_LIMIT_SECONDS:g} s",
                    retryable=True,
                )
            if not receiver.poll(min(remaining, _POLL_SECONDS)):
                continue
            try:
                message: Outcome | None = receiver.recv()
            except EOFError:
                process.join(1.0)
                return failed(
                    task_id,
                    f"ChildProcessError: the process running task {definition.name!r} exited "
                    f"with code {process.exitcode} before returning a result",
                    retryable=True,
                )
            if message is None:
                started = True
                deadline = time.monotonic() + timeout
                continue
            return message
    finally:
        if started_process:
            if process.is_alive():
                process.kill()
            process.join()
            process.close()
        receiver.close()
        sender.close()


def _importable(definition: TaskDefinition[..., Any]) -> bool:
    return definition.fn.__module__ not in ("__main__", "__mp_main__") and (
        "<locals>" not in definition.fn.__qualname__
    )


def _child_main(
    sender: Connection,
    task_id: TaskId,
    target: TaskDefinition[..., Any] | tuple[str, str | None, str],
    args: str,
) -> None:
    try:
        definition = target if isinstance(target, TaskDefinition) else _locate(*target)
        kwargs = definition.rebuild_args_json(args)
    except BaseException:
        # Finding the function or rebuilding its arguments fails the same way every time.
        sender.send(failed_with_exception(task_id, retryable=False))
        return
    cancellation.enter(task_id)
    progress.in_child_process = True

    def cancel(signum: int, frame: object) -> None:
        cancellation.mark(task_id)
        raise TaskCancelled(f"task {task_id} was cancelled (SIGTERM)")

    sender.send(None)
    outcome: Outcome
    try:
        # SIGTERM stops the function (TaskCancelled, which it may catch to clean up); outside
        # it, the default action ends the process, which the worker sees as the stop it asked.
        signal.signal(signal.SIGTERM, cancel)
        try:
            value = definition.fn(**kwargs)
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    except RateLimited as limited:
        outcome = throttled(task_id, limited)
    except BaseException:
        outcome = failed_with_exception(task_id)
    else:
        outcome = returned(task_id, definition, value)
    sender.send(outcome)


def _locate(module_name: str, module_file: str | None, qualname: str) -> TaskDefinition[..., Any]:
    target: Any = _import(module_name, module_file)
    for part in qualname.split("."):
        target = getattr(target, part)
    if not isinstance(target, TaskDefinition):
        raise LookupError(f"{module_name}.{qualname} is not a @task in the child process")
    return target


def _import(module_name: str, module_file: str | None) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ImportError:
        if module_file is None:
            raise
    # Imported by the worker from a file that is not on sys.path under this name.
    spec = importlib.util.spec_from_file_location(module_name, module_file)
    if spec is None or spec.loader is None:
        raise LookupError(f"cannot load {module_file!r} in the child process") from None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
