"""Health checks: read the health_* views and name what hurts a queue, each with advice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import psycopg
from psycopg.rows import dict_row

from tasklib.db import statements

Severity = Literal["problem", "warning"]


@dataclass(frozen=True)
class Thresholds:
    """When a finding is raised (seconds, transactions, fractions, bytes)."""

    transaction_seconds: float = 60.0
    idle_in_transaction_seconds: float = 10.0
    xmin_age: int = 100_000
    heartbeat_seconds: float = 60.0
    dead_fraction: float = 0.2
    dead_rows: int = 10_000
    bloat_fraction: float = 0.5
    bloat_bytes: int = 100 * 1024 * 1024


@dataclass(frozen=True)
class Finding:
    """One thing that hurts: what, the facts, and what to do."""

    check: str
    severity: Severity
    summary: str
    advice: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """Every finding, and the facts about tasklib.tasks they were judged against."""

    findings: list[Finding]
    table: dict[str, Any]

    @property
    def healthy(self) -> bool:
        return not any(f.severity == "problem" for f in self.findings)


def _seconds(value: timedelta | None) -> float:
    return 0.0 if value is None else value.total_seconds()


def _mb(n: int | float) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def examine(conn: psycopg.Connection[Any], limits: Thresholds | None = None) -> Report:
    """Read the health views on ``conn`` and judge them against ``limits``."""
    limits = limits or Thresholds()
    with conn.cursor(row_factory=dict_row) as cur:
        table = cur.execute(statements.HEALTH_TASKS_TABLE).fetchone() or {}
        sessions = cur.execute(statements.HEALTH_SESSIONS).fetchall()
        holders = cur.execute(statements.HEALTH_XMIN_HOLDERS).fetchall()
        indexes = cur.execute(statements.HEALTH_TASKS_INDEXES).fetchall()
        workers = cur.execute(statements.HEALTH_WORKERS).fetchall()
        leases = cur.execute(statements.HEALTH_EXPIRED_LEASES).fetchall()
    dead = int(table.get("dead_rows") or 0)
    live = int(table.get("live_rows") or 0)
    findings: list[Finding] = []
    held_back = (
        f"tasklib.tasks has {dead} dead rows (n_dead_tup) that vacuum cannot remove while it "
        "is open"
    )

    for s in sessions:
        age = _seconds(s["transaction_age"])
        idle = s["state"] in ("idle in transaction", "idle in transaction (aborted)")
        idle_for = _seconds(s["state_age"]) if idle else 0.0
        xmin_age = s["xmin_age"] or 0
        if not (
            age > limits.transaction_seconds
            or idle_for > limits.idle_in_transaction_seconds
            or xmin_age > limits.xmin_age
        ):
            continue
        what = "idle in transaction" if idle else f"in a transaction ({s['state']})"
        findings.append(
            Finding(
                check="long_transaction",
                severity="problem",
                summary=(
                    f"session pid {s['pid']} (application_name {s['application_name']!r}, user "
                    f"{s['user_name']}) has been {what} for {age:.0f} s, holding a snapshot "
                    f"{xmin_age} transactions old; {held_back}"
                ),
                advice=(
                    "end that transaction (commit or roll back in the application), or end "
                    f"its session with pg_terminate_backend({s['pid']}); set "
                    "idle_in_transaction_session_timeout and keep long reports off the primary "
                    "or out of transactions"
                ),
                facts={
                    "pid": s["pid"],
                    "application_name": s["application_name"],
                    "user": s["user_name"],
                    "client_addr": s["client_addr"],
                    "state": s["state"],
                    "transaction_seconds": round(age, 1),
                    "xmin_age": xmin_age,
                    "dead_rows": dead,
                    "last_query": s["last_query"],
                },
            )
        )

    for h in holders:
        if (h["xmin_age"] or 0) <= limits.xmin_age and _seconds(
            h["age"]
        ) <= limits.transaction_seconds:
            continue
        if h["kind"] == "replication_slot":
            advice = (
                "a replication slot keeps old rows for its consumer: bring the consumer back, or "
                f"drop it with pg_drop_replication_slot('{h['holder']}') if it is gone for good"
            )
        else:
            advice = (
                f"COMMIT PREPARED '{h['holder']}' or ROLLBACK PREPARED '{h['holder']}' (ask "
                "the transaction manager that prepared it which)"
            )
        findings.append(
            Finding(
                check=h["kind"],
                severity="problem",
                summary=(
                    f"{h['kind'].replace('_', ' ')} {h['holder']} ({h['detail']}) holds back "
                    f"the xmin horizon by {h['xmin_age']} transactions; {held_back}"
                ),
                advice=advice,
                facts={**h, "age": str(h["age"]), "dead_rows": dead},
            )
        )

    if dead >= limits.dead_rows and dead > limits.dead_fraction * (live + dead):
        findings.append(
            Finding(
                check="dead_rows",
                severity="warning",
                summary=(
                    f"tasklib.tasks: {dead} dead rows beside {live} live ones; last autovacuum "
                    f"{table.get('last_autovacuum') or 'never'}"
                ),
                advice=(
                    "if something above holds back the horizon, fix that first; else let "
                    "autovacuum run more often on tasklib.tasks (ALTER TABLE tasklib.tasks SET "
                    "(autovacuum_vacuum_scale_factor = 0.01)) or VACUUM tasklib.tasks"
                ),
                facts={"dead_rows": dead, "live_rows": live},
            )
        )

    size = int(table.get("table_bytes") or 0)
    bloat = int(table.get("estimated_bloat_bytes") or 0)
    if bloat > limits.bloat_bytes and bloat > limits.bloat_fraction * size:
        findings.append(
            Finding(
                check="table_bloat",
                severity="warning",
                summary=f"tasklib.tasks: about {_mb(bloat)} of its {_mb(size)} is empty space",
                advice=(
                    "purge finished tasks (tasklib purge) and VACUUM; to give the space back to "
                    "the OS, pg_repack or VACUUM FULL (locks the table) in a quiet hour"
                ),
                facts={"table_bytes": size, "estimated_bloat_bytes": bloat},
            )
        )
    for i in indexes:
        ibloat = int(i["estimated_bloat_bytes"] or 0)
        isize = int(i["index_bytes"] or 0)
        if ibloat > limits.bloat_bytes and ibloat > limits.bloat_fraction * isize:
            findings.append(
                Finding(
                    check="index_bloat",
                    severity="warning",
                    summary=f"index {i['index_name']}: about {_mb(ibloat)} of {_mb(isize)} bloat",
                    advice=f"REINDEX INDEX CONCURRENTLY tasklib.{i['index_name']}",
                    facts=dict(i),
                )
            )

    for w in workers:
        since = _seconds(w["since_last_heartbeat"])
        if since <= limits.heartbeat_seconds:
            continue
        findings.append(
            Finding(
                check="stale_worker",
                severity="problem" if w["running_tasks"] else "warning",
                summary=(
                    f"worker {w['worker_id']} last sent a heartbeat {since:.0f} s ago and holds "
                    f"{w['running_tasks']} running task(s)"
                ),
                advice=(
                    "check that process (stuck, overloaded, or its host gone); its tasks return "
                    "to the queue when their leases expire; `tasklib purge` removes old worker "
                    "rows"
                ),
                facts={**w, "since_last_heartbeat": round(since, 1)},
            )
        )

    for lease in leases:
        past = _seconds(lease["longest_past_lease"])
        findings.append(
            Finding(
                check="expired_lease",
                severity="problem",
                summary=(
                    f"{lease['tasks']} task(s) {lease['name']} in queue {lease['queue']} still "
                    f"'running' {past:.0f} s past their lease (workers {lease['workers']})"
                ),
                advice=(
                    "a worker's next claim recovers them (recover_expired): start a worker for "
                    f"queue {lease['queue']!r}, or call tasklib.recover_expired()"
                ),
                facts={**lease, "longest_past_lease": round(past, 1)},
            )
        )
    return Report(findings, dict(table))


__all__ = ["Finding", "Report", "Thresholds", "examine"]
