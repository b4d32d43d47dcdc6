"""The workload and memory items (8 and 9) still run end to end (TaskLib only, tiny sizes).

Speed is not checked: only that every workload runs all its tasks and every figure is there.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest

from bench import measure, workloads
from tests.bench.support import run_tiny

pytestmark = pytest.mark.slow


def test_every_workload_and_the_memory_item_run(pg_server_url: str, tmp_path: Path) -> None:
    result = run_tiny(pg_server_url, tmp_path, {*workloads.WORKLOADS, "memory"})

    assert set(result["workloads"]) == set(workloads.WORKLOADS)
    for name, systems in result["workloads"].items():
        found = systems["tasklib"]
        assert found["status"] == "ok", found.get("traceback")
        details = found["details"][0]
        assert details["completed"] == getattr(measure.SMOKE, f"{name}_n"), name
        assert not details["capped"], name
        assert found["tasks_per_s"]["median"] > 0
        for key in ("pickup_ms", "end_to_end_ms"):
            assert set(found[key]) == {"p50", "p99"}, (name, key)
    mixed = result["workloads"]["mixed"]["tasklib"]["details"][0]
    assert mixed["retried"] > 0
    assert mixed["delayed"] > 0
    memory = result["memory"]["tasklib"]
    assert memory["status"] == "ok", memory.get("traceback")
    assert memory["rss_mib_peak"] > 0
    assert memory["in_flight_max"] > 0
    text = workloads.markdown(result)
    assert "Worker memory" in text
    assert all(workload.title in text for workload in workloads.WORKLOADS.values())


def test_the_profile_runs(pg_server_url: str, tmp_path: Path) -> None:
    from bench import profile

    path = asyncio.run(
        profile.main(
            [
                "--database-url",
                pg_server_url,
                "--submits",
                "20",
                "--tasks",
                "200",
                "--concurrency",
                "20",
                "--statement-cycles",
                "3",
                "--db-prefix",
                f"tasklib_test_bench_{uuid.uuid4().hex[:8]}_",
                "--out",
                str(tmp_path),
            ]
        )
    )
    found = json.loads(path.with_suffix(".json").read_text())
    assert found["submit"]["top"], "no Python function profiled in submits"
    assert "tasklib.submit" in {f["function"] for f in found["submit"]["sql_functions"]}
    assert "tasklib.claim" in {f["function"] for f in found["worker"]["sql_functions"]}
    assert any("tasklib.submit" in s["statement"] for s in found["sql"]["submit"])
    assert found["sql"]["split_us"]["submit: COMMIT"] > 0
    assert "## Summary" in path.read_text()
