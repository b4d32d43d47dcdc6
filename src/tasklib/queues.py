"""Queue (a row of the tasklib.queue_flow view) and RateLimit, flow control as Python sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pydantic


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``limit`` task starts per ``per_seconds``, with up to ``burst`` saved up.

    A token bucket: it refills at ``limit / per_seconds`` tokens a second and holds at most
    ``burst``, so over any T seconds at most ``burst + limit * T / per_seconds`` tasks start;
    ``burst=1`` spaces the starts evenly. The database checks the ranges.
    """

    limit: int
    per_seconds: float = 1.0
    burst: int = 1


class Queue(pydantic.BaseModel):
    """One queue as ``tasklib.queue_flow`` shows it: its pause, suspensions, limits and load."""

    model_config = pydantic.ConfigDict(frozen=True)

    queue: str
    paused: bool
    # No task of the queue starts before this (None: not suspended, or no longer).
    suspended_until: datetime | None
    # Its tasks running now, over every worker, and those due (claimable as far as time goes).
    running: int
    due: int
    concurrency_limit: int | None
    key_concurrency_limit: int | None
    rate_limit: int | None
    rate_period_seconds: float | None
    rate_burst: int | None
    # Starts the queue's rate bucket allows now (None: no rate limit).
    tokens_left: float | None
    key_rate_limit: int | None
    key_rate_period_seconds: float | None
    key_rate_burst: int | None
    # Limit key -> until when it is suspended, for the suspensions still in force.
    suspended_keys: dict[str, datetime]
    updated_at: datetime

    @property
    def rate(self) -> RateLimit | None:
        """The queue's rate limit, as ``set_queue_limits(rate=...)`` takes it."""
        return _rate(self.rate_limit, self.rate_period_seconds, self.rate_burst)

    @property
    def key_rate(self) -> RateLimit | None:
        """The rate limit of each limit key, as ``set_queue_limits(key_rate=...)`` takes it."""
        return _rate(self.key_rate_limit, self.key_rate_period_seconds, self.key_rate_burst)


def _rate(limit: int | None, per_seconds: float | None, burst: int | None) -> RateLimit | None:
    if limit is None or per_seconds is None or burst is None:
        return None
    return RateLimit(limit, per_seconds, burst)
