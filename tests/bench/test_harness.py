"""The benchmark harness still runs end to end (TaskLib only, tiny sizes); speed is not checked."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
from bench.run import run

from bench import measure

pytestmark = pytest.mark.slow


def test_every_item_runs_for_tasklib(pg_server_url: str, tmp_path: Path) -> None:
    path = asyncio.run(
        run(
            quick=True,
            system_names=["tasklib"],
            items={"submit", "drain", "latency", "history", "pgbench"},
            admin_url=pg_server_url,
            redis_url="redis://127.0.0.1:6379/13",
            overrides={"tasklib": {"concurrency": 20}},
            db_prefix=f"tasklib_test_bench_{uuid.uuid4().hex[:8]}_",
            out_dir=tmp_path,
            sizes=measure.SMOKE,
        )
    )
    result = json.loads(path.read_text())

    tasklib = result["systems"]["tasklib"]
    assert tasklib["status"] == "ok", tasklib.get("traceback")
    for key in ("single_submits_per_s", "bulk_submits_per_s", "drain_1", "drain_2"):
        assert tasklib[key]["median"] > 0, key
    assert tasklib["drain_1"]["details"][0]["completed"] == measure.SMOKE.drain_n
    assert tasklib["latency_ms"]["details"][0]["n"] == measure.SMOKE.latency_n
    history = result["claim_history"]
    assert set(history["sizes"]) == {"1000", "5000"}, history.get("traceback")
    assert all(entry["uses_tasks_claim_idx"] for entry in history["sizes"].values())
    ceiling = result["pgbench"]
    assert ceiling["clients"]["1"]["rows_per_s"]["median"] > 0, ceiling.get("traceback")
    assert result["versions"]["python"]
    assert result["machine"]["cpu_count"]
