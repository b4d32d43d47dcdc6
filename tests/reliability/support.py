"""Helpers of the reliability scenarios: worker processes, SQL submission, final-state tallies.

A scenario submits tasks whose keys decide how they end, runs `python -m tasklib worker`
processes while it injects faults, waits until every task is terminal, then compares the
database with what was submitted and the execution records with what the retry rules allow.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import psycopg

from tasklib.registry import TaskDefinition
from tests.reliability.tasks import RECORD_DIR_ENV
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
TASKS_MODULE = "tests.reliability.tasks"


# -- the report every scenario prints ------------------------------------------------------


@dataclasses.dataclass
class ScenarioReport:
    """What one scenario submitted and how it ended; printed at the end of the pytest run."""

    name: str
    submitted: int = 0
    completed: int = 0
    failed_as_expected: int = 0
    lost: int = 0
    run_twice: dict[str, int] = dataclasses.field(default_factory=dict)
    figures: list[str] = dataclasses.field(default_factory=list)

    def lines(self) -> list[str]:
        twice = sum(self.run_twice.values())
        reasons = "; ".join(f"{n} {why}" for why, n in self.run_twice.items()) or "-"
        return [
            f"{self.name}: submitted {self.submitted}, completed {self.completed}, "
            f"failed as expected {self.failed_as_expected}, lost {self.lost}, "
            f"run twice {twice} ({reasons})",
            *(f"    {figure}" for figure in self.figures),
        ]


REPORTS: list[ScenarioReport] = []


# -- database ------------------------------------------------------------------------------


def fetch(url: str, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(query, params).fetchall()


def submit(
    url: str, definition: TaskDefinition[..., Any], args_list: Iterable[dict[str, Any]]
) -> int:
    """Queue tasks through tasklib.submit_many, as another service would; returns how many.

    The task's own options go with every task, so no worker needs to have registered the
    task type first.
    """
    options: dict[str, Any] = {"name": definition.name}
    if definition.options.max_retries is not None:
        options["max_retries"] = definition.options.max_retries
    if definition.options.backoff_base_seconds is not None:
        options["backoff_base_seconds"] = definition.options.backoff_base_seconds
    if definition.options.timeout_seconds is not None:
        options["timeout_seconds"] = definition.options.timeout_seconds
    items = [{**options, "args": args} for args in args_list]
    with psycopg.connect(url, autocommit=True) as conn:
        for start in range(0, len(items), 5000):
            conn.execute(
                "SELECT count(*) FROM tasklib.submit_many(%s::jsonb)",
                (json.dumps(items[start : start + 5000]),),
            )
    return len(items)


_PROGRESS = """
SELECT count(*),
       count(*) FILTER (WHERE state = 'completed'),
       count(*) FILTER (WHERE state = 'failed' AND retry_count >= max_retries),
       count(*) FILTER (WHERE state = 'running')
  FROM tasklib.tasks
 WHERE {where}
"""


@dataclasses.dataclass(frozen=True)
class Progress:
    total: int
    completed: int
    failed: int
    running: int

    @property
    def terminal(self) -> int:
        return self.completed + self.failed


def progress(url: str, where: str = "true") -> Progress:
    """Counts over the tasks (those matching the SQL condition ``where``)."""
    row = fetch(url, _PROGRESS.format(where=where))[0]
    return Progress(*(int(value) for value in row))


def wait_until_settled(
    url: str,
    total: int,
    within: float,
    *,
    while_waiting: Callable[[Progress], None] | None = None,
    poll: float = 0.2,
    where: str = "true",
) -> Progress:
    """Wait until ``total`` tasks are terminal; a lost connection (server restart) is retried.

    ``while_waiting`` sees the progress at each poll (the scenarios inject their faults there).
    """

    def settled() -> Progress | None:
        try:
            now = progress(url, where)
        except psycopg.OperationalError:
            return None  # the server is restarting: ask again at the next poll
        if now.total == total and now.terminal == total:
            return now
        if while_waiting is not None:
            while_waiting(now)
        return None

    return wait_until(
        settled,
        what=f"{total} tasks to be terminal",
        timeout=within,
        interval=poll,
        detail=lambda: _progress_or_error(url),
    )


def _progress_or_error(url: str) -> str:
    try:
        return f"now: {progress(url)}"
    except psycopg.OperationalError as error:
        return f"now: database unavailable ({error})"


@dataclasses.dataclass(frozen=True)
class Row:
    key: str
    name: str
    state: str
    retry_count: int
    max_retries: int
    worker_id: str | None
    result: Any
    error: str | None


def final_rows(url: str) -> dict[str, Row]:
    rows = fetch(
        url,
        "SELECT args->>'key', name, state, retry_count, max_retries, worker_id, result, error"
        " FROM tasklib.tasks",
    )
    by_key = {str(row[0]): Row(*row) for row in rows}
    assert len(by_key) == len(rows), "every submitted key is unique"
    return by_key


# -- execution records ---------------------------------------------------------------------


@dataclasses.dataclass
class Runs:
    """Which process started (and finished) each key's function, from the record files."""

    starts: dict[str, list[int]]
    ends: dict[str, list[int]]

    def count(self, key: str) -> int:
        return len(self.starts.get(key, ()))


