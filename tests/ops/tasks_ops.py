"""Tasks for the metrics and tracing tests, run by `tasklib worker tests.ops.tasks_ops`.

With $TASKLIB_TEST_SPANS set, this module sets an OpenTelemetry TracerProvider that writes each
finished span as one JSON line to that file, as an application configures tracing in the
module its worker imports.
"""

from __future__ import annotations

import asyncio
import os

import tasklib
from tasklib.errors import RateLimited

if os.environ.get("TASKLIB_TEST_SPANS"):
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

    _out = open(os.environ["TASKLIB_TEST_SPANS"], "a")  # noqa: SIM115
    _provider = TracerProvider()
    _provider.add_span_processor(
        SimpleSpanProcessor(
            ConsoleSpanExporter(out=_out, formatter=lambda span: span.to_json(indent=None) + "\n")
        )
    )
    trace.set_tracer_provider(_provider)


@tasklib.task
async def ok(n: int) -> None:
    await asyncio.sleep(0.01)


@tasklib.task
def ok_sync(n: int) -> int:
    return n


@tasklib.task(max_retries=1, backoff_base_seconds=0.1)
def fails_once(n: int) -> None:
    marker = f"/tmp/tasklib-ops-fails-once-{os.environ.get('TASKLIB_TEST_RUN', '')}-{n}"
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise ValueError("first attempt fails")
    os.unlink(marker)


@tasklib.task(max_retries=0)
async def always_fails(n: int) -> None:
    raise RuntimeError("this one always fails")


@tasklib.task
def limited(n: int) -> None:
    marker = f"/tmp/tasklib-ops-limited-{os.environ.get('TASKLIB_TEST_RUN', '')}-{n}"
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RateLimited(retry_after=0.1)
    os.unlink(marker)


@tasklib.task
async def traced(n: int) -> None:
    from opentelemetry import trace

    with trace.get_tracer("tests").start_as_current_span("inside the task"):
        await asyncio.sleep(0)
