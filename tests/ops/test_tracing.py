"""One trace from the submitting span (this process) to the execution span (a worker process)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import tasklib
from tasklib import Config
from tests.ops import tasks_ops as t
from tests.worker.support import start_worker_process, stop_process, worker_processes

EXPORTER = InMemorySpanExporter()


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    # The global provider can be set once per process: keep it, clear its spans per test.
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
        trace.set_tracer_provider(provider)
    EXPORTER.clear()
    return EXPORTER


def worker_spans(path: Path, n: int, within: float) -> list[dict[str, object]]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if path.exists():
            spans = [json.loads(line) for line in path.read_text().splitlines() if line]
            if len(spans) >= n:
                return spans
        time.sleep(0.1)
    raise AssertionError(f"the worker exported fewer than {n} spans within {within} s")


def test_execution_span_is_a_child_of_the_submitting_span_across_processes(
    database_url: str, tmp_path: Path, exporter: InMemorySpanExporter
) -> None:
    tracer = trace.get_tracer("tests")
    with tasklib.Client(Config(database_url=database_url)) as client:
        with tracer.start_as_current_span("POST /orders"):
            task_id = client.submit_task(t.traced, n=1)
        # A SQL submitter passes its own traceparent.
        sql_parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(
                "SELECT tasklib.submit(%s, '{\"n\": 2}'::jsonb, traceparent => %s)",
                (t.traced.name, sql_parent),
            )
    spans = {s.name: s for s in exporter.get_finished_spans()}
    submit = spans[f"tasklib submit {t.traced.name}"]
    request = spans["POST /orders"]
    assert submit.parent is not None
    assert submit.parent.span_id == request.context.span_id
    stored = stored_traceparent(database_url, str(task_id))
    assert stored.split("-")[2] == format(submit.context.span_id, "016x")

    span_file = tmp_path / "spans.jsonl"
    # The worker configures its TracerProvider from $TASKLIB_TEST_SPANS (tasks_ops.py).
    import os

    os.environ["TASKLIB_TEST_SPANS"] = str(span_file)
    try:
        worker = start_worker_process(
            database_url, "tests.ops.tasks_ops", tmp_path, log=tmp_path / "worker.log"
        )
    finally:
        del os.environ["TASKLIB_TEST_SPANS"]
    with worker_processes([worker]):
        exported = worker_spans(span_file, 4, within=60)  # 2 executions, 2 spans inside
        assert stop_process(worker) == 0
    by_id = {s["context"]["span_id"]: s for s in exported}
    runs = [s for s in exported if s["name"] == f"tasklib run {t.traced.name}"]
    assert len(runs) == 2
    [from_python] = [s for s in runs if s["attributes"]["tasklib.task.id"] == str(task_id)]
    [from_sql] = [s for s in runs if s is not from_python]
    # Same trace as the web request; parent = the submit span, in the other process.
    assert from_python["context"]["trace_id"] == "0x" + format(request.context.trace_id, "032x")
    assert from_python["parent_id"] == "0x" + format(submit.context.span_id, "016x")
    assert from_python["kind"] == "SpanKind.CONSUMER"
    assert from_python["attributes"]["tasklib.task.outcome"] == "completed"
    assert from_sql["context"]["trace_id"] == "0x0af7651916cd43dd8448eb211c80319c"
    assert from_sql["parent_id"] == "0xb7ad6b7169203331"
    # Spans the task function opens are children of its execution span.
    inside = [s for s in exported if s["name"] == "inside the task"]
    runs_ids = {from_python["context"]["span_id"], from_sql["context"]["span_id"]}
    assert {s["parent_id"] for s in inside} == runs_ids
    assert all(by_id[s["parent_id"]]["name"].startswith("tasklib run") for s in inside)


def stored_traceparent(url: str, task_id: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT traceparent FROM tasklib.tasks WHERE id = %s", (task_id,)
        ).fetchone()
    assert row is not None
    return str(row[0])
