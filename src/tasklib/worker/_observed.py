"""TaskLog that also counts each task event in Prometheus metrics and spans it for traces."""

from __future__ import annotations

import contextvars
import time
from datetime import datetime
from typing import Any

from tasklib import tracing
from tasklib.db.statements import TaskId
from tasklib.metrics import WorkerMetrics
from tasklib.models import TaskState
from tasklib.worker._outcomes import Cancelled, Completed, Failed, Throttled
from tasklib.worker._tasklog import TaskLog

# Children of WorkerMetrics.children(), by position.
_STARTED, _COMPLETED, _FAILED, _RETRIED, _RATE_LIMITED, _CANCELLED, _LEASE_LOST = range(7)
_DURATION, _LATENCY = 7, 8


class ObservedTaskLog(TaskLog):
    """The worker's TaskLog when it has metrics (``metrics``) or traces (``tracing.enabled()``).

    Per task, from its start until its outcome is recorded: the metric children of its name
    and queue, its start time, its execution span and when its function returned. Counters
    count outcomes as the database recorded them (a retry scheduled, a failure for good, an
    outcome refused because the lease was lost), not as the function ended.
    """

    def __init__(self, worker_id: str, metrics: WorkerMetrics | None, *, trace: bool) -> None:
        super().__init__(worker_id)
        self._metrics = metrics
        self._trace = trace
        # [children or None, started (monotonic), span or None, ended (time_ns) or None]
        self._observed: dict[TaskId, list[Any]] = {}

    def started(
        self,
        task_id: TaskId,
        name: str,
        retry_count: int | None,
        max_retries: int | None,
        queue: str | None = None,
        pickup_latency: float | None = None,
        traceparent: str | None = None,
    ) -> contextvars.Context | None:
        super().started(task_id, name, retry_count, max_retries)
        children = None
        if self._metrics is not None:
            children = self._metrics.children(name, queue or "")
            children[_STARTED].inc()
            if pickup_latency is not None:
                children[_LATENCY].observe(max(pickup_latency, 0.0))
            self._metrics.running.inc()
        span = None
        if self._trace:
            span = tracing.ExecutionSpan(task_id, name, queue, (retry_count or 0) + 1, traceparent)
        self._observed[task_id] = [children, time.monotonic(), span, None]
        return span.context if span is not None else None

    def ended(self, task_id: TaskId) -> None:
        super().ended(task_id)
        entry = self._observed.get(task_id)
        if entry is None or entry[3] is not None:
            return
        entry[3] = time.time_ns()
        if entry[0] is not None:
            entry[0][_DURATION].observe(time.monotonic() - entry[1])
            assert self._metrics is not None
            self._metrics.running.dec()

    def forget(self, task_id: TaskId) -> None:
        super().forget(task_id)
        self._finish(task_id, None, "released")

    def completed(
        self, done: list[Completed], not_completed: set[TaskId], *, resent: bool = False
    ) -> None:
        super().completed(done, not_completed, resent=resent)
        for outcome in done:
            refused = bool(not_completed) and outcome.task_id in not_completed
            if refused:
                self._finish(outcome.task_id, _LEASE_LOST, "lease_lost", "lease lost")
            else:
                self._finish(outcome.task_id, _COMPLETED, "completed")

    def failed(
        self,
        failure: Failed,
        state: TaskState | None,
        next_retry_at: datetime | None,
        *,
        resent: bool = False,
    ) -> None:
        super().failed(failure, state, next_retry_at, resent=resent)
        error = failure.error.rstrip().rpartition("\n")[2].strip()
        if state is None:
            self._finish(failure.task_id, _LEASE_LOST, "lease_lost", error)
        elif next_retry_at is not None:
            self._finish(failure.task_id, _RETRIED, "retrying", error)
        else:
            self._finish(failure.task_id, _FAILED, "failed", error)

    def throttled(
        self, throttles: list[Throttled], handed_back: set[TaskId], *, resent: bool = False
    ) -> None:
        super().throttled(throttles, handed_back, resent=resent)
        for throttle in throttles:
            if throttle.task_id in handed_back:
                self._finish(throttle.task_id, _RATE_LIMITED, "rate_limited")
            else:
                self._finish(throttle.task_id, _LEASE_LOST, "lease_lost", "lease lost")

    def lease_lost(self, task_id: TaskId) -> None:
        super().lease_lost(task_id)
        self._finish(task_id, _LEASE_LOST, "lease_lost", "lease lost")

    def cancelled(
        self, outcome: Cancelled, state: TaskState | None, *, resent: bool = False
    ) -> None:
        super().cancelled(outcome, state, resent=resent)
        if state is None:
            self._finish(outcome.task_id, _LEASE_LOST, "lease_lost", "lease lost")
        else:
            self._finish(outcome.task_id, _CANCELLED, "cancelled", "cancelled")

    def _finish(
        self, task_id: TaskId, counter: int | None, outcome: str, error: str | None = None
    ) -> None:
        entry = self._observed.pop(task_id, None)
        if entry is None:
            return
        children, _, span, ended_ns = entry
        if children is not None:
            if ended_ns is None:  # given up or lost before its function returned
                assert self._metrics is not None
                self._metrics.running.dec()
            if counter is not None:
                children[counter].inc()
        if span is not None:
            span.end(outcome, error, ended_ns)
