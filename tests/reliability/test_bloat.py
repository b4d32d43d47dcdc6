"""Bloat: a long churn of submit, claim, complete and purge keeps the table small and claims flat.

Every task row is inserted, rewritten by claim and by complete, then deleted by purge: three
dead versions per task. Only vacuum makes that space reusable, so the table's autovacuum
settings (sql/deploy/tables.sql) decide whether it stays bounded. The scenario runs on the
suite's private server (the shared test server may run with autovacuum off), keeps a backlog of
pending tasks, and samples dead tuples, size and claim times as it goes. It asserts only gross
bounds: the size levels off instead of growing with the churn; timings are reported, not judged.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid

import psycopg
import pytest

from tests.reliability.conftest import PrivateServer, Scale
from tests.reliability.support import ScenarioReport

pytestmark = pytest.mark.slow

BACKLOG = 5_000
ROUND = 1_000
CLAIM_BATCH = 100

_SAMPLE = """
SELECT n_live_tup, n_dead_tup, pg_total_relation_size('tasklib.tasks'),
       pg_relation_size('tasklib.tasks'), autovacuum_count, n_tup_upd, n_tup_hot_upd
  FROM pg_stat_user_tables WHERE relid = 'tasklib.tasks'::regclass
"""


def _sample(conn: psycopg.Connection[tuple[object, ...]]) -> tuple[object, ...]:
    # Backends send their statistics at most once a second; ask for ours now. The flush happens
    # when this statement ends, before the server answers it, so the next query sees it.
    conn.execute("SELECT pg_stat_force_next_flush()")
    return conn.execute(_SAMPLE).fetchone() or ()


def _submit(conn: psycopg.Connection[tuple[object, ...]], start: int, count: int) -> None:
    payload = [{"name": "rel.churn", "args": {"i": i}} for i in range(start, start + count)]
    conn.execute("SELECT count(*) FROM tasklib.submit_many(%s::jsonb)", (json.dumps(payload),))


def _mb(size: object) -> str:
    return f"{int(size) / 2**20:.1f} MB"  # type: ignore[call-overload]


def test_churn_keeps_size_bounded_and_claims_flat(
    private_server: PrivateServer, scale: Scale, report: ScenarioReport
) -> None:
    private_server.set("autovacuum_naptime", scale.autovacuum_naptime)
    url = private_server.make_database("bloat")
    claim_ms: list[list[float]] = []
    samples: list[tuple[float, tuple[object, ...]]] = []
    submitted = completed = purged = 0
    with psycopg.connect(url, autocommit=True) as conn:
        _submit(conn, 0, BACKLOG)
        submitted = BACKLOG
        began = time.monotonic()
        next_sample = began
        while (elapsed := time.monotonic() - began) < scale.churn_seconds:
            if time.monotonic() >= next_sample:
                samples.append((elapsed, _sample(conn)))
                next_sample += scale.churn_seconds / 20
            _submit(conn, submitted, ROUND)
            submitted += ROUND
            timings: list[float] = []
            for _ in range(ROUND // CLAIM_BATCH):
                token = uuid.uuid4()
                t0 = time.perf_counter()
                ids = [
                    row[0]
                    for row in conn.execute(
                        "SELECT id FROM tasklib.claim('churn', %s, lease_token => %s)",
                        (CLAIM_BATCH, token),
                    )
                ]
                timings.append((time.perf_counter() - t0) * 1000)
                done = conn.execute(
                    "SELECT count(*) FROM tasklib.complete('churn', %s::uuid[], %s::uuid[])",
                    (ids, [token] * len(ids)),
                ).fetchone()
                completed += int(done[0]) if done else 0
            claim_ms.append(timings)
            row = conn.execute("SELECT tasklib.purge(older_than => interval '0')").fetchone()
            purged += int(row[0]) if row else 0
        samples.append((time.monotonic() - began, _sample(conn)))
        states: dict[str, int] = dict(
            conn.execute("SELECT state, count(*) FROM tasklib.tasks GROUP BY state").fetchall()
        )
        reloptions = conn.execute(
            "SELECT reloptions FROM pg_class WHERE oid = 'tasklib.tasks'::regclass"
        ).fetchone()
    report.submitted = submitted
    report.completed = completed
    # The backlog is what remains: nothing churned was lost, nothing stuck running.
    report.lost = submitted - completed - states.get("pending", 0)
    assert states == {"pending": BACKLOG}
    assert purged == completed
    assert report.lost == 0

    rounds = len(claim_ms)
    tenth = max(1, rounds // 10)
    first = statistics.median(t for r in claim_ms[:tenth] for t in r)
    last = statistics.median(t for r in claim_ms[-tenth:] for t in r)
    p95 = statistics.quantiles([t for r in claim_ms for t in r], n=20)[-1]
    start, quarter = samples[0][1], samples[len(samples) // 4][1]
    end = samples[-1][1]
    peak = max(int(s[1][2]) for s in samples)  # type: ignore[call-overload]
    # Gross bound: without vacuum the heap grows by ~3 dead versions per churned task, i.e.
    # linearly with the run; with it, the size levels off after the first vacuums.
    assert int(end[2]) < 2.5 * max(int(quarter[2]), 8 * 2**20), (  # type: ignore[call-overload]
        f"the table kept growing: {_mb(quarter[2])} at a quarter, {_mb(end[2])} at the end"
    )
    assert int(end[4]) >= 1, "autovacuum ran on tasklib.tasks"  # type: ignore[call-overload]
    report.run_twice["(no workers: the churn claims and completes itself)"] = 0
    report.figures += [
        f"{rounds} rounds in {scale.churn_seconds:g} s: {completed} tasks claimed in batches "
        f"of {CLAIM_BATCH}, completed and purged over a backlog of {BACKLOG} pending "
        f"(autovacuum_naptime {scale.autovacuum_naptime}; "
        f"table options {reloptions[0] if reloptions else None})",
        f"claim of {CLAIM_BATCH}: median {first:.2f} ms in the first tenth of the rounds, "
        f"{last:.2f} ms in the last tenth; p95 over all {p95:.2f} ms",
        f"start: {start[0]} live / {start[1]} dead tuples, {_mb(start[2])} total "
        f"(heap {_mb(start[3])}); after a quarter: {_mb(quarter[2])}; "
        f"end: {end[0]} live / {end[1]} dead, {_mb(end[2])} total "
        f"(heap {_mb(end[3])}); peak {_mb(peak)}; {end[4]} autovacuum runs; "
        f"{end[6]} of {end[5]} updates HOT",
    ]
