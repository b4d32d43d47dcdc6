"""One log line per task event (start, success, retry, failure for good, cancelled, lease lost),
structured."""

from __future__ import annotations

import contextvars
import logging
import time
from datetime import UTC, datetime
from typing import Any

from tasklib.db.statements import TaskId
from tasklib.models import TaskState
from tasklib.worker._outcomes import (
    Cancelled,
    CancelRequest,
    Completed,
    Failed,
    Outcome,
    Throttled,
    is_timeout,
)

# Per-task lines have their own logger, so that they can be turned down alone:
# logging.getLogger("tasklib.worker.tasks").setLevel(logging.WARNING).
log = logging.getLogger("tasklib.worker.tasks")

DEBUG, INFO, WARNING, ERROR = logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR


class Attempt:
    """One run of one task: its name, which attempt of how many, when it started and took."""

    __slots__ = ("attempt", "duration", "max_attempts", "name")

    def __init__(self, entry: list[Any]) -> None:
        name, retry_count, max_retries, _started, duration = entry
        self.name: str = name
        self.attempt = (retry_count or 0) + 1
        self.max_attempts: int | None = None if max_retries is None else max_retries + 1
        self.duration: float | None = duration

    def counted(self) -> str:
        """'attempt 2/4' (or 'attempt 2' when the maximum is not known)."""
        if self.max_attempts is None:
            return f"attempt {self.attempt}"
        return f"attempt {self.attempt}/{self.max_attempts}"

    def took(self) -> str:
        return "" if self.duration is None else f", {self.duration:.3f} s"


