"""Items 8 and 9: realistic workloads for every system, and worker memory under a deep backlog.

The no-op items (1-3) measure the queue's own cost per task. These give the tasks work and
options: awaited I/O with 1 KB arguments and results, a mix of priorities, failures that retry
and delayed tasks, CPU-bound sync tasks, and 16 producers submitting while workers drain. For
each: throughput, and pickup and end-to-end latency percentiles. The memory item measures the
resident memory of a worker holding 1,000 running tasks with a deep backlog.

Each task reports its first start and its successful end over bench.probe (bench/work.py);
the harness notes when each submit returned. A workload's clock runs from its first submit to
the moment every task has reported its end and the store shows nothing unfinished.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import measure, work
from bench.probe import ProbeListener
from bench.stats import percentiles, summary
from bench.systems.base import System
from bench.workers import WorkerGroup

PAYLOAD_BYTES = 1024
SEED = 20261202


@dataclass(frozen=True)
class Workload:
    """One workload: what its tasks do and how they are submitted and run."""

    title: str
    concurrency: int  # tasks at a time per worker process, the same for every system
    processes: int  # worker processes
    producers: int  # concurrent submitting coroutines (threads for Celery)
    batch: int  # tasks per submit call: 1 uses the single-submit API, more the bulk one
    sync: bool = False  # plain def tasks (CPU-bound), else async def
    sleep_ms: float = 0.0
    cpu_ms: float = 0.0
    payload_bytes: int = 0
    priorities: bool = False  # each task gets a priority 0-9 (uniform)
    fail_share: float = 0.0  # tasks whose first attempt fails, then retries
    delay_share: float = 0.0  # tasks submitted with a delay
    delay_seconds: float = 1.0


WORKLOADS: dict[str, Workload] = {
    "io": Workload(
        "I/O-bound: 20 ms of awaited I/O, 1 KB arguments and 1 KB results",
        concurrency=100,
        processes=1,
        producers=1,
        batch=100,
        sleep_ms=20.0,
        payload_bytes=PAYLOAD_BYTES,
    ),
    "mixed": Workload(
        "Mixed: priorities 0-9, 10% fail once and retry, 5% delayed by 1 s (1 ms tasks)",
        concurrency=100,
        processes=1,  # one process: a task's retry meets the process that failed it
        producers=1,
        batch=100,
        sleep_ms=1.0,
        priorities=True,
        fail_share=0.10,
        delay_share=0.05,
    ),
    "cpu": Workload(
        "CPU-bound: sync tasks of ~5 ms of Python arithmetic, 2 worker processes",
        concurrency=2,
        processes=2,
        producers=1,
        batch=100,
        sync=True,
        cpu_ms=5.0,
    ),
    "producers": Workload(
        "16 concurrent producers, one task per submit, while the workers drain (no-op tasks)",
        concurrency=100,
        processes=1,
        producers=16,
        batch=1,
    ),
}
# Item 12: one worker at concurrency 1,000 over a deep backlog of tasks that each await 1 s.
MEMORY = Workload(
    "Worker memory: concurrency 1,000, tasks awaiting 1 s with 1 KB arguments",
    concurrency=1000,
    processes=1,
    producers=1,
    batch=1000,
    sleep_ms=1000.0,
    payload_bytes=PAYLOAD_BYTES,
)
# The systems that run the memory item; RQ has no workload adapter.
MEMORY_SYSTEMS = ("tasklib", "pgqueuer", "procrastinate")
WORKLOAD_SYSTEMS = ("tasklib", "pgqueuer", "procrastinate", "celery")


def plan(workload: Workload, n: int, loops: int, seed: int) -> list[work.WorkItem]:
    """The tasks of one run, the same for every system (a fixed seed)."""
    rng = random.Random(seed)
    payload = "x" * workload.payload_bytes
    items = []
    for token in range(n):
        items.append(
            work.WorkItem(
                token=token,
                payload=payload,
                sleep_ms=workload.sleep_ms,
                loops=loops if workload.cpu_ms else 0,
                fail=rng.random() < workload.fail_share,
                priority=rng.randrange(10) if workload.priorities else None,
                delay_seconds=workload.delay_seconds if rng.random() < workload.delay_share else 0,
                sync=workload.sync,
            )
        )
    return items


def configure(
    system_class: type[System], target: str, workload: Workload, overrides: dict[str, Any]
) -> System:
    """A system set up for ``workload``; --set overrides win over the workload's settings."""
    probe_system = system_class(target, {})
    settings, processes = probe_system.workload_settings(
        workload.concurrency, workload.processes, workload.sync
    )
    extra: dict[str, Any] = {"workload": True, "processes": processes}
    if workload.producers > 1:
        extra["client_pool"] = workload.producers
    return system_class(target, {**settings, **extra, **overrides})


