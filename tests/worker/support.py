"""Helpers for the worker tests: run a worker in-process or as a subprocess, wait for states."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

import psycopg

from tasklib import Config, TaskWorker

ROOT = Path(__file__).resolve().parents[2]


@contextlib.asynccontextmanager
async def running_worker(
    url: str, concurrency: int = 4, **options: Any
) -> AsyncIterator[TaskWorker]:
    """A TaskWorker running in this event loop until the block ends."""
    config_options = {
        key: options.pop(key)
        for key in ("lease_seconds", "poll_interval_seconds", "listen_notify", "listen_url")
        if key in options
    }
    options.setdefault("handle_signals", False)
    options.setdefault("shutdown_grace_seconds", 5.0)
    worker = TaskWorker(Config(database_url=url, **config_options), concurrency, **options)
    run = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        await worker.stop()
        await run


async def wait_until(
    predicate: Callable[[], bool],
    within: float = 20.0,
    what: str = "condition",
) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_for_row(
    url: str, query: str, params: Any = None, within: float = 20.0
) -> tuple[Any, ...]:
    """Poll the database (without blocking the event loop) until ``query`` returns a row."""
    deadline = time.monotonic() + within
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        while True:
            row = await (await conn.execute(query, params)).fetchone()
            if row is not None:
                return row
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {within} s waiting for a row of {query!r}")
            await asyncio.sleep(0.01)


def fetch(url: str, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(query, params).fetchall()


def count_states(url: str) -> dict[str, int]:
    rows = fetch(url, "SELECT state, count(*) FROM tasklib.tasks GROUP BY state")
    return {str(state): int(n) for state, n in rows}


def wait_for_states(
    url: str, predicate: Callable[[dict[str, int]], bool], timeout: float, what: str
) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        states = count_states(url)
        if predicate(states):
            return states
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}: {states}")
        time.sleep(0.05)


def start_worker_process(
    url: str, module: str, record_dir: Path, *args: str, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """`tasklib worker MODULE ...` in a new process (output to log, if given)."""
    env = {**os.environ, "TASKLIB_TEST_RECORD_DIR": str(record_dir), "TASKLIB_DATABASE_URL": url}
    out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        return subprocess.Popen(
            [sys.executable, "-c", "from tasklib.cli import main; main()", "worker", module, *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    finally:
        if log is not None:
            out.close()  # type: ignore[union-attr]


@contextlib.contextmanager
def worker_processes(
    procs: list[subprocess.Popen[bytes]],
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Kill whatever is still running at the end, so a failed test leaves no worker behind."""
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout)


def read_records(record_dir: Path, kind: str) -> list[str]:
    lines: list[str] = []
    for path in record_dir.glob(f"{kind}-*.log"):
        lines.extend(path.read_text().split())
    return lines


def submit_many_sql(url: str, name: str, args_list: list[dict[str, Any]], **options: Any) -> None:
    """Queue tasks through SQL, as another service would, in chunks of 5,000."""
    import json

    with psycopg.connect(url, autocommit=True) as conn:
        for start in range(0, len(args_list), 5000):
            payload = [
                {"name": name, "args": args, **options} for args in args_list[start : start + 5000]
            ]
            conn.execute(
                "SELECT count(*) FROM tasklib.submit_many(%s::jsonb)", (json.dumps(payload),)
            )


def closed_port() -> int:
    """A local TCP port nothing listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclasses.dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


def run_tasklib(
    *args: str,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> CliResult:
    """`python -m tasklib ARGS` in a new process, as a user runs it; waits for its exit."""
    environment = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "tasklib", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def write_app(folder: Path, tasks_source: str = "") -> Path:
    """A package ``myapp`` in folder: an empty ``__init__.py`` and ``tasks.py`` (by default one
    async task ``myapp.tasks.hello`` that appends its argument to $TASKLIB_TEST_RECORD_DIR/ran)."""
    package = folder / "myapp"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "tasks.py").write_text(
        tasks_source
        or textwrap.dedent(
            """
            import os
            from pathlib import Path

            import tasklib


            @tasklib.task
            async def hello(name: str) -> str:
                record = Path(os.environ["TASKLIB_TEST_RECORD_DIR"]) / f"ran-{os.getpid()}"
                with record.open("a") as out:
                    out.write(name + "\\n")
                return f"Hello {name}!"
            """
        )
    )
    return folder


class Proxy:
    """A TCP proxy in front of the test database that can cut the connections it carries.

    ``cut()`` closes every connection and the listening port: the worker behind it loses its
    connections, and reconnecting is refused, as when the server goes away.
    """

    def __init__(self, database_url: str) -> None:
        parts = urlsplit(database_url)
        self._target = (parts.hostname or "localhost", parts.port or 5432)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.url = urlunsplit(parts._replace(netloc=f"{_userinfo(parts)}127.0.0.1:{self.port}"))
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def cut(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept() on Linux
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()


def _userinfo(parts: SplitResult) -> str:
    netloc = parts.netloc
    return netloc.rpartition("@")[0] + "@" if "@" in netloc else ""


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