class TaskLog:
    """Knows each task from its claim until its outcome is recorded, and logs what it came to.

    Every line passes ``task_id``, ``task_name``, ``attempt``, ``max_attempts``, ``duration``
    (seconds, once the function has returned), ``worker_id`` and ``event`` (started, completed,
    retrying, failed, rate_limited, stopping, cancelled, lease_lost, refused_on_resend) as
    ``extra=`` fields; failures add ``error`` (its last line) and, when a retry is scheduled,
    ``next_retry_at``; a task handed back by RateLimited adds ``retry_after`` and ``scope``; a
    cancelled one ``cancelled_by``, ``reason`` and ``forced``. Each call checks
    that its level is enabled before it builds anything, so a level turned down costs a
    dictionary look-up per task.
    """

    def __init__(self, worker_id: str) -> None:
        self._worker_id = worker_id
        # Per task, until its outcome is recorded: [name, retry_count, max_retries, started,
        # duration]. A plain list, because this is paid for every task; an Attempt is built
        # only for a line that is written.
        self._attempts: dict[TaskId, list[Any]] = {}

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
        """A claimed task is about to run (or to fail at once: unknown name, bad arguments).

        Returns the context the task is to run in (None: a copy of the current one); the
        queue, pickup latency and traceparent are for ObservedTaskLog (metrics, traces).
        """
        entry = [name, retry_count, max_retries, time.monotonic(), None]
        self._attempts[task_id] = entry
        if log.isEnabledFor(DEBUG):
            attempt = Attempt(entry)
            log.debug(
                "task %s %s started (%s)",
                task_id,
                name,
                attempt.counted(),
                extra=self._fields(task_id, attempt, "started"),
            )
        return None

    def ended(self, task_id: TaskId) -> None:
        """The function returned or raised: its duration is known."""
        entry = self._attempts.get(task_id)
        if entry is not None:
            entry[4] = time.monotonic() - entry[3]

    def forget(self, task_id: TaskId) -> None:
        """The task was given up (handed back at shutdown); nothing is logged for it."""
        self._attempts.pop(task_id, None)

    def completed(
        self, done: list[Completed], not_completed: set[TaskId], *, resent: bool = False
    ) -> None:
        """A batch of completions was recorded; those in not_completed were refused (on a
        re-send after a lost connection: most likely recorded by the first send)."""
        attempts = self._attempts
        # Successes are DEBUG, like starts: at INFO a worker draining tens of thousands of
        # small tasks a second spent a quarter of its time writing one line per task. What
        # needs attention (retries, failures, timeouts, lost leases) is WARNING or ERROR.
        if not log.isEnabledFor(DEBUG):
            for outcome in done:
                entry = attempts.pop(outcome.task_id, None)
                if entry is not None and outcome.task_id in not_completed:
                    self._refused(outcome, Attempt(entry), resent)
            return
        for outcome in done:
            entry = attempts.pop(outcome.task_id, None)
            if entry is None:
                continue
            attempt = Attempt(entry)
            if not_completed and outcome.task_id in not_completed:
                self._refused(outcome, attempt, resent)
                continue
            log.debug(
                "task %s %s completed (%s%s)",
                outcome.task_id,
                attempt.name,
                attempt.counted(),
                attempt.took(),
                extra=self._fields(outcome.task_id, attempt, "completed"),
            )

    def failed(
        self,
        failure: Failed,
        state: TaskState | None,
        next_retry_at: datetime | None,
        *,
        resent: bool = False,
    ) -> None:
        """A failure was recorded: a retry is due at next_retry_at, or it was the last one;
        state None: refused, as ``completed`` says."""
        entry = self._attempts.pop(failure.task_id, None)
        if entry is None:
            return
        attempt = Attempt(entry)
        if state is None:
            self._refused(failure, attempt, resent)
            return
        timeout = is_timeout(failure)
        verb = "timed out" if timeout else "failed"
        summary = _last_line(failure.error)
        if next_retry_at is not None:
            if not log.isEnabledFor(WARNING):
                return
            due = next_retry_at.isoformat(timespec="milliseconds")
            wait = (next_retry_at - datetime.now(UTC)).total_seconds()
            fields = self._fields(failure.task_id, attempt, "retrying")
            fields.update(error=summary, timeout=timeout, next_retry_at=due)
            log.warning(
                "task %s %s %s (%s%s); retry at %s (in %.1f s): %s",
                failure.task_id,
                attempt.name,
                verb,
                attempt.counted(),
                attempt.took(),
                due,
                max(wait, 0.0),
                summary,
                extra=fields,
            )
            return
        if not log.isEnabledFor(ERROR):
            return
        fields = self._fields(failure.task_id, attempt, "failed")
        fields.update(error=summary, timeout=timeout)
        why = "" if failure.retryable else ", not retryable"
        record = log.makeRecord(
            log.name,
            ERROR,
            __file__,
            0,
            "task %s %s %s for good (%s%s%s): %s",
            (failure.task_id, attempt.name, verb, attempt.counted(), attempt.took(), why, summary),
            None,
            extra=fields,
        )
        if "\n" in failure.error.strip():
            # Formatters print exc_text below the message, as for log.exception().
            record.exc_text = failure.error.rstrip()
        log.handle(record)

    def throttled(
        self, throttles: list[Throttled], handed_back: set[TaskId], *, resent: bool = False
    ) -> None:
        """Tasks that raised RateLimited were handed back (those in handed_back; the others
        were refused, as ``completed`` says)."""
        for throttle in throttles:
            entry = self._attempts.pop(throttle.task_id, None)
            if entry is None:
                continue
            attempt = Attempt(entry)
            if throttle.task_id not in handed_back:
                self._refused(throttle, attempt, resent)
                continue
            if not log.isEnabledFor(INFO):
                continue
            fields = self._fields(throttle.task_id, attempt, "rate_limited")
            fields.update(retry_after=throttle.retry_after, scope=throttle.scope)
            log.info(
                "task %s %s rate limited (%s%s): back to pending without spending a retry, "
                "due again in %g s; its %s waits until then",
                throttle.task_id,
                attempt.name,
                attempt.counted(),
                attempt.took(),
                throttle.retry_after,
                _SCOPES[throttle.scope],
                extra=fields,
            )

    def stopping(self, request: CancelRequest) -> None:
        """The task's cancellation was asked for: the worker is stopping it (DEBUG; the line
        that counts comes once its outcome is recorded)."""
        entry = self._attempts.get(request.task_id)
        if entry is None or not log.isEnabledFor(DEBUG):
            return
        attempt = Attempt(entry)
        fields = self._fields(request.task_id, attempt, "stopping")
        fields.update(cancelled_by=request.cancelled_by, reason=request.reason)
        log.debug(
            "task %s %s: stopping it (%s)",
            request.task_id,
            attempt.name,
            request.describe(),
            extra=fields,
        )

    def cancelled(
        self, outcome: Cancelled, state: TaskState | None, *, resent: bool = False
    ) -> None:
        """A run stopped by its cancellation was recorded (state None: refused, as
        ``completed`` says): INFO, or WARNING when it had to be forced."""
        entry = self._attempts.pop(outcome.task_id, None)
        if entry is None:
            return
        attempt = Attempt(entry)
        if state is None:
            self._refused(outcome, attempt, resent)
            return
        level = WARNING if outcome.forced else INFO
        if not log.isEnabledFor(level):
            return
        fields = self._fields(outcome.task_id, attempt, "cancelled")
        fields.update(
            cancelled_by=outcome.cancelled_by, reason=outcome.reason, forced=outcome.forced
        )
        log.log(
            level,
            "task %s %s stopped and %s (%s%s): %s",
            outcome.task_id,
            attempt.name,
            state,
            attempt.counted(),
            attempt.took(),
            outcome.error,
            extra=fields,
        )

    def lease_lost(self, task_id: TaskId) -> None:
        """The heartbeat found the task held by no one or by another worker: it stops here."""
        entry = self._attempts.pop(task_id, None)
        if entry is None or not log.isEnabledFor(WARNING):
            return
        attempt = Attempt(entry)
        log.warning(
            "task %s %s lost its lease (%s): stopped here, its outcome will not be recorded; "
            "another worker may run it",
            task_id,
            attempt.name,
            attempt.counted(),
            extra=self._fields(task_id, attempt, "lease_lost"),
        )

    def _refused(self, outcome: Outcome, attempt: Attempt, resent: bool) -> None:
        what = _REFUSED_WHAT[type(outcome)]
        if resent:
            # The connection dropped after the first send: its answer was lost, and it most
            # likely committed, so that this second send finds the task recorded already.
            if not log.isEnabledFor(INFO):
                return
            log.info(
                "task %s %s %s (%s%s): its outcome, sent again after a lost connection, was "
                "refused, most likely recorded by the first send (else its lease ran out and "
                "it runs again elsewhere)",
                outcome.task_id,
                attempt.name,
                what,
                attempt.counted(),
                attempt.took(),
                extra=self._fields(outcome.task_id, attempt, "refused_on_resend"),
            )
            return
        if not log.isEnabledFor(WARNING):
            return
        log.warning(
            "task %s %s %s (%s%s) but its lease was lost meanwhile: the outcome was not "
            "recorded, and the task runs again elsewhere",
            outcome.task_id,
            attempt.name,
            what,
            attempt.counted(),
            attempt.took(),
            extra=self._fields(outcome.task_id, attempt, "lease_lost"),
        )

    def _fields(self, task_id: TaskId, attempt: Attempt, event: str) -> dict[str, Any]:
        return {
            "event": event,
            "task_id": task_id,
            "task_name": attempt.name,
            "attempt": attempt.attempt,
            "max_attempts": attempt.max_attempts,
            "duration": attempt.duration,
            "worker_id": self._worker_id,
        }


_REFUSED_WHAT: dict[type[Outcome], str] = {
    Completed: "completed",
    Failed: "failed",
    Throttled: "was rate limited",
    Cancelled: "was cancelled",
}
_SCOPES = {"key": "limit key", "queue": "queue", None: "limit key (its queue if it has none)"}


def _last_line(text: str) -> str:
    """The exception line of a traceback (its last line), or the whole of a one-line error."""
    return text.rstrip().rpartition("\n")[2].strip()
