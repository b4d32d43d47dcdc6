"""The worker: claims tasks from PostgreSQL, runs them, and records what happened."""

from tasklib.worker._lifecycle import IllegalTransitionError, State
from tasklib.worker._logs import JsonFormatter
from tasklib.worker._outcomes import Completed, Failed, Outcome, TaskRun, Throttled
from tasklib.worker._worker import TaskWorker, default_worker_id

__all__ = [
    "Completed",
    "Failed",
    "IllegalTransitionError",
    "JsonFormatter",
    "Outcome",
    "State",
    "TaskRun",
    "TaskWorker",
    "Throttled",
    "default_worker_id",
]