async def _warm(system: System, listener: ProbeListener, group: WorkerGroup) -> None:
    """Wait until a worker runs a probe task, then a second for its siblings to come up.

    A probe is sent again every 5 s: Celery's worker now and then never ran the first one it
    was sent right after its start (seen in 2 of 8 runs of a workload on a loaded machine).
    """
    deadline = time.monotonic() + measure.STARTUP_TIMEOUT
    token, resend = 0, 0.0
    while not any(t < 0 for t in listener.starts):
        group.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"no worker ran the warm-up task:\n{group.log_tail()}")
        if time.monotonic() >= resend:
            token -= 1
            await system.submit_probe(token)
            resend = time.monotonic() + 5.0
        await asyncio.sleep(0.01)
    await asyncio.sleep(1.0)


async def run_once(
    system: System,
    workload: Workload,
    n: int,
    loops: int,
    cap_seconds: float,
    listener: ProbeListener,
    log_path: Path,
    seed: int,
) -> dict[str, Any]:
    """Start the workers, submit the workload while they drain it, and time it."""
    await system.reset()
    listener.reset()
    items = plan(workload, n, loops, seed)
    group = WorkerGroup(
        system.worker_argv(), int(system.settings["processes"]), listener.address, log_path
    )
    due: dict[int, float] = {}
    last_return = 0.0
    try:
        await _warm(system, listener, group)
        listener.reset()

        async def produce(share: list[work.WorkItem]) -> None:
            nonlocal last_return
            for i in range(0, len(share), workload.batch):
                batch = share[i : i + workload.batch]
                visible = await system.submit_work(batch)
                returned = time.time()
                last_return = max(last_return, returned)
                for index, item in enumerate(batch):
                    at = returned if visible is None else visible[index]
                    due[item.token] = at + item.delay_seconds

        started = time.time()
        producers = asyncio.gather(
            *(produce(items[p :: workload.producers]) for p in range(workload.producers))
        )
        capped = False
        while True:
            await asyncio.sleep(measure.POLL_SECONDS)
            group.check_alive()
            if producers.done():
                producers.result()  # a failed submit fails the run
                if len(listener.ends) >= n and not await system.unfinished():
                    break
            if time.time() - started > cap_seconds:
                capped = True
                break
        end = time.time()
        if not producers.done():
            producers.cancel()
    finally:
        group.stop()
    tokens = [t for t in listener.ends if t in due and t in listener.begins]
    pickup = [listener.begins[t] - due[t] for t in tokens]
    total = [listener.ends[t] - due[t] for t in tokens]
    out: dict[str, Any] = {
        "tasks_per_s": len(listener.ends) / (end - started),
        "completed": len(listener.ends),
        "submitted": len(due),
        "capped": capped,
        "seconds": end - started,
        "submit_seconds": last_return - started,
        "pickup_ms": percentiles(pickup) if len(pickup) > 1 else None,
        "end_to_end_ms": percentiles(total) if len(total) > 1 else None,
        "negative_pickups": sum(1 for s in pickup if s < 0),
        "retried": sum(1 for item in items if item.fail),
        "delayed": sum(1 for item in items if item.delay_seconds),
    }
    if workload.priorities:
        by_priority = {item.token: item.priority for item in items}
        for label, wanted in (("high", 9), ("low", 0)):
            chosen = [
                (listener.ends[t] - due[t]) * 1000 for t in tokens if by_priority[t] == wanted
            ]
            out[f"end_to_end_p50_ms_priority_{label}"] = (
                statistics.median(chosen) if chosen else None
            )
    return out


