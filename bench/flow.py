"""Item 7: what flow control costs (TaskLib only): a drain under a per-key limit, and claims.

The drain is item 2's, on a queue limited to one running task per limit key, its tasks spread
over ``keys`` keys (10,000 in full runs). The claim figures time one ``tasklib.claim(worker,
100)`` round trip on a backlog of 100,000 due tasks, then complete the 100 claimed (so every
cycle starts alike), in these cases:

- ``no_limits``: a queue without limits (the plain claim path);
- ``key_limit_100`` / ``key_limit_10000``: one running task per key, over 100 or 10,000 keys:
  whether a claim's cost grows with the number of keys;
- ``key_limit_10000_running_500`` / ``_5000``: the same with 500 or 5,000 tasks of other keys
  running (held by another claimer), which claim counts per key and steps over;
  ``no_limits_running_5000`` is the plain claim with as many running;
- ``key_limit_hot_key_ahead``: one key at its limit whose 10,000-task backlog comes first in
  claim order, which the claim's scan steps over.
"""

from __future__ import annotations

import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

import tasklib
from bench import measure
from bench.probe import ProbeListener
from bench.stats import summary
from bench.systems.tasklib_system import TaskLib, noop

WORKER = "bench-flow"
HOLDER = "bench-flow-holder"
BATCH = 100
QUEUE = "flow"


class KeyedTaskLib(TaskLib):
    """TaskLib draining a queue limited to one running task per key, over ``keys`` keys."""

    def __init__(self, target: str, settings: dict[str, Any], keys: int) -> None:
        super().__init__(target, settings)
        self.keys = keys
        self._next = 0

    async def setup(self) -> None:
        await super().setup()
        # The no-op task's queue ('default'), limited: the workers are item 2's, unchanged.
        await self.conn.execute(
            "SELECT tasklib.set_queue_limits('default', key_concurrency_limit => 1)"
        )

    async def submit_noops(self, n: int) -> None:
        first, self._next = self._next, self._next + n
        await tasklib.submit_many(
            noop.prepare().with_options(limit_key=f"k{i % self.keys}")
            for i in range(first, first + n)
        )


async def drains(
    target: str,
    settings: dict[str, Any],
    sizes: measure.Sizes,
    listener: ProbeListener,
    log_dir: Path,
    checkpoint: Any,
) -> dict[str, Any]:
    """Item 2's drain, 1 and 2 worker processes, on the per-key-limited queue."""
    system = KeyedTaskLib(target, settings, sizes.flow_keys)
    await system.setup()
    out: dict[str, Any] = {"keys": sizes.flow_keys, "settings": system.settings}
    try:
        for processes in (1, 2):
            runs = [
                await measure.drain(system, sizes, processes, listener, log_dir, checkpoint)
                for _ in range(sizes.runs)
            ]
            out[f"drain_{processes}"] = {
                **summary([r["tasks_per_s"] for r in runs]),
                "capped": any(r["capped"] for r in runs),
                "details": runs,
            }
    finally:
        await system.close()
    return out


# -- claim cost -------------------------------------------------------------------------------

# Due tasks of the queue, made in one statement: the backlog a claim looks into. A key of NULL
# leaves the task without one.
_BACKLOG = """
INSERT INTO tasklib.tasks (name, queue, limit_key, scheduled_at, created_at)
SELECT 'bench.noop', %(queue)s,
       CASE WHEN g <= %(hot)s THEN 'hot'
            WHEN %(keys)s > 0 THEN 'k' || (g %% %(keys)s) END,
       now() - interval '1 hour' + make_interval(secs => g::double precision / 1000),
       now() - interval '1 hour' + make_interval(secs => g::double precision / 1000)
  FROM generate_series(1, %(n)s) AS g
"""


def _cycle(conn: psycopg.Connection[Any], batch: int) -> float:
    """Time one claim of ``batch``, complete what it took, and return the claim's seconds."""
    token = uuid.uuid4()
    started = time.perf_counter()
    ids = [
        row[0]
        for row in conn.execute(
            "SELECT id FROM tasklib.claim(%s, %s, ARRAY[%s], lease_token => %s)",
            (WORKER, batch, QUEUE, token),
        )
    ]
    elapsed = time.perf_counter() - started
    if len(ids) != batch:
        raise RuntimeError(f"claim returned {len(ids)} tasks, expected {batch}")
    conn.execute(
        "SELECT count(*) FROM tasklib.complete(%s, %s, %s::uuid[])",
        (WORKER, ids, [token] * len(ids)),
    )
    return elapsed


