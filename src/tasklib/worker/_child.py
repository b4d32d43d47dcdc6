"""Running a sync task in a child process, so that its timeout or its cancellation can stop it.

The children are reused, as Celery's prefork pool reuses its: a worker keeps up to
``concurrency`` of them (started on the first sync task with a timeout), each running one task
after another, and replaces only a child that was killed (timeout, cancellation) or died. The
thread that watches a run waits on the child's pipe, its process sentinel and a wake-up pipe of
the run's ChildControl at once, so a result, a death and a stop request are each seen at once.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import importlib.util
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import ModuleType
from typing import Any

from tasklib import cancellation, progress
from tasklib.db.statements import TaskId
from tasklib.errors import RateLimited, TaskCancelled
from tasklib.registry import TaskDefinition, get_definition, registered_tasks
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
# A child that has run a task of the same function before starts at once: it does not report,
# and the timeout counts from the request (one message and one wake-up less per task).
_START_LIMIT_SECONDS = 60.0
# How long a child retired after max_tasks_per_child gets to exit on its own before SIGKILL.
_RETIRE_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1
# A child sends a task's progress reports to the worker at most this often (the latest one).
_REPORT_SECONDS = 0.05

# What the worker sends a child: the task's id, where to find its function, its arguments as JSON.
# A function the child imports by module, file and qualified name, or (a child forked from the
# worker) the name of a task in the registry it was forked with.
_Target = tuple[str, str | None, str] | str


class ChildControl:
    """How the event loop steers the thread that watches one task's child process.

    ``stop()``: the task's cancellation was asked for: SIGTERM (``terminated`` once sent).
    ``kill()``: it ignored that past the grace period: SIGKILL. ``abandon()``: the worker gave
    the task up (shutdown, lost lease): kill the child and report nothing. Each sets its flag and
    writes a byte to a pipe the watching thread waits on; the thread closes the pipe when it is
    done, after which these calls only set the flag.
    """

    __slots__ = ("_lock", "_read", "_write", "abandoned", "killing", "stopping", "terminated")

    def __init__(self) -> None:
        self.stopping = False
        self.killing = False
        self.abandoned = False
        self.terminated = False
        self._lock = threading.Lock()
        self._read, self._write = os.pipe()

    def stop(self) -> None:
        self.stopping = True
        self._wake()

    def kill(self) -> None:
        self.killing = True
        self._wake()

    def abandon(self) -> None:
        self.abandoned = True
        self._wake()

    def _wake(self) -> None:
        # Under the lock: the watching thread may be closing the pipe, and a closed descriptor's
        # number may already belong to something else.
        with self._lock:
            if self._write >= 0:
                os.write(self._write, b"!")

    def fileno(self) -> int:
        """The end the watching thread waits on."""
        return self._read

    def drain(self) -> None:
        os.read(self._read, 64)

    def close(self) -> None:
        with self._lock:
            if self._write >= 0:
                os.close(self._read)
                os.close(self._write)
                self._read = self._write = -1


class _Child:
    """One child process and the worker's end of its duplex pipe."""

    __slots__ = ("conn", "known", "process", "registry", "tasks")

    def __init__(
        self,
        process: BaseProcess,
        conn: Connection,
        registry: dict[str, TaskDefinition[..., Any]] | None = None,
    ) -> None:
        self.process = process
        self.conn = conn
        self.tasks = 0
        # The functions the child has found (it reported them started): it keeps them, and
        # starts them again without a report (see _run).
        self.known: set[_Target] = set()
        # Forked from the worker: the registry it was forked with (None: from the fork server).
        self.registry = registry

    def retire(self, *, gently: bool = False) -> None:
        """End the process and free what it held (its pipe, its sentinel)."""
        self.conn.close()  # an idle child reads EOF and exits
        if gently:
            self.process.join(_RETIRE_SECONDS)
        if self.process.exitcode is None:
            self.process.kill()
        self.process.join()
        self.process.close()


