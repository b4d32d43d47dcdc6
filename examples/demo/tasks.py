"""The sample tasks `tasklib demo` runs, and the batch it submits with each task's expected end.

Every kind of behaviour the demo shows has its own task: plain successes, a flaky call that
succeeds after retries, a permanent failure, a delayed task, high and low priorities, tags.
They sleep briefly instead of doing real work, so the whole batch finishes in seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tasklib.registry import PreparedTask, task

# Short backoff bases: the demo's retries are due in fractions of a second, not the default 5 s.
_BACKOFF = 0.2
# How long the delayed tasks wait before they may run.
REMINDER_DELAY_SECONDS = 3.0
DEMO_QUEUE = "tasklib-demo"

# Attempts seen per flaky request. The demo's worker runs async tasks in its own event loop,
# in this process, so a module-level counter sees every attempt. Request ids are unique per
# demo run, so tasks a killed earlier run left in the queue keep counts of their own.
flaky_attempts: Counter[str] = Counter()


@task(name="demo.send_email", queue=DEMO_QUEUE)
async def send_email(to: str, subject: str) -> bool:
    """Pretend to send an email."""
    await asyncio.sleep(0.02)
    return True


@task(name="demo.resize_image", queue=DEMO_QUEUE)
def resize_image(image_id: int, width: int) -> dict[str, int]:
    """Pretend to resize an image (a sync task: it runs in the worker's thread pool)."""
    time.sleep(0.03)
    return {"image_id": image_id, "width": width, "height": width * 3 // 4}


@task(name="demo.alert_admin", queue=DEMO_QUEUE, priority=100)
async def alert_admin(message: str) -> str:
    """An urgent task: priority 100 makes workers take it before everything else."""
    await asyncio.sleep(0.01)
    return f"paged on-call: {message}"


@task(name="demo.cleanup_logs", queue=DEMO_QUEUE, priority=-10)
async def cleanup_logs(days: int) -> int:
    """A housekeeping task: priority -10 lets everything else go first."""
    await asyncio.sleep(0.01)
    return days * 100


@task(name="demo.flaky_api", queue=DEMO_QUEUE, max_retries=3, backoff_base_seconds=_BACKOFF)
async def call_flaky_api(request_id: str, failures: int) -> dict[str, Any]:
    """Fail the first ``failures`` attempts (a flaky upstream), then succeed."""
    flaky_attempts[request_id] += 1
    attempt = flaky_attempts[request_id]
    await asyncio.sleep(0.01)
    if attempt <= failures:
        raise ConnectionError(f"upstream timed out on attempt {attempt} (simulated)")
    return {"request_id": request_id, "attempts": attempt}


@task(name="demo.charge_card", queue=DEMO_QUEUE, max_retries=2, backoff_base_seconds=_BACKOFF)
async def charge_card(order_id: int, amount_cents: int) -> str:
    """Charge an order; amounts over 100.00 are declined on every attempt."""
    await asyncio.sleep(0.01)
    if amount_cents > 10_000:
        raise ValueError(f"card declined for order {order_id}: amount {amount_cents / 100:.2f}")
    return f"charged {amount_cents / 100:.2f} for order {order_id}"


@task(name="demo.send_reminder", queue=DEMO_QUEUE)
async def send_reminder(user_id: int) -> str:
    """Submitted with a delay: it may not start before REMINDER_DELAY_SECONDS have passed."""
    await asyncio.sleep(0.01)
    return f"reminded user {user_id}"


@dataclass(frozen=True, slots=True)
class Expected:
    """How a demo task must end: its state and retry count, and how late it may start."""

    state: str
    retry_count: int = 0
    min_start_delay: float = 0.0


@dataclass(frozen=True, slots=True)
class Planned:
    """One call the demo submits, with the end it expects."""

    call: PreparedTask[Any]
    expected: Expected


def plan(run_id: str) -> list[Planned]:
    """The demo's batch: 310 calls, low priority first so that priority visibly reorders them."""
    batch: list[Planned] = []
    done = Expected("completed")
    batch += [Planned(cleanup_logs.prepare(days=d % 30 + 1), done) for d in range(20)]
    campaign = {"campaign": "welcome", "cohort": "2025-10"}
    batch += [
        Planned(
            send_email.prepare(to=f"user{n}@example.com", subject="Welcome!").with_options(
                tags=campaign
            ),
            done,
        )
        for n in range(150)
    ]
    batch += [Planned(resize_image.prepare(image_id=n, width=640), done) for n in range(60)]
    batch += [
        Planned(
            call_flaky_api.prepare(request_id=f"{run_id}-{n}", failures=n % 3),
            Expected("completed", retry_count=n % 3),
        )
        for n in range(30)
    ]
    # Odd orders are over the limit and fail for good after max_retries=2 retries.
    batch += [
        Planned(
            charge_card.prepare(order_id=n, amount_cents=25_000 if n % 2 else 4_200),
            Expected("failed", retry_count=2) if n % 2 else done,
        )
        for n in range(20)
    ]
    batch += [
        Planned(
            send_reminder.prepare(user_id=n).with_options(delay_seconds=REMINDER_DELAY_SECONDS),
            Expected("completed", min_start_delay=REMINDER_DELAY_SECONDS),
        )
        for n in range(20)
    ]
    batch += [Planned(alert_admin.prepare(message=f"disk {n} full"), done) for n in range(10)]
    return batch
