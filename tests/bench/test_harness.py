"""The benchmark harness still runs end to end (TaskLib only, tiny sizes); speed is not checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import measure
from tests.bench.support import run_tiny

pytestmark = pytest.mark.slow


def test_every_item_runs_for_tasklib(pg_server_url: str, tmp_path: Path) -> None:
    result = run_tiny(pg_server_url, tmp_path, {"submit", "drain", "latency", "history", "pgbench"})

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
