"""`tasklib worker MODULE`: import the module that defines the tasks and run TaskWorkers.

Every option can also come from an environment variable (``tasklib worker --help`` names them),
so that a systemd unit or a Kubernetes manifest configures workers without editing commands.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import logging
import os
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import click
from click.core import ParameterSource

from tasklib.cli._support import resolve_database
from tasklib.config import DATABASE_URL_ENV, Config
from tasklib.errors import ConfigurationError, TaskTypeConflictError
from tasklib.registry import registered_tasks
from tasklib.task_types import register_task_types
from tasklib.worker import TaskWorker, _loop
from tasklib.worker._logs import configure_logging
from tasklib.worker._supervisor import supervise


def import_task_module(target: str) -> ModuleType:
    """Import a module by dotted name ("myapp.tasks") or by file path ("examples/app.py").

    A path is imported under its dotted name relative to the first folder above it that is not
    a package, and that folder goes on sys.path: tasks get the same names as when the
    application imports the module from there (task names default to module.qualname).
    """
    path = Path(target)
    if target.endswith(".py") or path.is_file():
        if not path.is_file():
            raise ConfigurationError(f"no such file: {target}")
        path = path.resolve()
        parts = [path.stem]
        folder = path.parent
        while (folder / "__init__.py").is_file():
            parts.insert(0, folder.name)
            folder = folder.parent
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
        name = ".".join(parts)
    else:
        name = target
        if "" not in sys.path and os.getcwd() not in sys.path:
            # Like `python -m`, find modules of the current folder.
            sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name is not None and (name == error.name or name.startswith(error.name + ".")):
            raise ConfigurationError(f"cannot import task module {target!r}: {error}") from None
        raise


def _split_queues(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> Any:
    """--queue is repeated on the command line; $TASKLIB_WORKER_QUEUES separates with commas."""
    if ctx.get_parameter_source(param.name or "") is ParameterSource.ENVIRONMENT:
        return tuple(q.strip() for item in value for q in item.split(",") if q.strip())
    return value


@click.command("worker")
@click.argument("module")
@click.option(
    "--concurrency",
    "-c",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    envvar="TASKLIB_WORKER_CONCURRENCY",
    show_envvar=True,
    help="Tasks run at the same time, per process.",
)
@click.option(
    "--processes",
    "-p",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    envvar="TASKLIB_WORKER_PROCESSES",
    show_envvar=True,
    help="Worker processes to run; SIGTERM/SIGINT are passed on to each, and one that fails "
    "stops the others (the command then exits non-zero).",
)
@click.option(
    "--database-url",
    envvar=DATABASE_URL_ENV,
    show_envvar=True,
    metavar="URL",
    help="PostgreSQL URL (without it, the embedded PostgreSQL).",
)
@click.option(
    "--queue",
    "-q",
    "queues",
    multiple=True,
    envvar="TASKLIB_WORKER_QUEUES",
    show_envvar=True,
    callback=_split_queues,
    help="Only take tasks of this queue (repeatable; the variable separates them with commas; "
    "default: every queue).",
)
@click.option(
    "--worker-id",
    default=None,
    envvar="TASKLIB_WORKER_ID",
    show_envvar=True,
    help="Name shown in tasks.worker_id (default: host-pid-random; with --processes, "
    "ID-1, ID-2, ...).",
)
@click.option(
    "--lease-seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    envvar="TASKLIB_LEASE_SECONDS",
    show_envvar=True,
    help="How long a dead worker's tasks wait before they run elsewhere (default: 30).",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    envvar="TASKLIB_POLL_INTERVAL",
    show_envvar=True,
    help="Seconds between polls when no notification arrives (default: 1).",
)
@click.option(
    "--no-listen",
    is_flag=True,
    envvar="TASKLIB_NO_LISTEN",
    show_envvar=True,
    help="Poll only, without LISTEN/NOTIFY (behind a transaction-mode pooler without "
    "TASKLIB_LISTEN_URL, a direct URL for LISTEN).",
)
@click.option(
    "--quiet-idle",
    is_flag=True,
    envvar="TASKLIB_QUIET_IDLE",
    show_envvar=True,
    help="Send no query while idle: wait for LISTEN/NOTIFY only (for databases that scale to "
    "zero; not with --no-listen). See docs/poolers.md for what it gives up.",
)
@click.option(
    "--shutdown-grace",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    envvar="TASKLIB_WORKER_SHUTDOWN_GRACE",
    show_envvar=True,
    help="Seconds running tasks get to finish on SIGTERM/SIGINT before they are handed back.",
)
@click.option(
    "--cancel-grace",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    envvar="TASKLIB_WORKER_CANCEL_GRACE",
    show_envvar=True,
    help="Seconds a task whose cancellation was asked for gets to stop before it is forced "
    "(its child process killed; an async or thread task left behind, recorded cancelled).",
)
@click.option(
    "--max-tasks-per-child",
    type=click.IntRange(min=1),
    default=None,
    envvar="TASKLIB_WORKER_MAX_TASKS_PER_CHILD",
    show_envvar=True,
    help="Replace a child process of sync tasks with a timeout after this many tasks "
    "(default: never; a child is replaced when it was killed or died).",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="INFO",
    show_default=True,
    envvar="TASKLIB_LOG_LEVEL",
    show_envvar=True,
    help="INFO logs each task's success, WARNING its retries, ERROR its final failure with the "
    "traceback; DEBUG adds each start.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"], case_sensitive=False),
    default="text",
    show_default=True,
    envvar="TASKLIB_LOG_FORMAT",
    show_envvar=True,
    help="json: one object per line, with task_id, task_name, attempt, duration, ... as fields.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(min=1, max=65535),
    default=None,
    envvar="TASKLIB_METRICS_PORT",
    show_envvar=True,
    help="Serve Prometheus metrics on this port (/metrics; extra tasklib-pg[metrics]); with "
    "--processes N, process n serves on PORT+n-1.",
)
def worker(
    module: str,
    concurrency: int,
    processes: int,
    database_url: str | None,
    queues: tuple[str, ...],
    worker_id: str | None,
    lease_seconds: float | None,
    poll_interval: float | None,
    no_listen: bool,
    quiet_idle: bool,
    shutdown_grace: float,
    cancel_grace: float,
    max_tasks_per_child: int | None,
    log_level: str,
    log_format: str,
    metrics_port: int | None,
) -> None:
    """Run a worker for the tasks defined in MODULE (a dotted name or a .py path).

    Exit codes: 0 after SIGTERM/SIGINT, 1 the tasklib schema is missing (run `tasklib
    migrate`), 2 bad options or no tasks in MODULE, 3 the database cannot be reached at start.
    """
    configure_logging(log_level, log_format.lower())
    imported = import_task_module(module)
    if not registered_tasks():
        example = f"{imported.__name__}.tasks" if hasattr(imported, "__path__") else "myapp.tasks"
        raise ConfigurationError(
            f"no tasks are registered after importing {module!r}: point `tasklib worker` at "
            f"the module that defines the @task functions, e.g. `tasklib worker {example}`"
        )
    # With no URL anywhere, run against the same embedded PostgreSQL as the other commands.
    url = resolve_database(database_url or None)
    if processes > 1:
        # Checked once here rather than once per process: the database answers, the schema is
        # there (the task types are recorded, as each worker does again at its start).
        # A type stored with another definition (TL006) is no reason to stop: each worker
        # process warns about it at its start.
        with contextlib.suppress(TaskTypeConflictError):
            register_task_types(url)
        options = {
            "--concurrency": str(concurrency),
            "--shutdown-grace": repr(shutdown_grace),
            "--cancel-grace": repr(cancel_grace),
            "--max-tasks-per-child": (
                None if max_tasks_per_child is None else str(max_tasks_per_child)
            ),
            "--log-level": log_level,
            "--log-format": log_format,
            "--lease-seconds": None if lease_seconds is None else repr(lease_seconds),
            "--poll-interval": None if poll_interval is None else repr(poll_interval),
        }
        command = [sys.executable, "-m", "tasklib", "worker", module, "--processes", "1"]
        for option, value in options.items():
            if value is not None:
                command += [option, value]
        for queue in queues:
            command += ["--queue", queue]
        if no_listen:
            command.append("--no-listen")
        if quiet_idle:
            command.append("--quiet-idle")
        commands = [
            command if worker_id is None else [*command, "--worker-id", f"{worker_id}-{n}"]
            for n in range(1, processes + 1)
        ]
        if metrics_port is not None:
            commands = [
                [*c, "--metrics-port", str(metrics_port + n)] for n, c in enumerate(commands)
            ]
        # The URL goes by environment, not argument: other users of the host see arguments.
        sys.exit(supervise(commands, {**os.environ, DATABASE_URL_ENV: url}))
    config = Config(database_url=url)
    if lease_seconds is not None:
        config = dataclasses.replace(config, lease_seconds=lease_seconds)
    if poll_interval is not None:
        config = dataclasses.replace(config, poll_interval_seconds=poll_interval)
    config = dataclasses.replace(
        config, listen_notify=config.listen_notify and not no_listen, quiet_idle=quiet_idle
    )
    task_worker = TaskWorker(
        config,
        concurrency,
        queues=list(queues) or None,
        worker_id=worker_id,
        shutdown_grace_seconds=shutdown_grace,
        cancel_grace_seconds=cancel_grace,
        metrics_port=metrics_port,
        max_tasks_per_child=max_tasks_per_child,
    )
    # Errors (no database: exit 3, no schema: 1, bad options: 2) go to the tasklib command,
    # which prints them in one line, as for every other command.
    _loop.run(task_worker.run())
    if any(thread.name.startswith("tasklib-task") for thread in threading.enumerate()):
        # A released sync task may still run in a thread that cannot be interrupted; its task
        # is already back in the queue, so it must not hold the process open.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
