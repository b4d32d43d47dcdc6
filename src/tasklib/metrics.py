"""Prometheus metrics: what a worker did (counters, histograms) and what the queues hold (SQL).

Needs the ``metrics`` extra (``pip install tasklib-pg[metrics]``, i.e. prometheus_client).
The names are listed, with their labels, in docs/operations.md ("Metrics").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from tasklib.db import statements
from tasklib.errors import ConfigurationError

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric
    from prometheus_client.registry import CollectorRegistry

MISSING = (
    "Prometheus metrics need the metrics extra: pip install 'tasklib-pg[metrics]' "
    "(prometheus_client)"
)

# Seconds. Execution: from sub-millisecond no-ops to tasks of several minutes. Pickup latency
# (started_at - due time): a busy worker claims within milliseconds, a backlog within minutes.
DURATION_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)


def require() -> None:
    """ConfigurationError (exit code 2 from the CLI) when prometheus_client is not installed."""
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        raise ConfigurationError(MISSING) from None


class WorkerMetrics:
    """The worker's counters and histograms, by task name and queue.

    One per process (``worker_metrics()``): every TaskWorker of the process counts into it, as
    Prometheus expects of one target. Label children are cached per (name, queue), so an event
    costs a dictionary look-up and an increment.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        require()
        from prometheus_client import REGISTRY, Counter, Gauge, Histogram

        reg = REGISTRY if registry is None else registry
        labels = ("name", "queue")

        def counter(name: str, doc: str) -> Counter:
            return Counter(name, doc, labels, registry=reg)

        self.started = counter("tasklib_tasks_started_total", "Task attempts started.")
        self.completed = counter(
            "tasklib_tasks_completed_total", "Task attempts that completed (recorded)."
        )
        self.failed = counter(
            "tasklib_tasks_failed_total", "Task attempts that failed for good (no retry left)."
        )
        self.retried = counter(
            "tasklib_tasks_retried_total", "Task attempts that failed with a retry scheduled."
        )
        self.rate_limited = counter(
            "tasklib_tasks_rate_limited_total",
            "Task attempts that raised RateLimited and went back to pending.",
        )
        self.cancelled = counter(
            "tasklib_tasks_cancelled_total", "Running task attempts stopped by cancellation."
        )
        self.lease_lost = counter(
            "tasklib_tasks_lease_lost_total",
            "Task attempts whose outcome the database refused: lease lost meanwhile.",
        )
        self.duration = Histogram(
            "tasklib_task_duration_seconds",
            "Execution time of task attempts, from start until the function returned.",
            labels,
            buckets=DURATION_BUCKETS,
            registry=reg,
        )
        self.pickup_latency = Histogram(
            "tasklib_task_pickup_latency_seconds",
            "First attempts: started_at - scheduled_at (how long a due task waited).",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.running = Gauge(
            "tasklib_worker_running_tasks", "Tasks executing in this process now.", registry=reg
        )
        self.concurrency = Gauge(
            "tasklib_worker_concurrency", "Task slots of the workers of this process.", registry=reg
        )
        self._children: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._lock = threading.Lock()

    def children(self, name: str, queue: str) -> tuple[Any, ...]:
        """(started, completed, failed, retried, rate_limited, cancelled, lease_lost, duration,
        pickup_latency) for one name and queue."""
        key = (name, queue)
        found = self._children.get(key)
        if found is None:
            with self._lock:
                found = tuple(
                    metric.labels(name, queue)
                    for metric in (
                        self.started,
                        self.completed,
                        self.failed,
                        self.retried,
                        self.rate_limited,
                        self.cancelled,
                        self.lease_lost,
                        self.duration,
                        self.pickup_latency,
                    )
                )
                self._children[key] = found
        return found


_process_metrics: WorkerMetrics | None = None
_servers: dict[int, Any] = {}
_process_lock = threading.Lock()


def worker_metrics() -> WorkerMetrics:
    """This process's WorkerMetrics, registered in prometheus_client's default registry."""
    global _process_metrics
    with _process_lock:
        if _process_metrics is None:
            _process_metrics = WorkerMetrics()
        return _process_metrics


def serve(port: int, addr: str = "0.0.0.0") -> None:
    """Serve the default registry on http://addr:port/metrics (once per port and process)."""
    require()
    from prometheus_client import start_http_server

    with _process_lock:
        if port not in _servers:
            try:
                _servers[port] = start_http_server(port, addr=addr)
            except OSError as error:
                raise ConfigurationError(
                    f"cannot serve metrics on {addr}:{port}: {error}"
                ) from None


# -- queues, from SQL -----------------------------------------------------------------------


def queue_families(rows: Sequence[Sequence[Any]]) -> list[Metric]:
    """The queue gauges from the rows of QUEUE_DEPTH."""
    require()
    from prometheus_client.core import GaugeMetricFamily

    due = GaugeMetricFamily(
        "tasklib_queue_due_tasks", "Tasks due now (claimable) per queue.", labels=["queue"]
    )
    oldest = GaugeMetricFamily(
        "tasklib_queue_oldest_due_age_seconds",
        "How long the oldest due task of the queue has waited (0: none due).",
        labels=["queue"],
    )
    running = GaugeMetricFamily(
        "tasklib_queue_running_tasks", "Tasks running per queue.", labels=["queue"]
    )
    scheduled = GaugeMetricFamily(
        "tasklib_queue_scheduled_tasks",
        "Tasks that wait for a later time (delayed or retry not yet due) per queue.",
        labels=["queue"],
    )
    alive = GaugeMetricFamily(
        "tasklib_workers_alive", "Workers that sent a heartbeat in the last minute."
    )
    workers = 0
    for queue, n_due, age, n_running, n_scheduled, n_alive in rows:
        workers = int(n_alive or 0)
        if queue is None:
            continue
        due.add_metric([queue], float(n_due))
        oldest.add_metric([queue], float(age or 0.0))
        running.add_metric([queue], float(n_running))
        scheduled.add_metric([queue], float(n_scheduled))
    alive.add_metric([], float(workers))
    return [due, oldest, running, scheduled, alive]


def scrape_error(value: float) -> Metric:
    """tasklib_queue_scrape_error: 1 when the queue query of this scrape failed."""
    from prometheus_client.core import GaugeMetricFamily

    family = GaugeMetricFamily("tasklib_queue_scrape_error", "1 when the queue query failed.")
    family.add_metric([], value)
    return family


class QueueCollector:
    """A prometheus_client collector: the queue gauges, one SQL statement per scrape.

    ``REGISTRY.register(QueueCollector(url))`` in any process that serves metrics; the
    dashboard's /metrics has it built in. A scrape that cannot reach the database exports
    ``tasklib_queue_scrape_error 1`` instead of failing.
    """

    def __init__(self, database_url: str, *, connect_timeout: float = 5.0) -> None:
        require()
        self._url = database_url
        self._timeout = connect_timeout

    def collect(self) -> Iterator[Metric]:
        import psycopg
        from prometheus_client.core import GaugeMetricFamily

        start = time.monotonic()
        try:
            with psycopg.connect(
                self._url,
                connect_timeout=max(1, int(self._timeout)),
                application_name="tasklib-metrics",
                autocommit=True,
            ) as conn:
                rows = conn.execute(statements.QUEUE_DEPTH).fetchall()
        except psycopg.Error:
            yield scrape_error(1.0)
            return
        yield from queue_families(rows)
        yield scrape_error(0.0)
        took = GaugeMetricFamily(
            "tasklib_queue_scrape_duration_seconds", "How long the queue query took."
        )
        took.add_metric([], time.monotonic() - start)
        yield took


class StaticCollector:
    """Families computed elsewhere (the dashboard's async query), for generate_latest."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


__all__ = [
    "DURATION_BUCKETS",
    "LATENCY_BUCKETS",
    "QueueCollector",
    "StaticCollector",
    "WorkerMetrics",
    "queue_families",
    "require",
    "scrape_error",
    "serve",
    "worker_metrics",
]