class ChildPool:
    """The worker's child processes for sync tasks with a timeout: at most ``size`` kept idle.

    Reused as Celery's prefork pool reuses its children: a task's module state (imports, caches,
    clients it created) stays in the child for the next tasks, which is what makes reuse cheap;
    a task that leaves the process broken (a thread it started, a changed global) affects the
    next tasks that child runs. ``max_tasks_per_child`` bounds that (and slow leaks), as
    Celery's ``--max-tasks-per-child`` does: a child that ran that many tasks is replaced. A
    child that was sent SIGTERM or SIGKILL, or died, is never reused.
    """

    def __init__(self, size: int, max_tasks_per_child: int | None = None) -> None:
        self._size = size
        self._max_tasks = max_tasks_per_child
        self._lock = threading.Lock()
        self._idle: list[_Child] = []
        self._all: set[_Child] = set()
        self._closed = False
        # Children forked from the worker are forked by this one thread, which lives as long as
        # the pool: PR_SET_PDEATHSIG fires when the forking *thread* ends.
        self._forker: ThreadPoolExecutor | None = None

    def acquire(self, forked_for: TaskDefinition[..., Any] | None = None) -> _Child:
        """An idle child, or a new one (from the calling thread: it may take a process start).

        ``forked_for``: a child forked from the worker whose registry has that definition
        (one forked before it was registered is replaced); else a child of the fork server.
        """
        while True:
            with self._lock:
                if self._closed:
                    raise RuntimeError("the worker's child processes are closed")
                child = self._take_idle(forked_for is not None)
            if child is None:
                break
            registry = child.registry or {}
            if forked_for is not None and registry.get(forked_for.name) is not forked_for:
                self._discard(child, gently=True)  # forked before the task was registered
                continue
            if child.process.is_alive():
                return child
            self._discard(child)  # died while idle (killed from outside, out of memory)
        if forked_for is None:
            child = _start(_CONTEXT, None)
        else:
            with self._lock:
                if self._forker is None:
                    self._forker = ThreadPoolExecutor(1, thread_name_prefix="tasklib-forker")
                forker = self._forker
            child = forker.submit(_start, _FORK, dict(registered_tasks())).result()
        process = child.process
        with self._lock:
            self._all.add(child)
            if self._closed:
                # Closed while this child started: it must not outlive the worker's shutdown.
                process.kill()
        return child

    def _take_idle(self, forked: bool) -> _Child | None:
        for index in range(len(self._idle) - 1, -1, -1):
            if (self._idle[index].registry is not None) == forked:
                return self._idle.pop(index)
        return None

    def release(self, child: _Child, *, reusable: bool) -> None:
        """A task's run ended: keep its child for the next task, or end the process."""
        child.tasks += 1
        worn = self._max_tasks is not None and child.tasks >= self._max_tasks
        with self._lock:
            if reusable and not worn and not self._closed and len(self._idle) < self._size:
                self._idle.append(child)
                return
        self._discard(child, gently=reusable)

    def _discard(self, child: _Child, *, gently: bool = False) -> None:
        with self._lock:
            self._all.discard(child)
        child.retire(gently=gently)

    def close(self) -> None:
        """Kill every child (the worker is shutting down); those running a task are ended by
        the threads that watch them, which were told to abandon their tasks."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            for child in self._all.difference(idle):
                # Not its exitcode: that reads the status pipe its watching thread may read.
                child.process.kill()
            self._all.difference_update(idle)
            forker, self._forker = self._forker, None
        for child in idle:
            child.retire()
        if forker is not None:
            forker.shutdown(wait=False)


def _start(context: Any, registry: dict[str, TaskDefinition[..., Any]] | None) -> _Child:
    """Start a child: from the fork server, or (``registry`` given) forked from the worker."""
    parent_end, child_end = context.Pipe()
    process = context.Process(target=_serve, args=(child_end,), name="tasklib-child", daemon=True)
    try:
        process.start()
    except BaseException:
        parent_end.close()
        raise
    finally:
        child_end.close()
    return _Child(process, parent_end, registry)


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
    pool: ChildPool,
) -> Outcome | None:
    """Run the task in a child process; blocks (call it from a pool thread).

    Returns None when ``control.abandon()`` was called: the child is killed and nothing is
    reported. On timeout the child is killed and a retryable timeout failure is returned.
    ``control.stop()`` sends the child SIGTERM, whose handler raises TaskCancelled in the task;
    ``control.kill()`` sends SIGKILL. What the child sends back (or its exit) is returned as
    usual; the caller knows from ``control.terminated`` that the cancellation reached it.

    Threads cannot be interrupted, so a sync task that declares a timeout runs in a process and
    is killed with SIGKILL at the deadline. It runs in one of ``pool``'s children, forked from
    multiprocessing's fork server (a clean single-threaded process started once), which finds
    the function again by module and qualified name, rebuilds the arguments from their JSON
    form and sends back an Outcome. A function that cannot be imported by name (defined in the
    script being run, ``__main__``, or inside another function: Django's tasks are such
    closures) runs in a child forked from the worker itself instead, which finds it by task
    name in the registry it was forked with: importing a script again would run its top
    level, and a nested function has no importable name. Those children are reused too.
    """
    try:
        if control.stopping:
            # Cancelled while it waited for a thread: it never starts.
            control.terminated = True
            return failed(task_id, f"TaskCancelled: task {task_id} never started", retryable=False)
        target: _Target
        if _importable(definition):
            module = sys.modules.get(definition.fn.__module__)
            target = (
                definition.fn.__module__,
                getattr(module, "__file__", None),
                definition.fn.__qualname__,
            )
            child = pool.acquire()
        else:
            target = definition.name
            child = pool.acquire(forked_for=definition)
        reusable = False
        try:
            try:
                child.conn.send((task_id, target, args))
            except OSError:
                # It died between the check and the request: the run is as good as not started.
                return failed(
                    task_id,
                    f"ChildProcessError: the process for task {definition.name!r} exited before "
                    "it took the task",
                    retryable=True,
                )
            outcome, reusable = _watch(task_id, definition, timeout, control, child, target)
            return outcome
        finally:
            pool.release(child, reusable=reusable)
    finally:
        control.close()


def _watch(
    task_id: TaskId,
    definition: TaskDefinition[..., Any],
    timeout: float,
    control: ChildControl,
    child: _Child,
    target: _Target,
) -> tuple[Outcome | None, bool]:
    """Wait for the child to send the outcome of the task it was given, steered by ``control``;
    also whether the child may run another task (it was not signalled and did not die)."""
    conn, process = child.conn, child.process
    wake = control.fileno()
    waiting: list[Connection | int] = [conn, process.sentinel, wake]
    started = target in child.known
    deadline = time.monotonic() + (timeout if started else _START_LIMIT_SECONDS)
    killed = False
    while True:
        if control.abandoned:
            return None, False
        if control.killing and not killed:
            killed = True
            process.kill()
        # A message waiting is read first: an outcome sent before SIGTERM stands.
        elif control.stopping and not control.terminated and not conn.poll(0):
            control.terminated = True
            process.terminate()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            if started:
                how = "killed with its child process"
                return timed_out(task_id, definition, timeout, how), False
            return failed(
                task_id,
                f"child process for task {definition.name!r} did not start within "
                f"{_START_LIMIT_SECONDS:g} s",
                retryable=True,
            ), False
        ready = wait(waiting, remaining)
        if wake in ready:
            control.drain()
        if not ready:
            continue
        message: Outcome | str | None
        try:
            if not conn.poll(0):
                # Its pipe reads EOF when it dies, unless a child forked meanwhile holds a copy
                # of the other end: its sentinel says so too.
                if process.sentinel not in ready:
                    continue
                raise EOFError
            message = conn.recv()
        except (EOFError, OSError):  # a socket left with unread data is reset, not closed
            process.join(1.0)
            return failed(
                task_id,
                f"ChildProcessError: the process running task {definition.name!r} exited "
                f"with code {process.exitcode} before returning a result",
                retryable=True,
            ), False
        if message is None:
            started = True
            deadline = time.monotonic() + timeout
            child.known.add(target)
        elif isinstance(message, str):
            progress.record(task_id, message)
        else:
            return message, not (killed or control.terminated)


def _importable(definition: TaskDefinition[..., Any]) -> bool:
    return definition.fn.__module__ not in ("__main__", "__mp_main__") and (
        "<locals>" not in definition.fn.__qualname__
    )


# -- in the child process ------------------------------------------------------------------------


# send(message) for the child's own messages, send(report, task_id) for a progress report.
_Send = Callable[..., None]


class _Run:
    """The child's task: which one, whether its function runs, whether SIGTERM came early."""

    task_id: str | None = None
    running = False
    cancelled = False


