"""Flow control under real worker processes: limits, rates, back-pressure, pause and resume.

Every scenario runs ``python -m tasklib worker`` processes on a queue configured through the SQL
API and checks what the tasks' own records show (tests/reliability/flow_tasks.py: a start and
an end row per execution, stamped by the database's clock):

- a concurrency limit of 5 and a per-key limit of 1 hold over 4 workers x 20 slots, also when
  a worker is SIGKILLed mid-run (its slots come back through lease recovery);
- a rate limit of 50 starts/s lets no 1-second window hold more than 50 plus the burst, and
  uses at least 90% of what it allows;
- a task raising RateLimited(retry_after=2) holds its key (or queue) for 2 s, spends no retry,
  and other keys go on; against a server answering 429 past its limit, no request is refused
  after the first 429 of each window;
- a pause stops starts at once (beyond the batch already claimed); a resume restarts them
  within 1 s.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.reliability.flow_tasks import RUNS_DDL
from tests.reliability.support import ROOT, ScenarioReport, Workers, fetch
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

FLOW_TASKS = "tests.reliability.flow_tasks"
EXAMPLE_TASKS = "examples.flow_control.tasks"


# -- the scenarios' tools -------------------------------------------------------------------


class FlowWorkers(Workers):
    """`python -m tasklib worker MODULE` processes (support.Workers runs only its own tasks)."""

    def __init__(
        self, url: str, folder: Path, module: str, *options: str, env: dict[str, str] | None = None
    ) -> None:
        super().__init__(url, folder, *options)
        self.module = module
        self.env = env or {}

    def start(self, worker_id: str | None = None, *extra: str) -> str:
        self._count += 1
        worker_id = worker_id or f"w{self._count}"
        env = {**os.environ, **self.env, "TASKLIB_DATABASE_URL": self.url}
        with open(self.log_path(worker_id), "ab") as log:
            self.procs[worker_id] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tasklib",
                    "worker",
                    self.module,
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


@contextmanager
def flow_workers(
    url: str, folder: Path, module: str, *options: str, env: dict[str, str] | None = None
) -> Iterator[FlowWorkers]:
    """Worker processes that are all killed when the block ends, whatever happened."""
    group = FlowWorkers(url, folder, module, *options, env=env)
    try:
        yield group
    finally:
        group.kill_all()


@pytest.fixture
def runs_url(database_url: str) -> str:
    """The test database with an empty flow_test.runs for the tasks' records."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(RUNS_DDL)
    return database_url