async def measure_workload(
    system: System,
    name: str,
    n: int,
    runs: int,
    cap_seconds: float,
    listener: ProbeListener,
    log_dir: Path,
) -> dict[str, Any]:
    """``runs`` runs of one workload on one system (set up by configure), summarised."""
    workload = WORKLOADS[name]
    loops = await asyncio.to_thread(work.loops_for, workload.cpu_ms) if workload.cpu_ms else 0
    details = []
    await system.setup()
    try:
        for run in range(runs):
            details.append(
                await run_once(
                    system,
                    workload,
                    n,
                    loops,
                    cap_seconds,
                    listener,
                    log_dir / f"{system.name}-{name}.log",
                    SEED + run,
                )
            )
    finally:
        await system.close()
    out: dict[str, Any] = {
        "label": system.label,
        "settings": system.settings,
        "n": n,
        "loops": loops,
        "tasks_per_s": summary([d["tasks_per_s"] for d in details]),
        "capped": any(d["capped"] for d in details),
        "details": details,
    }
    for key in ("pickup_ms", "end_to_end_ms"):
        found = [d[key] for d in details if d[key] is not None]
        if found:
            out[key] = {cut: summary([f[cut] for f in found]) for cut in ("p50", "p99")}
    out["status"] = "ok"
    return out


