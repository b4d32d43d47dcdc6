"""The task list's query walks the primary key and stops at a page: no sort, no offset.

The list pages by id (a task id starts with its submit time, UUIDv7 layout), so it needs no
index of its own; bench/dashboard.py measures it at a million tasks (docs/operations.md). A
filter that matches few tasks (a name with none) reads the whole table either way, as a walk
or as a scan and sort: no index serves names, by design (see tasks_claim_idx in tables.sql).
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from bench.dashboard import FILL

from tasklib.dashboard._filters import parse_query
from tasklib.db.dashboard import task_page


def plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes.extend(plan_nodes(child))
    return nodes


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"state": "failed"},
        {"name": "bench.task_3", "state": "completed"},
        {"queue": "mail", "range": "24h"},
        {"before": "01a23169-20d0-7000-8000-000000000000"},
    ],
)
def test_list_query_is_a_backward_walk_of_the_primary_key(
    conn: psycopg.Connection[tuple[object, ...]], params: dict[str, str]
) -> None:
    conn.execute(FILL, {"n": 20000})  # the benchmark's shares of states, names and queues
    conn.execute("ANALYZE tasklib.tasks")
    query = parse_query(params)
    sql, values = task_page(query.task_filter, before=query.before, after=None, limit=51)
    row = conn.execute(f"EXPLAIN (FORMAT JSON) {sql}", values).fetchone()
    assert row is not None
    plan = row[0] if isinstance(row[0], list) else json.loads(str(row[0]))
    nodes = plan_nodes(plan[0]["Plan"])
    assert nodes[0]["Node Type"] == "Limit"
    scans = [node for node in nodes if "Scan" in node["Node Type"]]
    assert [(s["Node Type"], s.get("Index Name"), s.get("Scan Direction")) for s in scans] == [
        ("Index Scan", "tasks_pkey", "Backward")
    ], nodes
    assert not [node for node in nodes if node["Node Type"] == "Sort"]
