"""Items 1-3 for any system: single and bulk submits, drain throughput, idle pickup latency."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.probe import ProbeListener
from bench.stats import percentiles
from bench.systems.base import System
from bench.workers import WorkerGroup

# How often the harness asks the store whether the drain is over: half of it is, on average, added
# to a drain, so it is kept well below the ~1 s the fastest drains take.
POLL_SECONDS = 0.01
STARTUP_TIMEOUT = 60.0


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does; --quick shrinks every figure."""

    runs: int
    single_n: int
    drain_n: int
    bulk_batch: int
    drain_cap_seconds: float
    latency_n: int
    history: tuple[int, int]
    claim_cycles: int
    pgbench_seconds: int
    pgbench_rows: int
    # Limit keys of the flow-control item (the per-key drain and the claim cases).
    flow_keys: int = 10_000
    # Tasks per run of each workload (bench.workloads), and the cap on one run's seconds.
    io_n: int = 10_000
    mixed_n: int = 10_000
    cpu_n: int = 2_000
    producers_n: int = 10_000
    workload_cap_seconds: float = 60.0
    # The memory item: tasks pending when the worker starts, and the sampling window.
    memory_pending: int = 100_000
    memory_seconds: float = 10.0


FULL = Sizes(
    runs=3,
    single_n=1000,
    drain_n=50_000,
    bulk_batch=1000,
    drain_cap_seconds=20.0,
    latency_n=500,
    history=(10_000, 1_000_000),
    claim_cycles=10,
    pgbench_seconds=10,
    pgbench_rows=400_000,
)
# For tests/bench: every item runs, in seconds; its numbers mean nothing.
SMOKE = Sizes(
    runs=1,
    single_n=20,
    drain_n=300,
    bulk_batch=100,
    drain_cap_seconds=10.0,
    latency_n=10,
    history=(1_000, 5_000),
    claim_cycles=2,
    pgbench_seconds=1,
    pgbench_rows=20_000,
    flow_keys=100,
    io_n=40,
    mixed_n=60,
    cpu_n=10,
    producers_n=32,
    workload_cap_seconds=30.0,
    memory_pending=500,
    memory_seconds=1.0,
)
QUICK = Sizes(
    runs=1,
    single_n=100,
    drain_n=2_000,
    bulk_batch=500,
    drain_cap_seconds=15.0,
    latency_n=50,
    history=(10_000, 100_000),
    claim_cycles=3,
    pgbench_seconds=3,
    pgbench_rows=100_000,
    io_n=2_000,
    mixed_n=2_000,
    cpu_n=400,
    producers_n=2_000,
    workload_cap_seconds=30.0,
    memory_pending=20_000,
    memory_seconds=5.0,
)


async def single_submits(system: System, n: int) -> float:
    """Submits per second from one client awaiting each submit before the next."""
    await system.reset()
    for _ in range(10):  # connections and prepared statements warm, outside the timing
        await system.submit_noop()
    started = time.perf_counter()
    for _ in range(n):
        await system.submit_noop()
    return n / (time.perf_counter() - started)


async def fill(system: System, n: int, batch: int) -> float:
    """Submit ``n`` no-ops with the bulk API in batches of ``batch``; return submits per second."""
    started = time.perf_counter()
    left = n
    while left > 0:
        size = min(batch, left)
        await system.submit_noops(size)
        left -= size
    return n / (time.perf_counter() - started)


async def drain(
    system: System,
    sizes: Sizes,
    processes: int,
    listener: ProbeListener,
    log_dir: Path,
    before_workers: Callable[[], None],
) -> dict[str, Any]:
    """Fill the queue, then time ``processes`` workers from their first task to the last completion.

    The start is the earliest first-task time the workers report (their clock, shared with the
    harness); the end is when the harness first sees no unfinished task in the store. A drain
    that runs past the cap is stopped there and rated on what completed by then.
    """
    await system.reset()
    n = min(sizes.drain_n, int(system.settings.get("drain_tasks", sizes.drain_n)))
    bulk_rate = await fill(system, n, sizes.bulk_batch)
    before_workers()
    listener.reset()
    spawned = time.time()
    group = WorkerGroup(
        system.worker_argv(),
        processes,
        listener.address,
        log_dir / f"{system.name}-drain{processes}.log",
    )
    capped = False
    try:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            now = time.time()
            if listener.firsts:
                if not await system.unfinished():
                    end = time.time()
                    done = n
                    break
                if now - min(listener.firsts.values()) > sizes.drain_cap_seconds:
                    done = await system.completed()
                    end = time.time()
                    capped = True
                    break
            elif now - spawned > STARTUP_TIMEOUT:
                raise RuntimeError(
                    f"no worker started a task in {STARTUP_TIMEOUT:.0f} s:\n{group.log_tail()}"
                )
            group.check_alive()
    finally:
        group.stop()
    first = min(listener.firsts.values())
    return {
        "tasks_per_s": done / (end - first),
        "bulk_submits_per_s": bulk_rate,
        "completed": done,
        "submitted": n,
        "capped": capped,
        "seconds": end - first,
        "startup_seconds": first - spawned,
        "tasks_per_s_incl_startup": done / (end - spawned),
        "processes_reporting": len(listener.firsts),
    }


async def pickup_latency(
    system: System, n: int, listener: ProbeListener, log_dir: Path
) -> dict[str, Any]:
    """Idle pickup latency: submit returning -> task function starting, one task at a time."""
    await system.reset()
    listener.reset()
    group = WorkerGroup(
        system.worker_argv(), 1, listener.address, log_dir / f"{system.name}-latency.log"
    )
    try:
        # Warm-up tasks prove the worker is up and idle before sampling starts.
        for token in (-1, -2, -3):
            await system.submit_probe(token)
            await _wait(listener, group, token, STARTUP_TIMEOUT)
        samples = []
        for token in range(n):
            # A random idle gap, so that pollers and timers do not line up with submissions.
            await asyncio.sleep(random.uniform(0.01, 0.02))
            await system.submit_probe(token)
            returned = time.time()
            started = await _wait(listener, group, token, 10.0)
            samples.append(started - returned)
    finally:
        group.stop()
    return {**percentiles(samples), "n": n, "negative": sum(1 for s in samples if s < 0)}


async def _wait(listener: ProbeListener, group: WorkerGroup, token: int, limit: float) -> float:
    deadline = time.monotonic() + limit
    while True:
        try:
            return await listener.wait_start(
                token, min(1.0, max(0.01, deadline - time.monotonic()))
            )
        except TimeoutError:
            group.check_alive()
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"probe task {token} did not start in {limit:.0f} s:\n{group.log_tail()}"
                ) from None
