"""OpenTelemetry: a span for each submit and each execution, one trace from submitter to worker.

The submitting span's W3C trace context (``traceparent``) is stored with the task in
``tasks.traceparent``; the worker continues it, so the execution span is its child. SQL
submitters pass one as ``tasklib.submit(..., traceparent => '00-...')``.
Everything here is a no-op unless opentelemetry-api is installed (extra ``tracing``) and the
application has set a TracerProvider (e.g. the SDK's, or ``opentelemetry-instrument``).
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator
from typing import Any

TRACER_NAME = "tasklib"
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")

try:
    from opentelemetry import context as otel_context
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    _propagator: TraceContextTextMapPropagator | None = TraceContextTextMapPropagator()
except ImportError:  # the tracing extra is not installed
    _propagator = None


def enabled() -> bool:
    """Whether spans are recorded: the API is installed and a TracerProvider was set."""
    if _propagator is None:
        return False
    provider = trace.get_tracer_provider()
    return not isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider)


@contextlib.contextmanager
def _submit_span(name: str, queue: str | None, count: int | None) -> Iterator[str | None]:
    assert _propagator is not None
    tracer = trace.get_tracer(TRACER_NAME)
    attributes: dict[str, Any] = {"messaging.system": "tasklib", "tasklib.task.name": name}
    if queue is not None:
        attributes["tasklib.queue"] = queue
    if count is not None:
        attributes["messaging.batch.message_count"] = count
    with tracer.start_as_current_span(
        f"tasklib submit {name}", kind=trace.SpanKind.PRODUCER, attributes=attributes
    ):
        carrier: dict[str, str] = {}
        _propagator.inject(carrier)
        yield carrier.get("traceparent")


def submit_span(
    name: str, queue: str | None = None, *, count: int | None = None
) -> contextlib.AbstractContextManager[str | None]:
    """A PRODUCER span around one submit; yields its traceparent (None when not tracing)."""
    if not enabled():
        return contextlib.nullcontext()
    return _submit_span(name, queue, count)


class ExecutionSpan:
    """The CONSUMER span of one task attempt, child of the submitter's span when it has one."""

    __slots__ = ("context", "span")

    def __init__(
        self, task_id: str, name: str, queue: str | None, attempt: int, traceparent: str | None
    ) -> None:
        assert _propagator is not None
        parent = None
        if traceparent and _TRACEPARENT.match(traceparent):
            parent = _propagator.extract({"traceparent": traceparent})
        attributes: dict[str, Any] = {
            "messaging.system": "tasklib",
            "tasklib.task.id": task_id,
            "tasklib.task.name": name,
            "tasklib.task.attempt": attempt,
        }
        if queue is not None:
            attributes["tasklib.queue"] = queue
        self.span = trace.get_tracer(TRACER_NAME).start_span(
            f"tasklib run {name}",
            context=parent,
            kind=trace.SpanKind.CONSUMER,
            attributes=attributes,
        )
        # The task's own asyncio task runs in this copy: spans the task function opens are
        # children of this one.
        self.context = contextvars.copy_context()
        self.context.run(otel_context.attach, trace.set_span_in_context(self.span))

    def end(self, outcome: str, error: str | None = None, end_time: int | None = None) -> None:
        """Record the outcome (completed, retrying, failed, rate_limited, ...) and end."""
        self.span.set_attribute("tasklib.task.outcome", outcome)
        if error is not None:
            self.span.set_status(trace.Status(trace.StatusCode.ERROR, error))
        self.span.end(end_time=end_time)


__all__ = ["ExecutionSpan", "enabled", "submit_span"]
