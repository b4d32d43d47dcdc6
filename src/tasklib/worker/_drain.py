"""What run_until_idle collects: each claimed task's name, and a TaskRun per recorded outcome."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from tasklib.db.statements import TaskId
from tasklib.models import TaskState
from tasklib.worker._outcomes import Completed, Outcome, TaskRun, Throttled


class DrainLog:
    """Filled by the claim loop (names) and the reporter (outcomes) while a worker drains."""

    def __init__(self) -> None:
        self._names: dict[TaskId, str] = {}
        self.runs: list[TaskRun] = []

    def claimed(self, rows: list[tuple[Any, ...]]) -> None:
        """Note the name of each claimed row (id, name, ...)."""
        for row in rows:
            self._names[row[0]] = row[1]

    def recorded(
        self, outcome: Outcome, state: TaskState | None, next_retry_at: datetime | None
    ) -> None:
        """Note an outcome once the database has answered for it."""
        if isinstance(outcome, Completed):
            result, error = json.loads(outcome.result_json), None
        elif isinstance(outcome, Throttled):
            result, error = None, f"RateLimited: retry after {outcome.retry_after:g} s"
        else:
            result, error = None, outcome.error
        self.runs.append(
            TaskRun(
                task_id=UUID(outcome.task_id),
                name=self._names[outcome.task_id],
                state=state,
                result=result,
                error=error,
                next_retry_at=next_retry_at,
            )
        )
