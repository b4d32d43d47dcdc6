"""The worker: claims tasks from PostgreSQL, runs them, and records what happened."""

from tasklib.worker._worker import TaskWorker, default_worker_id

__all__ = ["TaskWorker", "default_worker_id"]
