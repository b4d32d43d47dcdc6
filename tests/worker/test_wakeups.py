"""Submits wake idle workers with NOTIFY only while one waits, and no wake-up is lost.

The workers here poll once an hour, so a task whose NOTIFY went missing would wait for that
hour: every task being picked up within seconds shows each one was announced to a waiting
worker (or found by the claim a worker makes right after saying it waits).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import psycopg

import tasklib
from tests.support.waiting import wait_until_async
from tests.worker import tasks_inprocess
from tests.worker.support import fetch, running_worker

# Far beyond the test's own time: no task may depend on a poll to be found.
NO_POLL = 3600.0
QUEUE = "wakeups"


def _notifications(listener: psycopg.Connection[Any]) -> list[str]:
    return [n.payload for n in listener.notifies(timeout=0.2, stop_after=10)]


def test_a_submit_notifies_only_while_a_worker_waits(url: str) -> None:
    with (
        psycopg.connect(url, autocommit=True) as listener,
        psycopg.connect(url, autocommit=True) as conn,
    ):
        listener.execute("LISTEN tasklib_submitted")
        conn.execute("SELECT tasklib.submit('wakeups.first', queue => %s)", (QUEUE,))
        assert _notifications(listener) == [QUEUE], "a new queue's first task always notifies"
        conn.execute("SELECT tasklib.submit('wakeups.nobody', queue => %s)", (QUEUE,))
        assert _notifications(listener) == [], "no worker waits: no NOTIFY"

        row = conn.execute("SELECT tasklib.wait_for_tasks(ARRAY[%s])", (QUEUE,)).fetchone()
        assert row == (True,)
        conn.execute("SELECT tasklib.submit('wakeups.woken', queue => %s)", (QUEUE,))
        conn.execute("SELECT tasklib.submit('wakeups.after', queue => %s)", (QUEUE,))
        assert _notifications(listener) == [QUEUE], "the first submit after the wait notifies"

        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            conn.execute("SELECT tasklib.submit('wakeups.rr', queue => %s)", (QUEUE,))
        assert _notifications(listener) == [QUEUE], (
            "under REPEATABLE READ the flag may be read too early: always notify"
        )


def test_a_worker_cannot_say_it_waits_while_a_submit_is_in_flight(url: str) -> None:
    with (
        psycopg.connect(url, autocommit=True) as submitter,
        psycopg.connect(url, autocommit=True) as other,
        psycopg.connect(url, autocommit=True) as worker,
        psycopg.connect(url, autocommit=True) as listener,
    ):
        listener.execute("LISTEN tasklib_submitted")
        submitter.execute("SELECT tasklib.submit('wakeups.seed', queue => %s)", (QUEUE,))
        _notifications(listener)
        with submitter.transaction():
            submitter.execute("SELECT tasklib.submit('wakeups.open', queue => %s)", (QUEUE,))
            row = worker.execute("SELECT tasklib.wait_for_tasks(ARRAY[%s])", (QUEUE,)).fetchone()
            assert row == (False,), "the submit may have read the flag before it was set"
            # The flag is set all the same: another application's submit is not held up.
            other.execute("SELECT tasklib.submit('wakeups.other', queue => %s)", (QUEUE,))
            assert _notifications(listener) == [QUEUE], "a later submit notifies"
        row = worker.execute("SELECT tasklib.wait_for_tasks(ARRAY[%s])", (QUEUE,)).fetchone()
        assert row == (True,)


async def test_many_producers_wake_idle_workers_without_polling(url: str) -> None:
    rounds, producers = 20, 8
    armed = "SELECT 1 FROM tasklib.queue_waits WHERE queue = %s AND armed"
    done = "SELECT count(*) FROM tasklib.tasks WHERE state = 'completed'"
    async with contextlib.AsyncExitStack() as workers:
        for i in range(3):
            await workers.enter_async_context(
                running_worker(
                    url,
                    concurrency=2,
                    queues=[QUEUE],
                    worker_id=f"wakeups-{i}",
                    poll_interval_seconds=NO_POLL,
                    lease_seconds=NO_POLL,
                )
            )
        connections = [
            await psycopg.AsyncConnection.connect(url, autocommit=True) for _ in range(producers)
        ]
        try:
            for round_ in range(rounds):
                # The workers ran out of work and one of them said it waits: they sleep, or
                # are about to, when the burst comes; only a NOTIFY or their last claim
                # before sleeping finds its tasks.
                await wait_until_async(lambda: fetch(url, armed, (QUEUE,)), what="a waiting worker")

                async def produce(conn: psycopg.AsyncConnection[Any], n: int) -> None:
                    # The SQL-only path (psql, another language) wakes workers the same way.
                    await conn.execute(
                        "SELECT tasklib.submit('tests.worker.tasks_inprocess.echo_number',"
                        " jsonb_build_object('n', %s::int), queue => %s)",
                        (n, QUEUE),
                    )
                    await tasklib.submit_task(tasks_inprocess.echo_number, n=n, queue=QUEUE)

                await asyncio.gather(*(produce(c, n) for n, c in enumerate(connections)))
                total = (round_ + 1) * producers * 2
                await wait_until_async(
                    lambda: fetch(url, done)[0][0] == total,  # noqa: B023 (awaited at once)
                    timeout=30,
                    what=f"round {round_ + 1}'s tasks to complete",
                    detail=lambda: fetch(
                        url, "SELECT state, count(*) FROM tasklib.tasks GROUP BY state"
                    ),
                )
        finally:
            for conn in connections:
                await conn.close()
    slowest = fetch(
        url, "SELECT max(extract(epoch FROM started_at - created_at)) FROM tasklib.tasks"
    )[0][0]
    # Generous for a loaded CI machine, and nothing like the hour a lost wake-up would cost.
    assert slowest < 10, f"a task waited {slowest:.1f} s to start"
