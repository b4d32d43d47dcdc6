"""Concurrent claims from several connections never hand out a task twice, and none is lost."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import psycopg
from psycopg.types.json import Jsonb

TASKS = 20_000
WORKERS = 4
BATCH = 50


def _drain(url: str, worker: str, claimed: list[uuid.UUID], start: threading.Barrier) -> None:
    """Claim and complete batches until a claim comes back empty."""
    with psycopg.connect(url, autocommit=True) as conn:
        start.wait()
        while True:
            token = uuid.uuid4()
            rows = conn.execute(
                "SELECT id FROM tasklib.claim(%s, %s, lease_token => %s)", (worker, BATCH, token)
            ).fetchall()
            if not rows:
                return
            ids = [row[0] for row in rows]
            claimed.extend(ids)
            done = conn.execute(
                "SELECT * FROM tasklib.complete(%s, %s, %s::uuid[], %s::jsonb[])",
                (worker, ids, [token] * len(ids), [Jsonb(worker)] * len(ids)),
            ).fetchall()
            # Nobody else may have finished a task this worker holds.
            assert sorted(row[0] for row in done) == sorted(ids)


def test_four_workers_drain_twenty_thousand_tasks_each_exactly_once(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        batch = [{"name": "test.concurrency", "args": {"i": i}} for i in range(TASKS)]
        submitted = [
            row[0]
            for row in conn.execute(
                "SELECT * FROM tasklib.submit_many(%s)", (Jsonb(batch),)
            ).fetchall()
        ]
    assert len(set(submitted)) == TASKS

    claimed_by: dict[str, list[uuid.UUID]] = {f"worker-{n}": [] for n in range(WORKERS)}
    errors: list[BaseException] = []
    start = threading.Barrier(WORKERS)

    def run(worker: str) -> None:
        try:
            _drain(database_url, worker, claimed_by[worker], start)
        except BaseException as error:  # reported below, in the test's own thread
            errors.append(error)
            start.abort()

    threads = [threading.Thread(target=run, args=(worker,)) for worker in claimed_by]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker never finished"
    assert not errors, errors

    counts = Counter(task_id for ids in claimed_by.values() for task_id in ids)
    twice = [task_id for task_id, count in counts.items() if count > 1]
    assert twice == [], f"{len(twice)} tasks were handed out more than once"
    assert set(counts) == set(submitted), "some tasks were never claimed"
    # Each connection really took part (else the test proves nothing about concurrency).
    assert all(ids for ids in claimed_by.values()), {w: len(ids) for w, ids in claimed_by.items()}

    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute("SELECT state, count(*) FROM tasklib.tasks GROUP BY state").fetchall()
        states = {str(state): count for state, count in rows}
        mismatched = conn.execute(
            "SELECT count(*) FROM tasklib.tasks"
            " WHERE result <> jsonb_build_object('value', worker_id)"
        ).fetchone()
    assert states == {"completed": TASKS}
    # Every result was written by the worker that held the task.
    assert mismatched == (0,)
