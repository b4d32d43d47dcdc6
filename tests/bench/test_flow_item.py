"""The benchmark's flow-control item (7) still runs end to end, tiny; speed is not checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import flow, measure
from tests.bench.support import run_tiny

pytestmark = pytest.mark.slow


def test_the_flow_item_runs(pg_server_url: str, tmp_path: Path) -> None:
    result = run_tiny(pg_server_url, tmp_path, {"flow"})

    found = result["flow"]
    assert "drain_1" in found, found.get("traceback")
    for processes in (1, 2):
        drain = found[f"drain_{processes}"]
        assert drain["median"] > 0
        assert drain["details"][0]["completed"] == measure.SMOKE.drain_n
    assert set(found["claim"]["cases"]) == set(flow.cases(measure.SMOKE.flow_keys))
    assert all(case["claim_ms"]["median"] > 0 for case in found["claim"]["cases"].values())
    assert "Flow control" in flow.markdown(found)