class _Reports:
    """Progress reports on their way to the worker: the task's thread only leaves its latest
    here, and a thread of the child sends it, at most every ``_REPORT_SECONDS``, so a task may
    report as often as it likes without costing the worker a wake-up per report."""

    def __init__(self, send: _Send) -> None:
        self._send = send
        self._lock = threading.Lock()
        self._latest: tuple[str, str] | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    def put(self, task_id: str, encoded: str) -> None:
        with self._lock:
            self._latest = (task_id, encoded)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="tasklib-progress", daemon=True
                )
                self._thread.start()
        self._ready.set()

    def _run(self) -> None:
        while True:
            self._ready.wait()
            self._ready.clear()
            with self._lock:
                latest, self._latest = self._latest, None
            if latest is not None:
                self._send(latest[1], latest[0])
            time.sleep(_REPORT_SECONDS)


def _serve(conn: Connection) -> None:
    """A child's main: run each task the worker sends until the pipe closes."""
    _die_with_parent()
    # A child forked from the worker inherited the descriptor through which the event loop
    # learns of signals: the child's own SIGTERM must not reach the worker's loop.
    signal.set_wakeup_fd(-1)
    # Ctrl-C in a terminal reaches the whole process group: the worker decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    send_lock = threading.Lock()

    def send(message: Outcome | str | None, task_id: str | None = None) -> None:
        with send_lock:
            # A report is sent only while its task runs: the worker takes it for the current one.
            if task_id is None or task_id == _Run.task_id:
                conn.send(message)

    progress.forward_to(_Reports(send).put)
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return  # the worker closed the pipe (it retired this child, or it is gone)
        send(_run(send, *request))


