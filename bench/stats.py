"""Summaries: the median of the runs with its range, and latency percentiles."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any


def summary(values: Sequence[float]) -> dict[str, Any]:
    """Median of the runs, their range, and the runs themselves."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": list(values),
    }


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50, p95 and p99 (inclusive method: exact on the samples at hand), in milliseconds."""
    cuts = statistics.quantiles([s * 1000 for s in samples], n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(samples) * 1000}
