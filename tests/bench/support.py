"""One tiny, TaskLib-only run of the benchmark harness, as the tests of its items make it."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

from bench.run import run

from bench import measure


def run_tiny(pg_server_url: str, out_dir: Path, items: set[str]) -> dict[str, Any]:
    """Run these items for TaskLib at the smoke sizes; the result file's content."""
    path = asyncio.run(
        run(
            quick=True,
            system_names=["tasklib"],
            items=items,
            admin_url=pg_server_url,
            redis_url="redis://127.0.0.1:6379/13",
            overrides={"tasklib": {"concurrency": 20}},
            db_prefix=f"tasklib_test_bench_{uuid.uuid4().hex[:8]}_",
            out_dir=out_dir,
            sizes=measure.SMOKE,
        )
    )
    result: dict[str, Any] = json.loads(path.read_text())
    return result
