"""The benchmark's flow-control item (7) still runs end to end, tiny; speed is not checked."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
from bench.run import run

from bench import flow, measure

pytestmark = pytest.mark.slow


def test_the_flow_item_runs(pg_server_url: str, tmp_path: Path) -> None:
    path = asyncio.run(
        run(
            quick=True,
            system_names=["tasklib"],
            items={"flow"},
            admin_url=pg_server_url,
            redis_url="redis://127.0.0.1:6379/13",
            overrides={"tasklib": {"concurrency": 20}},
            db_prefix=f"tasklib_test_bench_{uuid.uuid4().hex[:8]}_",
            out_dir=tmp_path,
            sizes=measure.SMOKE,
        )
    )
    result = json.loads(path.read_text())

    found = result["flow"]
    assert "drain_1" in found, found.get("traceback")
    for processes in (1, 2):
        drain = found[f"drain_{processes}"]
        assert drain["median"] > 0
        assert drain["details"][0]["completed"] == measure.SMOKE.drain_n
    assert set(found["claim"]["cases"]) == set(flow.cases(measure.SMOKE.flow_keys))
    assert all(case["claim_ms"]["median"] > 0 for case in found["claim"]["cases"].values())
    assert "Flow control" in flow.markdown(found)