def sql(url: str, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    return fetch(url, query, params)


def now(url: str) -> datetime:
    """The database's clock, the one every record and claim is stamped with."""
    value: datetime = sql(url, "SELECT clock_timestamp()")[0][0]
    return value


def submit(url: str, tasks: Iterable[dict[str, Any]]) -> int:
    """Queue tasks through tasklib.submit_many (name, args, queue, limit_key); returns how many."""
    items = list(tasks)
    with psycopg.connect(url, autocommit=True) as conn:
        for start in range(0, len(items), 5000):
            conn.execute(
                "SELECT count(*) FROM tasklib.submit_many(%s::jsonb)",
                (json.dumps(items[start : start + 5000]),),
            )
    return len(items)


def states(url: str, queue: str) -> collections.Counter[str]:
    rows = sql(
        url, "SELECT state, count(*) FROM tasklib.tasks WHERE queue = %s GROUP BY 1", (queue,)
    )
    return collections.Counter({state: int(count) for state, count in rows})


def wait_until_completed(
    url: str, queue: str, n: int, within: float, group: FlowWorkers | None = None
) -> None:
    """Wait until ``n`` tasks of ``queue`` completed; fails early if a worker died."""

    def done() -> bool:
        if group is not None:
            for worker_id, proc in group.procs.items():
                if proc.poll() is not None and proc.returncode != -9:
                    raise AssertionError(f"worker {worker_id} exited: {group.log(worker_id)}")
        return states(url, queue)["completed"] >= n

    wait_until(
        done,
        what=f"{n} tasks of {queue} to complete",
        timeout=within,
        interval=0.2,
        detail=lambda: f"states: {dict(states(url, queue))}",
    )


@dataclasses.dataclass(frozen=True)
class Run:
    """One execution of a task function, as its rows in flow_test.runs show it."""

    run: str
    n: int
    key: str | None
    pid: int
    start: datetime
    end: datetime | None  # None: the process died before the function returned
    limited: datetime | None  # when it raised RateLimited, if it did


def read_runs(url: str) -> list[Run]:
    rows = sql(
        url,
        "SELECT run::text, min(n), min(key), min(pid),"
        "       min(at) FILTER (WHERE phase = 'start'),"
        "       min(at) FILTER (WHERE phase = 'end'),"
        "       min(at) FILTER (WHERE phase = 'limited')"
        "  FROM flow_test.runs GROUP BY run",
    )
    return [Run(*row) for row in rows]


def max_overlap(intervals: Iterable[tuple[datetime, datetime, str | None]]) -> tuple[int, int]:
    """The most intervals open at once, overall and for any one key.

    An interval that ends at the instant another starts does not overlap it.
    """
    events: list[tuple[datetime, int, str | None]] = []
    for start, end, key in intervals:
        events.append((start, 1, key))
        events.append((end, -1, key))
    # At equal times the ends (-1) come first.
    events.sort(key=lambda event: (event[0], event[1]))
    overall = best_overall = best_key = 0
    per_key: collections.Counter[str | None] = collections.Counter()
    for _at, step, key in events:
        overall += step
        per_key[key] += step
        best_overall = max(best_overall, overall)
        if key is not None:
            best_key = max(best_key, per_key[key])
    return best_overall, best_key


def max_in_window(times: list[datetime], seconds: float) -> int:
    """The most of ``times`` in any half-open window [t, t + seconds)."""
    ordered = sorted(times)
    width = timedelta(seconds=seconds)
    best = 0
    low = 0
    for high, at in enumerate(ordered):
        while ordered[low] <= at - width:
            low += 1
        best = max(best, high - low + 1)
    return best


# -- concurrency: 5 overall, 1 per key ------------------------------------------------------

LIMITED_QUEUE = "flow_limited"
LIMITED_TASKS = 2000
LIMITED_KEYS = 50
CONCURRENCY_LIMIT = 5
KEY_LIMIT = 1
WORKERS = 4
SLOTS = 20
KILL_LEASE_SECONDS = 2.0
# The killed worker's tasks are read this long after the kill (see test_worker_crashes.py).
SNAPSHOT_AFTER_SECONDS = 0.5


def _limited_tasks(rng: random.Random) -> list[dict[str, Any]]:
    return [
        {
            "name": "flow.work",
            "queue": LIMITED_QUEUE,
            "limit_key": f"k{n % LIMITED_KEYS}",
            "args": {"n": n, "key": f"k{n % LIMITED_KEYS}", "seconds": rng.uniform(0.005, 0.02)},
        }
        for n in range(LIMITED_TASKS)
    ]


def _set_limits(url: str) -> None:
    sql(
        url,
        "SELECT tasklib.set_queue_limits(%s, concurrency_limit => %s, key_concurrency_limit => %s)",
        (LIMITED_QUEUE, CONCURRENCY_LIMIT, KEY_LIMIT),
    )


def _check_every_task_completed(url: str, runs: list[Run]) -> None:
    assert states(url, LIMITED_QUEUE) == {"completed": LIMITED_TASKS}
    finished = {run.n for run in runs if run.end is not None}
    assert finished == set(range(LIMITED_TASKS)), "every task's function ran to its end"


def test_concurrency_limits_hold_over_four_workers(
    runs_url: str, records: Path, report: ScenarioReport
) -> None:
    url = runs_url
    _set_limits(url)
    report.submitted = submit(url, _limited_tasks(random.Random(16)))
    # The workers' defaults otherwise (poll interval 1 s): a worker claims again as soon as one
    # of its own tasks ends, which is when a slot of the queue frees.
    options = ("-c", str(SLOTS), "--queue", LIMITED_QUEUE)
    began = time.monotonic()
    with flow_workers(url, records, FLOW_TASKS, *options) as group:
        for _ in range(WORKERS):
            group.start()
        wait_until_completed(url, LIMITED_QUEUE, LIMITED_TASKS, within=240, group=group)
        took = time.monotonic() - began
        codes = group.stop_all()
    assert all(code == 0 for code in codes.values()), codes

    runs = read_runs(url)
    _check_every_task_completed(url, runs)
    report.completed = LIMITED_TASKS
    assert len(runs) == LIMITED_TASKS, "no task ran twice"
    overall, per_key = max_overlap((r.start, r.end, r.key) for r in runs if r.end is not None)
    report.figures += [
        f"{WORKERS} workers x {SLOTS} slots, limits {CONCURRENCY_LIMIT} overall and {KEY_LIMIT}"
        f" per key over {LIMITED_KEYS} keys: most running at once {overall} overall,"
        f" {per_key} for one key; drained {LIMITED_TASKS} in {took:.1f} s",
    ]
    assert overall <= CONCURRENCY_LIMIT
    assert per_key <= KEY_LIMIT
    # The limit is used, not merely respected.
    assert overall == CONCURRENCY_LIMIT


def test_concurrency_limits_hold_when_a_worker_is_killed(
    runs_url: str, records: Path, report: ScenarioReport
) -> None:
    url = runs_url
    _set_limits(url)
    report.submitted = submit(url, _limited_tasks(random.Random(17)))
    options = (
        "-c",
        str(SLOTS),
        "--queue",
        LIMITED_QUEUE,
        "--lease-seconds",
        str(KILL_LEASE_SECONDS),
    )
    with flow_workers(url, records, FLOW_TASKS, *options) as group:
        ids = [group.start() for _ in range(WORKERS)]

        def victim_holding_tasks() -> tuple[str, list[int]] | None:
            # Mid-run, and a worker in the middle of tasks: its slots are what must come back.
            if states(url, LIMITED_QUEUE)["completed"] < LIMITED_TASKS // 2:
                return None
            for worker_id in ids:
                held = sql(
                    url,
                    "SELECT (args->>'n')::int FROM tasklib.tasks"
                    " WHERE queue = %s AND state = 'running' AND worker_id = %s",
                    (LIMITED_QUEUE, worker_id),
                )
                if held:
                    return worker_id, [row[0] for row in held]
            return None

        victim, _ = wait_until(
            victim_holding_tasks, what="a worker holding tasks mid-run", timeout=240, interval=0.01
        )
        victim_pid = group.pid(victim)
        group.kill(victim)
        killed_at = now(url)  # the dead process ran nothing past this
        # A claim the server was still running for it commits within moments; its leases
        # (renewed every lease/3 until the kill) run out no sooner than 2/3 of a lease later.
        time.sleep(SNAPSHOT_AFTER_SECONDS)
        held = [
            int(row[0])
            for row in sql(
                url,
                "SELECT (args->>'n')::int FROM tasklib.tasks"
                " WHERE queue = %s AND state = 'running' AND worker_id = %s",
                (LIMITED_QUEUE, victim),
            )
        ]
        wait_until_completed(url, LIMITED_QUEUE, LIMITED_TASKS, within=240, group=group)
        codes = group.stop_all()
    assert all(code == 0 for code in codes.values()), codes
    assert held, "the killed worker held running tasks"

    runs = read_runs(url)
    _check_every_task_completed(url, runs)
    report.completed = LIMITED_TASKS
    # Only the killed worker left executions without an end, and only for the tasks it held;
    # each of those ran again elsewhere and counts one recovered attempt.
    cut = [run for run in runs if run.end is None]
    assert {run.pid for run in cut} <= {victim_pid}
    assert {run.n for run in cut} <= set(held)
    retried = dict(
        sql(
            url,
            "SELECT (args->>'n')::int, retry_count FROM tasklib.tasks"
            " WHERE queue = %s AND retry_count > 0",
            (LIMITED_QUEUE,),
        )
    )
    assert retried == dict.fromkeys(held, 1)
    twice = collections.Counter(run.n for run in runs)
    assert {n for n, count in twice.items() if count > 1} <= set(held)
    report.run_twice["held by the SIGKILLed worker (re-run after its lease)"] = sum(
        1 for count in twice.values() if count > 1
    )

    # A cut execution ran at most until the kill: counting it as running until then (an upper
    # bound) can only raise the overlap.
    intervals = [(r.start, r.end or killed_at, r.key) for r in runs]
    assert all(r.start <= killed_at for r in cut)
    overall, per_key = max_overlap(intervals)
    # The slots came back: after the dead worker's leases expired and its tasks were recovered,
    # the queue ran at its limit again.
    recovered_by = killed_at + timedelta(seconds=KILL_LEASE_SECONDS)
    after, _ = max_overlap((s, e, k) for s, e, k in intervals if s > recovered_by)
    report.figures += [
        f"SIGKILL of a worker holding {len(held)} task(s) (lease {KILL_LEASE_SECONDS:g} s):"
        f" most running at once {overall} overall, {per_key} for one key; after its leases"
        f" expired, {after} at once",
    ]
    assert overall <= CONCURRENCY_LIMIT
    assert per_key <= KEY_LIMIT
    assert after == CONCURRENCY_LIMIT, "the dead worker's slots returned"


# -- rate: 50 starts a second ---------------------------------------------------------------

RATE_QUEUE = "flow_rate"
RATE = 50
RATE_BURST = 5
RATE_SECONDS = 10.0


def test_rate_limit_holds_and_is_used(runs_url: str, records: Path, report: ScenarioReport) -> None:
    url = runs_url
    sql(
        url,
        "SELECT tasklib.set_queue_limits(%s, rate_limit => %s, rate_period_seconds => 1,"
        " rate_burst => %s)",
        (RATE_QUEUE, RATE, RATE_BURST),
    )
    # More than the window can start, so the queue never runs dry while it is measured.
    n = int(RATE * RATE_SECONDS * 1.5)
    report.submitted = submit(
        url,
        ({"name": "flow.work", "queue": RATE_QUEUE, "args": {"n": i}} for i in range(n)),
    )
    options = ("-c", str(SLOTS), "--queue", RATE_QUEUE)
    with flow_workers(url, records, FLOW_TASKS, *options) as group:
        for _ in range(WORKERS):
            group.start()

        def first_start() -> datetime | None:
            value: datetime | None = sql(
                url, "SELECT min(started_at) FROM tasklib.tasks WHERE queue = %s", (RATE_QUEUE,)
            )[0][0]
            return value

        began = wait_until(first_start, what="the first start", timeout=60)
        end = began + timedelta(seconds=RATE_SECONDS)
        # Past the measured window by a margin, so that every start in it has been recorded.
        wait_until(
            lambda: now(url) > end + timedelta(seconds=1),
            what="the measured window to pass",
            timeout=RATE_SECONDS + 30,
            interval=0.2,
        )
        codes = group.stop_all()
    assert all(code == 0 for code in codes.values()), codes

    claimed = [
        row[0]
        for row in sql(
            url,
            "SELECT started_at FROM tasklib.tasks WHERE queue = %s AND started_at < %s",
            (RATE_QUEUE, end),
        )
    ]
    functions = [run.start for run in read_runs(url) if run.start < end]
    allowed = RATE_BURST + RATE * RATE_SECONDS
    densest_claims = max_in_window(claimed, 1.0)
    densest_functions = max_in_window(functions, 1.0)
    report.completed = len(claimed)
    report.figures += [
        f"rate {RATE}/s, burst {RATE_BURST}, {WORKERS} workers: {len(claimed)} starts in"
        f" {RATE_SECONDS:g} s of {allowed:g} allowed ({len(claimed) / allowed:.1%});"
        f" densest 1-second window: {densest_claims} claims, {densest_functions} function starts",
    ]
    # The bucket governs the claims, which start the tasks (started_at). Each function begins
    # a moment after its claim returns, a moment that varies with the worker's scheduling, so
    # the function starts are reported, not bounded: a window of them may catch a start more.
    assert densest_claims <= RATE + RATE_BURST
    ordered = sorted(claimed)
    gaps = sorted((b - a).total_seconds() for a, b in itertools.pairwise(ordered))
    # A long pause between starts while tokens were there means every worker slept.
    assert len(claimed) >= 0.9 * allowed, f"longest pauses between starts (s): {gaps[-5:]}"


# -- back-pressure: RateLimited -------------------------------------------------------------

THROTTLED_QUEUE = "flow_throttled"
RETRY_AFTER = 2.0


@pytest.mark.parametrize("scope", ["key", "queue"])
def test_rate_limited_holds_its_key_or_queue(
    runs_url: str, records: Path, report: ScenarioReport, scope: str
) -> None:
    """The first task of key k raises RateLimited(retry_after=2): k (or the whole queue) waits.

    A limit of one running task per key (per queue, for scope "queue") makes the hold exact:
    the raising task holds the only slot until rate_limited hands it back and suspends, in one
    statement, so no claim can slip in between; with a wider limit, tasks claimed just before
    the suspension committed would still start.
    """
    url = runs_url
    limit = "key_concurrency_limit" if scope == "key" else "concurrency_limit"
    sql(url, f"SELECT tasklib.set_queue_limits(%s, {limit} => 1)", (THROTTLED_QUEUE,))
    keys = ["k", "a", "b", "c", "d"]
    tasks: list[dict[str, Any]] = [
        {
            "name": "flow.throttled",
            "queue": THROTTLED_QUEUE,
            "limit_key": "k",
            "args": {"n": 0, "key": "k", "retry_after": RETRY_AFTER, "scope": scope},
        }
    ]
    tasks += [
        {
            "name": "flow.work",
            "queue": THROTTLED_QUEUE,
            "limit_key": key,
            "args": {"n": 1 + i, "key": key, "seconds": 0.05},
        }
        for i, key in enumerate(key for _ in range(30) for key in keys)
    ]
    report.submitted = submit(url, tasks)
    options = ("-c", "4", "--queue", THROTTLED_QUEUE)
    with flow_workers(url, records, FLOW_TASKS, *options) as group:
        for _ in range(2):
            group.start()
        wait_until_completed(url, THROTTLED_QUEUE, len(tasks), within=120, group=group)
        codes = group.stop_all()
    assert all(code == 0 for code in codes.values()), codes
    report.completed = len(tasks)

    runs = read_runs(url)
    limited = [run for run in runs if run.limited is not None]
    assert len(limited) == 1
    raised_at = limited[0].limited
    assert raised_at is not None
    held_until = raised_at + timedelta(seconds=RETRY_AFTER)
    during = [run for run in runs if raised_at < run.start < held_until]
    held = [run for run in during if scope == "queue" or run.key == "k"]
    assert held == [], f"started while the {scope} was held: {held}"
    if scope == "key":
        assert {run.key for run in during} == {"a", "b", "c", "d"}, "the other keys went on"
    retry_count, attempt, state = sql(
        url,
        "SELECT retry_count, attempt, state FROM tasklib.tasks WHERE name = 'flow.throttled'",
    )[0]
    assert (retry_count, attempt, state) == (0, 2, "completed"), "no retry spent"
    held_runs = [r for r in runs if r.start > raised_at and (scope == "queue" or r.key == "k")]
    resumed = min(run.start for run in held_runs)
    report.figures += [
        f"RateLimited(retry_after={RETRY_AFTER:g}, scope={scope}): the {scope}'s next start"
        f" {(resumed - raised_at).total_seconds():.2f} s after the raise; {len(during)} starts"
        " of other keys meanwhile; retry_count 0, attempt 2",
    ]


def test_no_request_refused_after_the_first_429_of_a_window(
    database_url: str, records: Path, report: ScenarioReport
) -> None:
    """Tasks of examples/flow_control call its server, which refuses calls past its limit."""
    from examples.flow_control.server import ApiServer

    url = database_url
    accounts = [f"acct{i}" for i in range(4)]
    calls = 200
    with ApiServer(limit=5, window_seconds=1) as server:
        sql(url, "SELECT tasklib.set_queue_limits('partner_api', key_concurrency_limit => 1)")
        report.submitted = submit(
            url,
            (
                {
                    "name": "flow_control.charge",
                    "queue": "partner_api",
                    # What @task(limit_key="account") derives once a worker has registered
                    # the task type; these are submitted before any worker started.
                    "limit_key": accounts[i % len(accounts)],
                    "args": {"account": accounts[i % len(accounts)], "cents": i},
                }
                for i in range(calls)
            ),
        )
        env = {"PARTNER_API_URL": server.url}
        options = ("-c", "10")
        with flow_workers(url, records, EXAMPLE_TASKS, *options, env=env) as group:
            for _ in range(WORKERS):
                group.start()
            wait_until_completed(url, "partner_api", calls, within=180, group=group)
            codes = group.stop_all()
        stats = server.stats()
    assert all(code == 0 for code in codes.values()), codes
    report.completed = calls
    retried = sql(url, "SELECT args, retry_count, error FROM tasklib.tasks WHERE retry_count > 0")
    assert retried == [], f"a 429 spends no retry: {retried[:3]}"
    assert stats.accepted == calls
    windows_refused = [w for w in stats.windows if w.refused > 0]
    report.figures += [
        f"{calls} calls over {len(accounts)} accounts to a server allowing 5 a second each:"
        f" {stats.refused} refused in {len(windows_refused)} of {len(stats.windows)} windows,"
        f" most refused in one window: {max((w.refused for w in stats.windows), default=0)}",
    ]
    # The first 429 of a window suspends its account until the window ends: nothing else of
    # that account arrives in it.
    assert all(w.refused <= 1 for w in stats.windows), stats.windows


# -- pause and resume -----------------------------------------------------------------------

PAUSED_QUEUE = "flow_paused"


@pytest.mark.parametrize("limited", [False, True], ids=["no_limits", "with_limits"])
def test_pause_stops_starts_and_resume_restarts_them(
    runs_url: str, records: Path, report: ScenarioReport, limited: bool
) -> None:
    url = runs_url
    if limited:
        sql(url, "SELECT tasklib.set_queue_limits(%s, concurrency_limit => 12)", (PAUSED_QUEUE,))
    n = 3000
    report.submitted = submit(
        url,
        (
            {"name": "flow.work", "queue": PAUSED_QUEUE, "args": {"n": i, "seconds": 0.05}}
            for i in range(n)
        ),
    )
    options = ("-c", "4", "--queue", PAUSED_QUEUE)
    with flow_workers(url, records, FLOW_TASKS, *options) as group:
        for _ in range(WORKERS):
            group.start()
        wait_until_completed(url, PAUSED_QUEUE, 100, within=60, group=group)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SELECT tasklib.pause_queue(%s)", (PAUSED_QUEUE,))
            row = conn.execute("SELECT clock_timestamp()").fetchone()
            assert row is not None
            paused_at: datetime = row[0]  # the pause had committed by then
        # The tasks claimed before the pause finish; then nothing runs.
        wait_until(
            lambda: states(url, PAUSED_QUEUE)["running"] == 0,
            what="the running tasks to finish",
            timeout=30,
        )
        settled = len(read_runs(url))
        time.sleep(1.0)  # the paused queue staying idle is the behaviour under test
        assert len(read_runs(url)) == settled, "no start while paused"
        with psycopg.connect(url, autocommit=True) as conn:
            # Read before the resume is sent: workers woken by its NOTIFY claim at once, before
            # a reading taken after the commit could come back.
            row = conn.execute("SELECT clock_timestamp()").fetchone()
            assert row is not None
            resumed_at: datetime = row[0]
            conn.execute("SELECT tasklib.resume_queue(%s)", (PAUSED_QUEUE,))

        def first_start_after_resume() -> datetime | None:
            value: datetime | None = sql(
                url,
                "SELECT min(at) FROM flow_test.runs WHERE phase = 'start' AND at > %s",
                (resumed_at,),
            )[0][0]
            return value

        restarted = wait_until(first_start_after_resume, what="a start after resume", timeout=10)
        codes = group.stop_all()
    assert all(code == 0 for code in codes.values()), codes

    claimed_after_pause = sql(
        url,
        "SELECT count(*) FROM tasklib.tasks"
        " WHERE queue = %s AND started_at > %s AND started_at < %s",
        (PAUSED_QUEUE, paused_at, resumed_at),
    )[0][0]
    runs = read_runs(url)
    report.completed = states(url, PAUSED_QUEUE)["completed"]
    late = [run for run in runs if paused_at < run.start < resumed_at]
    late_claims = sql(
        url,
        "SELECT max(started_at) FROM tasklib.tasks WHERE (args->>'n')::int = ANY (%s)",
        ([run.n for run in late],),
    )[0][0]
    restart_seconds = (restarted - resumed_at).total_seconds()
    report.figures += [
        f"pause ({'limited' if limited else 'unlimited'} queue): {len(late)} function(s) started"
        f" after the pause committed, all claimed before it; resume: first start after"
        f" {restart_seconds * 1000:.0f} ms",
    ]
    assert claimed_after_pause == 0, "no claim after the pause committed"
    assert late_claims is None or late_claims < paused_at
    assert restart_seconds < 1.0