def _die_with_parent() -> None:
    """SIGKILL this process when its parent dies (the worker, or the fork server, which exits
    when the worker does), so that a busy child never outlives a worker killed with -9."""
    # A child of the fork server inherits the write end of the pipe whose closing tells the
    # fork server that the worker is gone: held here, it would keep the fork server (and so
    # this child) alive after the worker's death.
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(alive, int) and multiprocessing.parent_process() is not None:
        with contextlib.suppress(OSError):
            os.close(alive)
        server._forkserver_alive_fd = None  # type: ignore[union-attr]
    if not sys.platform.startswith("linux"):
        return  # elsewhere an idle child still exits when the worker's end of its pipe closes
    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)  # the parent died before the request was made


def _on_sigterm(signum: int, frame: object) -> None:
    # SIGTERM is the worker's cancellation of the current task. It raises only while the task's
    # function runs; before that (its module being imported) it is remembered, after that it
    # is moot (the outcome is being made). The worker never reuses a child it sent SIGTERM to.
    task_id = _Run.task_id
    if task_id is None:
        # Between tasks it is a request to exit (multiprocessing's own clean-up at the worker's
        # exit, or someone's kill): the default action, as if no handler were installed.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    cancellation.mark(task_id)
    if _Run.running:
        _Run.running = False
        raise TaskCancelled(f"task {task_id} was cancelled (SIGTERM)")
    _Run.cancelled = True


def _run(
    send: _Send,
    task_id: TaskId,
    target: _Target,
    args: str,
) -> Outcome:
    found = _found.get(target)
    try:
        if found is not None:
            definition = found
        elif isinstance(target, str):
            definition = _registered(target)
        else:
            definition = _locate(*target)
        kwargs = definition.rebuild_args_json(args)
    except BaseException:
        # Finding the function or rebuilding its arguments fails the same way every time.
        return failed_with_exception(task_id, retryable=False)
    token = cancellation.enter(task_id)
    _Run.task_id = task_id
    if found is None:
        _found[target] = definition
        send(None)
    outcome: Outcome
    try:
        try:
            _Run.running = True
            if _Run.cancelled:
                raise TaskCancelled(f"task {task_id} was cancelled (SIGTERM)")
            value = definition.fn(**kwargs)
        finally:
            _Run.running = False
    except RateLimited as limited:
        outcome = throttled(task_id, limited)
    except BaseException:
        outcome = failed_with_exception(task_id)
    else:
        outcome = returned(task_id, definition, value)
    finally:
        _Run.task_id = None
        cancellation.unmark(task_id)
        cancellation.leave(token)
    return outcome


# The functions this child has found, by (module, file, qualified name): the worker knows them
# too (ChildPool's _Child.known) and counts their timeout from the request.
_found: dict[_Target, TaskDefinition[..., Any]] = {}


def _registered(name: str) -> TaskDefinition[..., Any]:
    definition = get_definition(name)
    if definition is None:
        raise LookupError(f"no task named {name!r} in the child process's registry")
    return definition


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