# -- memory -------------------------------------------------------------------------------------


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (shared pages counted in each)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        proc = Path(f"/proc/{current}")
        try:
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for thread in (proc / "task").iterdir():
                stack.extend(int(child) for child in (thread / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


async def measure_memory(
    system: System,
    pending: int,
    seconds: float,
    listener: ProbeListener,
    log_dir: Path,
) -> dict[str, Any]:
    """One worker process at its concurrency with ``pending`` tasks queued: sampled RSS.

    The tasks await 1 s (1 KB arguments), so the worker holds as many as its concurrency
    allows for the whole window while the backlog shrinks by only a few thousand.
    """
    await system.setup()
    try:
        await system.reset()
        listener.reset()
        items = plan(MEMORY, pending, 0, SEED)
        for i in range(0, pending, MEMORY.batch):
            await system.submit_work(items[i : i + MEMORY.batch])
        group = WorkerGroup(
            system.worker_argv(), 1, listener.address, log_dir / f"{system.name}-memory.log"
        )
        samples: list[int] = []
        in_flight = 0
        try:
            deadline = time.monotonic() + measure.STARTUP_TIMEOUT
            while not listener.begins:
                group.check_alive()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no task started:\n{group.log_tail()}")
                await asyncio.sleep(0.01)
            window_end = time.monotonic() + seconds
            while time.monotonic() < window_end:
                await asyncio.sleep(0.25)
                group.check_alive()
                samples.append(tree_rss(group.processes[0].pid))
                in_flight = max(in_flight, len(listener.begins) - len(listener.ends))
            completed = len(listener.ends)
        finally:
            group.stop()
    finally:
        await system.close()
    mib = [s / 2**20 for s in samples]
    return {
        "label": system.label,
        "settings": system.settings,
        "pending": pending,
        "window_seconds": seconds,
        "rss_mib_peak": max(mib),
        "rss_mib_median": statistics.median(mib),
        "rss_mib_samples": mib,
        "in_flight_max": in_flight,
        "completed_in_window": completed,
        "status": "ok",
    }


# -- rendering ----------------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def markdown(result: dict[str, Any]) -> str:
    """The workloads and memory section of the rendered report."""
    out: list[str] = []
    found = result.get("workloads", {})
    if found:
        out.append("### Workloads (item 8)\n")
        out.append(
            "Median of the runs; throughput in tasks/s (higher is better), latencies in ms "
            "(lower is better): pickup is submit returning (or a delayed task falling due) to "
            "the task starting, end-to-end is to the task's last attempt returning. **Bold** "
            "marks the first system in each row.\n"
        )
    for name, systems in found.items():
        workload = WORKLOADS[name]
        ok = {k: v for k, v in systems.items() if v.get("status") == "ok"}
        n = next((v["n"] for v in ok.values()), 0)
        out.append(f"\n#### {workload.title} ({n:,} tasks)\n")
        if not ok:
            out.append("\n".join(f"- {k}: {_status(v)}" for k, v in systems.items()) + "\n")
            continue
        out.append("| | " + " | ".join(v["label"] for v in ok.values()) + " |")
        out.append("|---" * (len(ok) + 1) + "|")
        rows = [
            ("Throughput (tasks/s)", lambda v: v["tasks_per_s"]["median"], True),
            ("Pickup p50 (ms)", lambda v: v["pickup_ms"]["p50"]["median"], False),
            ("Pickup p99 (ms)", lambda v: v["pickup_ms"]["p99"]["median"], False),
            ("End-to-end p50 (ms)", lambda v: v["end_to_end_ms"]["p50"]["median"], False),
            ("End-to-end p99 (ms)", lambda v: v["end_to_end_ms"]["p99"]["median"], False),
        ]
        if workload.priorities:
            rows += [
                (
                    "End-to-end p50, priority 9 (ms)",
                    lambda v: statistics.median(
                        d["end_to_end_p50_ms_priority_high"] for d in v["details"]
                    ),
                    False,
                ),
                (
                    "End-to-end p50, priority 0 (ms)",
                    lambda v: statistics.median(
                        d["end_to_end_p50_ms_priority_low"] for d in v["details"]
                    ),
                    False,
                ),
            ]
        for label, get, higher in rows:
            values: dict[str, float | None] = {}
            for key, v in ok.items():
                try:
                    values[key] = float(get(v))
                except (KeyError, TypeError, statistics.StatisticsError):
                    values[key] = None
            known = {k: x for k, x in values.items() if x is not None}
            best = (max if higher else min)(known, key=known.__getitem__) if known else None
            cells = [
                f"**{_fmt(x)}**" if k == best and len(known) > 1 else _fmt(x)
                for k, x in values.items()
            ]
            out.append(f"| {label} | " + " | ".join(cells) + " |")
        for v in ok.values():
            if "from_run" in v:
                out.append(f"\n{v['label']}: {v['from_run']}")
        capped = [v["label"] for v in ok.values() if v["capped"]]
        if capped:
            out.append(f"\nStopped at the cap before every task ended: {', '.join(capped)}.")
        failed = [f"{k}: {_status(v)}" for k, v in systems.items() if k not in ok]
        if failed:
            out.append("\n" + "; ".join(failed))
        out.append(
            "\nSettings: "
            + "; ".join(f"{v['label']} `{_settings(v['settings'])}`" for v in ok.values())
            + "\n"
        )
    memory = result.get("memory", {})
    if memory:
        ok = {k: v for k, v in memory.items() if v.get("status") == "ok"}
        out.append("\n### Worker memory (item 9)\n")
        if ok:
            first = next(iter(ok.values()))
            out.append(
                f"One worker process (and its children) with {first['pending']:,} tasks pending, "
                f"tasks that await 1 s with 1 KB arguments, sampled every 0.25 s for "
                f"{first['window_seconds']:.0f} s after the first task started.\n"
            )
            out.append("| | RSS peak (MiB) | RSS median (MiB) | Tasks in flight (max) | Settings |")
            out.append("|---|---|---|---|---|")
            # Only a worker that held its full concurrency is comparable on memory.
            full = [k for k in ok if ok[k]["in_flight_max"] >= 0.9 * MEMORY.concurrency]
            best = min(full, key=lambda k: ok[k]["rss_mib_peak"]) if len(full) > 1 else None
            for key, v in ok.items():
                peak = _fmt(v["rss_mib_peak"])
                out.append(
                    f"| {v['label']} | {f'**{peak}**' if key == best else peak} | "
                    f"{_fmt(v['rss_mib_median'])} | {v['in_flight_max']:,} | "
                    f"`{_settings(v['settings'])}` |"
                )
        short = [v["label"] for k, v in ok.items() if v["in_flight_max"] < 0.9 * MEMORY.concurrency]
        if short:
            out.append(
                f"\nNot bold: {', '.join(short)} held fewer tasks than its concurrency in the "
                "window, so its memory is not comparable."
            )
        for key, v in memory.items():
            if key not in ok:
                out.append(f"\n{key}: {_status(v)}")
        out.append("")
    return "\n".join(out) + "\n" if out else ""


def _status(found: dict[str, Any]) -> str:
    return " ".join(str(found.get("status")).split())


def _settings(settings: dict[str, Any]) -> str:
    shown = {k: v for k, v in settings.items() if k not in ("workload", "drain_tasks")}
    return ", ".join(f"{k}={v}" for k, v in sorted(shown.items()))
