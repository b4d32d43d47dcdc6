"""Item 5: the pgbench ceiling, a script shaped like TaskLib's batched claim then complete."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

import tasklib
from bench.server import PgServer, libpq_args
from bench.stats import summary

# What a TaskLib worker does per batch: one claim of up to n tasks, then one complete of their
# ids with one result each, as two statements (two transactions, as the worker commits them).
# An empty claim (the pre-filled queue ran dry) completes an empty batch instead of failing.
SCRIPT = """\
SELECT coalesce(array_agg(id), '{{}}') AS ids, coalesce(array_agg(lease_token), '{{}}') AS tokens
  FROM tasklib.claim('pgbench-' || :client_id, {n}) \\gset
SELECT count(*) FROM tasklib.complete('pgbench-' || :client_id, ':ids'::uuid[], \
    ':tokens'::uuid[], array_fill('null'::jsonb, ARRAY[cardinality(':ids'::uuid[])]));
"""

_PENDING = "INSERT INTO tasklib.tasks (name) SELECT 'bench.noop' FROM generate_series(1, %s)"


def _pgbench(
    server: PgServer, url: str, script: Path, clients: int, seconds: int
) -> dict[str, float]:
    args, env = libpq_args(url)
    database = urlsplit(url).path.lstrip("/")
    command = [
        str(server.pgbench()),
        "-n",
        "-M",
        "simple",
        "-f",
        str(script),
        "-c",
        str(clients),
        "-j",
        str(clients),
        "-T",
        str(seconds),
        *args,
        database,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **env}, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"pgbench failed ({done.returncode}): {done.stderr.strip()}")
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    transactions = re.search(r"number of transactions actually processed: (\d+)", done.stdout)
    if tps is None or transactions is None:
        raise RuntimeError(f"cannot read pgbench output:\n{done.stdout}")
    return {"tps": float(tps.group(1)), "transactions": float(transactions.group(1))}


def measure(
    server: PgServer,
    url: str,
    clients: tuple[int, ...],
    runs: int,
    seconds: int,
    rows: int,
    n: int = 100,
) -> dict[str, Any]:
    """Rows claimed and completed per second for each client count: median of ``runs``."""
    tasklib.migrate(url)
    results: dict[str, Any] = {
        "batch": n,
        "seconds": seconds,
        "prefilled_rows": rows,
        "clients": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "claim_complete.sql"
        script.write_text(SCRIPT.format(n=n))
        results["script"] = script.read_text()
        with psycopg.connect(url, autocommit=True) as conn:
            for count in clients:
                values, exhausted = [], False
                for _ in range(runs):
                    conn.execute("TRUNCATE tasklib.tasks")
                    conn.execute(_PENDING, (rows,))
                    conn.execute("VACUUM ANALYZE tasklib.tasks")
                    server.checkpoint()
                    time.sleep(0.5)
                    out = _pgbench(server, url, script, count, seconds)
                    done = conn.execute(
                        "SELECT count(*) FILTER (WHERE state = 'completed'),"
                        " count(*) FILTER (WHERE state = 'pending') FROM tasklib.tasks"
                    ).fetchone()
                    assert done is not None
                    completed, pending = int(done[0]), int(done[1])
                    exhausted = exhausted or pending == 0
                    values.append(out["tps"] * completed / max(out["transactions"], 1))
                results["clients"][str(count)] = {
                    "rows_per_s": summary(values),
                    "exhausted": exhausted,
                }
        version = subprocess.run(
            [str(server.pgbench()), "--version"], capture_output=True, text=True
        )
        results["pgbench"] = version.stdout.strip()
    return results
