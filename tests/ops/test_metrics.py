"""A real worker process with --metrics-port, and the dashboard's /metrics, scraped mid-run."""

from __future__ import annotations

import socket
import time
import urllib.request
import uuid
from pathlib import Path

import httpx
import psycopg
from prometheus_client.parser import text_string_to_metric_families

import tasklib
from tasklib import Config
from tasklib.dashboard import create_app
from tests.ops import tasks_ops as t
from tests.worker.support import start_worker_process, stop_process, worker_processes

MODULE = "tests.ops.tasks_ops"

# Every metric docs/operations.md lists, by where it is exported.
WORKER_METRICS = {
    "tasklib_tasks_started": "counter",
    "tasklib_tasks_completed": "counter",
    "tasklib_tasks_failed": "counter",
    "tasklib_tasks_retried": "counter",
    "tasklib_tasks_rate_limited": "counter",
    "tasklib_tasks_cancelled": "counter",
    "tasklib_tasks_lease_lost": "counter",
    "tasklib_task_duration_seconds": "histogram",
    "tasklib_task_pickup_latency_seconds": "histogram",
    "tasklib_worker_running_tasks": "gauge",
    "tasklib_worker_concurrency": "gauge",
}
QUEUE_METRICS = {
    "tasklib_queue_due_tasks": "gauge",
    "tasklib_queue_oldest_due_age_seconds": "gauge",
    "tasklib_queue_running_tasks": "gauge",
    "tasklib_queue_scheduled_tasks": "gauge",
    "tasklib_workers_alive": "gauge",
    "tasklib_queue_scrape_error": "gauge",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def families(text: str) -> dict[str, str]:
    return {f.name: f.type for f in text_string_to_metric_families(text)}


def value(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], metric: str, /, **labels: str
) -> float:
    """A sample of found by its name without the tasklib_ prefix, and its labels."""
    return found.get(("tasklib_" + metric, tuple(sorted(labels.items()))), 0.0)


def wait_until_finished(url: str, n: int, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM tasklib.tasks WHERE queue IN ('default', 'reports')"
                " AND (state = 'completed' OR terminal)"
            ).fetchone()
        if row and row[0] >= n:
            return
        time.sleep(0.1)
    raise AssertionError(f"{n} tasks did not finish within {within} s")


def test_worker_and_dashboard_metrics_during_a_run(
    database_url: str, tmp_path: Path, monkeypatch: object
) -> None:
    port = free_port()
    run = uuid.uuid4().hex[:8]
    import os

    os.environ["TASKLIB_TEST_RUN"] = run
    with tasklib.Client(Config(database_url=database_url)) as client:
        for n in range(10):
            client.submit_task(t.ok, n=n)
        for n in range(5):
            client.submit_task(t.ok_sync, n=n, queue="reports")
        for n in range(3):
            client.submit_task(t.fails_once, n=n)
        for n in range(2):
            client.submit_task(t.always_fails, n=n)
            client.submit_task(t.limited, n=n, queue="reports")
        client.submit_task(t.ok, n=99, delay_seconds=3600)  # scheduled, not due
        client.submit_task(t.ok, n=98, queue="nobody")  # due, in a queue no worker takes
    worker = start_worker_process(
        database_url,
        MODULE,
        tmp_path,
        "--metrics-port",
        str(port),
        "--queue",
        "default",
        "--queue",
        "reports",
        log=tmp_path / "worker.log",
    )
    with worker_processes([worker]):
        wait_until_finished(database_url, 22, within=60)
        time.sleep(0.3)  # the last outcome is counted once its batch is recorded
        text = (
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
        )

        async def scrape_dashboard() -> str:
            app = create_app(database_url)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://dash") as http:
                response = await http.get("/metrics")
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/plain")
            return response.text

        import asyncio

        dashboard_text = asyncio.run(scrape_dashboard())
        assert stop_process(worker) == 0

    kinds = families(text)
    for name, kind in WORKER_METRICS.items():
        assert kinds.get(name) == kind, f"{name} missing from the worker's /metrics"
    found = samples(text)
    # 10 ok + 5 ok_sync + 3x2 fails_once + 2 always_fails + 2x2 limited attempts.
    assert sum(v for (n, _), v in found.items() if n == "tasklib_tasks_started_total") == 27
    assert value(found, "tasks_completed_total", name=t.ok.name, queue="default") == 10
    assert value(found, "tasks_completed_total", name=t.ok_sync.name, queue="reports") == 5
    assert value(found, "tasks_completed_total", name=t.fails_once.name, queue="default") == 3
    assert value(found, "tasks_retried_total", name=t.fails_once.name, queue="default") == 3
    assert value(found, "tasks_failed_total", name=t.always_fails.name, queue="default") == 2
    assert value(found, "tasks_completed_total", name=t.limited.name, queue="reports") == 2
    assert value(found, "tasks_rate_limited_total", name=t.limited.name, queue="reports") == 2
    assert sum(v for (n, _), v in found.items() if n == "tasklib_tasks_lease_lost_total") == 0
    duration_count = value(found, "task_duration_seconds_count", name=t.ok.name, queue="default")
    assert duration_count == 10
    # ok sleeps 10 ms: the sum is at least 10 x 10 ms and far below a second each.
    duration_sum = value(found, "task_duration_seconds_sum", name=t.ok.name, queue="default")
    assert 0.1 <= duration_sum < 10
    # First attempts only: a retry's due time is gone once claimed; RateLimited spends none.
    latencies = sum(
        v for (n, _), v in found.items() if n == "tasklib_task_pickup_latency_seconds_count"
    )
    assert latencies == 10 + 5 + 3 + 2 + 4
    latency_sum = sum(
        v for (n, _), v in found.items() if n == "tasklib_task_pickup_latency_seconds_sum"
    )
    assert 0 <= latency_sum < 60 * latencies
    assert value(found, "worker_running_tasks") == 0
    assert value(found, "worker_concurrency") == 4

    queue_kinds = families(dashboard_text)
    for name, kind in QUEUE_METRICS.items():
        assert queue_kinds.get(name) == kind, f"{name} missing from the dashboard's /metrics"
    queues = samples(dashboard_text)
    assert value(queues, "queue_due_tasks", queue="nobody") == 1
    assert value(queues, "queue_oldest_due_age_seconds", queue="nobody") > 0
    assert value(queues, "queue_scheduled_tasks", queue="default") == 1
    assert value(queues, "queue_due_tasks", queue="default") == 0
    assert value(queues, "workers_alive") == 1
    assert value(queues, "queue_scrape_error") == 0