def read_runs(folder: Path) -> Runs:
    starts: dict[str, list[int]] = collections.defaultdict(list)
    ends: dict[str, list[int]] = collections.defaultdict(list)
    for path in folder.glob("runs-*.log"):
        for line in path.read_text().splitlines():
            key, pid, phase = line.split()
            (starts if phase == "start" else ends)[key].append(int(pid))
    return Runs(dict(starts), dict(ends))


# -- worker processes ----------------------------------------------------------------------


class Workers:
    """`python -m tasklib worker tests.reliability.tasks` processes, each with its own log."""

    def __init__(self, url: str, folder: Path, *options: str) -> None:
        self.url = url
        self.folder = folder
        self.options = options
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._count = 0
        (folder / "logs").mkdir(exist_ok=True)

    def start(self, worker_id: str | None = None, *extra: str) -> str:
        self._count += 1
        worker_id = worker_id or f"w{self._count}"
        env = {**os.environ, RECORD_DIR_ENV: str(self.folder), "TASKLIB_DATABASE_URL": self.url}
        with open(self.log_path(worker_id), "ab") as log:
            self.procs[worker_id] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tasklib",
                    "worker",
                    TASKS_MODULE,
                    "--worker-id",
                    worker_id,
                    *self.options,
                    *extra,
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return worker_id

    def log_path(self, worker_id: str) -> Path:
        return self.folder / "logs" / f"{worker_id}.log"

    def log(self, worker_id: str) -> str:
        return self.log_path(worker_id).read_text(errors="replace")

    def logs(self) -> str:
        return "".join(self.log(worker_id) for worker_id in self.procs)

    def pid(self, worker_id: str) -> int:
        return self.procs[worker_id].pid

    def alive(self) -> list[str]:
        return [wid for wid, proc in self.procs.items() if proc.poll() is None]

    def kill(self, worker_id: str) -> None:
        proc = self.procs[worker_id]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def stop_all(self, timeout: float = 30.0) -> dict[str, int | None]:
        """SIGTERM every live worker and return their exit codes.

        Each is first waited for until it has announced itself: a worker still importing (a
        slow start on a loaded machine) has no SIGTERM handler yet and would die of the signal.
        """
        live = self.alive()
        self.wait_until_announced(live)
        for worker_id in live:
            self.procs[worker_id].send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for worker_id in live:
            try:
                codes[worker_id] = self.procs[worker_id].wait(timeout)
            except subprocess.TimeoutExpired:
                codes[worker_id] = None
        return codes

    def wait_until_announced(self, worker_ids: Iterable[str], within: float = 60.0) -> None:
        """Wait until these workers are in tasklib.workers (started and connected)."""
        wanted = set(worker_ids)

        def announced() -> bool:
            rows = {row[0] for row in fetch(self.url, "SELECT worker FROM tasklib.workers")}
            if wanted <= rows:
                return True
            dead = [wid for wid in wanted if self.procs[wid].poll() is not None]
            if dead:
                raise AssertionError(f"worker(s) exited at start: {self.log(dead[0])}")
            return False

        wait_until(
            announced,
            what=f"workers {sorted(wanted)} to start",
            timeout=within,
            detail=lambda: f"announced: {fetch(self.url, 'SELECT worker FROM tasklib.workers')}",
        )

    def kill_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def workers(url: str, folder: Path, *options: str) -> Iterator[Workers]:
    """Worker processes that are all killed when the block ends, whatever happened."""
    group = Workers(url, folder, *options)
    try:
        yield group
    finally:
        group.kill_all()


def terminate_worker_connections(url: str) -> int:
    """pg_terminate_backend every worker connection to this database; returns how many."""
    row = fetch(
        url,
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND application_name LIKE 'tasklib:worker:%%'",
    )[0]
    return int(row[0])


def check_all_completed(
    url: str, folder: Path, report: ScenarioReport, n: int, *, duplicate_reason: str
) -> dict[str, Row]:
    """Every task completed, none stuck, each function run once; fill the report."""
    rows = final_rows(url)
    runs = read_runs(folder)
    states = collections.Counter(row.state for row in rows.values())
    report.completed = states["completed"]
    report.lost = n - report.completed
    assert states == {"completed": n}, f"nothing lost, nothing stuck: {dict(states)}"
    assert [key for key in rows if runs.count(key) == 0] == []
    twice = {key: runs.count(key) for key in rows if runs.count(key) > 1}
    report.run_twice[duplicate_reason] = len(twice)
    assert twice == {}, f"ran more than once: {dict(list(twice.items())[:10])}"
    return rows