def _case(
    url: str,
    *,
    keys: int,
    limited: bool,
    hot: int,
    running: int,
    backlog: int,
    batch: int,
    runs: int,
    cycles: int,
) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE tasklib.tasks, tasklib.queue_keys")
        conn.execute(
            "SELECT tasklib.set_queue_limits(%s, key_concurrency_limit => %s)",
            (QUEUE, 1 if limited else None),
        )
        conn.execute(_BACKLOG, {"queue": QUEUE, "hot": hot, "keys": keys, "n": backlog + hot})
        conn.execute("VACUUM ANALYZE tasklib.tasks")
        if hot or running:
            # Another claimer holds tasks for the whole measurement (an hour's lease): the hot
            # key's first task, and ``running`` tasks of other keys.
            conn.execute(
                "SELECT count(*) FROM tasklib.claim(%s, %s, ARRAY[%s], lease_seconds => 3600)",
                (HOLDER, running + (1 if hot else 0), QUEUE),
            )
        conn.execute("CHECKPOINT")
        # PL/pgSQL settles on a cached plan after five calls; warm past that and the cache.
        for _ in range(8):
            _cycle(conn, batch)
        values = [
            statistics.median(_cycle(conn, batch) for _ in range(cycles)) * 1000
            for _ in range(runs)
        ]
    return {
        "keys": keys,
        "key_limit": 1 if limited else None,
        "hot_backlog": hot,
        "running": running,
        "claim_ms": summary(values),
    }


def cases(keys: int) -> dict[str, dict[str, Any]]:
    """The claim cases for ``keys`` keys (10,000 in full runs; fewer in the harness's test)."""
    few = min(100, keys)
    return {
        "no_limits": {"keys": keys, "limited": False, "hot": 0, "running": 0},
        f"key_limit_{few}": {"keys": few, "limited": True, "hot": 0, "running": 0},
        f"key_limit_{keys}": {"keys": keys, "limited": True, "hot": 0, "running": 0},
        f"no_limits_running_{keys // 2}": {
            "keys": keys,
            "limited": False,
            "hot": 0,
            "running": keys // 2,
        },
        f"key_limit_{keys}_running_{keys // 20}": {
            "keys": keys,
            "limited": True,
            "hot": 0,
            "running": keys // 20,
        },
        f"key_limit_{keys}_running_{keys // 2}": {
            "keys": keys,
            "limited": True,
            "hot": 0,
            "running": keys // 2,
        },
        "key_limit_hot_key_ahead": {"keys": keys, "limited": True, "hot": keys, "running": 0},
    }


def claim_cost(url: str, runs: int, cycles: int, keys: int) -> dict[str, Any]:
    """Claim time (ms: median of ``cycles`` claims per run) in each case of ``cases(keys)``.

    The backlog is 10 due tasks per key (100,000 at 10,000 keys); a claim takes 100 (fewer
    when there are fewer than 400 keys, so that the keys left free always fill it).
    """
    tasklib.migrate(url)
    backlog = 10 * keys
    batch = min(BATCH, keys // 4)
    results: dict[str, Any] = {"batch": batch, "backlog": backlog, "cases": {}}
    for name, case in cases(keys).items():
        results["cases"][name] = _case(
            url, **case, backlog=backlog, batch=batch, runs=runs, cycles=cycles
        )
    return results


def markdown(flow: dict[str, Any]) -> str:
    """The results of item 7 as a Markdown section."""
    if "drain_1" not in flow:
        return f"### Flow control (TaskLib)\n\nNot measured: {flow.get('status', '?')}\n"

    def cell(figure: dict[str, Any]) -> str:
        return f"{figure['median']:,.0f} ({figure['min']:,.0f}–{figure['max']:,.0f})"

    lines = [
        "### Flow control (TaskLib)",
        "",
        f"Drain of the queue limited to one running task per key, over {flow['keys']:,} keys"
        " (tasks/s):",
        "",
        "| Worker processes | Tasks/s |",
        "|---|---|",
        f"| 1 | {cell(flow['drain_1'])} |",
        f"| 2 | {cell(flow['drain_2'])} |",
        "",
        f"One `tasklib.claim(worker, {flow['claim']['batch']})` on a backlog of"
        f" {flow['claim']['backlog']:,} due"
        " tasks (ms):",
        "",
        "| Case | Claim (ms) |",
        "|---|---|",
    ]
    for name, case in flow["claim"]["cases"].items():
        figure = case["claim_ms"]
        lines.append(
            f"| {name} | {figure['median']:.2f} ({figure['min']:.2f}–{figure['max']:.2f}) |"
        )
    return "\n".join(lines) + "\n"
