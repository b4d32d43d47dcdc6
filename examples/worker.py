"""Runs the example tasks: records them in tasklib.task_types, then works until Ctrl-C.

TASKLIB_DATABASE_URL=postgresql://... python -m examples.worker
"""

from __future__ import annotations

import asyncio

import tasklib
from examples import tasks  # noqa: F401  (registers the @task functions)
from tasklib.task_types import register_task_types


async def main() -> None:
    config = tasklib.Config()
    # Workers record their tasks at start too; doing it here lets the SQL examples run first.
    register_task_types(config.require_database_url(), config=config)
    worker = tasklib.TaskWorker(config, concurrency=4, queues=["default", "images"])
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main())
