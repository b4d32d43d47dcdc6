"""``manage.py tasklib_worker``: a TaskWorker for the project's Django tasks (and @task ones).

It imports every installed app's ``tasks`` module, TASKLIB["TASK_MODULES"] and the modules
named on the command line, then runs a TaskWorker on the database of TASKLIB["DATABASE"]
until SIGTERM/SIGINT (or, with ``--until-idle``, until no task is due).
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils.module_loading import autodiscover_modules

from tasklib.contrib.django import _settings
from tasklib.errors import TaskLibError
from tasklib.registry import registered_tasks
from tasklib.worker import TaskWorker


class Command(BaseCommand):
    help = (
        "Run a TaskLib worker for this project's tasks: each app's tasks module, "
        'TASKLIB["TASK_MODULES"] and the MODULES given.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "modules", nargs="*", metavar="MODULE", help="more modules that define tasks"
        )
        parser.add_argument(
            "-c", "--concurrency", type=int, default=None, help="tasks run at the same time"
        )
        parser.add_argument(
            "-q",
            "--queue",
            action="append",
            dest="queues",
            default=None,
            help="only take tasks of this queue (repeatable; default: every queue)",
        )
        parser.add_argument("--worker-id", default=None, help="the name in tasks.worker_id")
        parser.add_argument(
            "--shutdown-grace",
            type=float,
            default=None,
            help="seconds running tasks get to finish on SIGTERM/SIGINT (default: 30)",
        )
        parser.add_argument(
            "--until-idle",
            action="store_true",
            help="run the tasks that are due, then exit (one line per task run)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        autodiscover_modules("tasks")
        for module in [*_settings.task_modules(), *options["modules"]]:
            try:
                importlib.import_module(module)
            except ImportError as error:
                raise CommandError(f"cannot import task module {module!r}: {error}") from None
        if not registered_tasks():
            raise CommandError(
                "no tasks found: define Django tasks in an installed app's tasks.py, or name "
                'their modules in settings.TASKLIB["TASK_MODULES"] or on the command line'
            )
        defaults = _settings.worker_defaults()
        concurrency = options["concurrency"] or defaults.get("concurrency", 4)
        queues = options["queues"] or defaults.get("queues")
        grace = options["shutdown_grace"]
        if grace is None:
            grace = defaults.get("shutdown_grace_seconds", 30.0)
        try:
            worker = TaskWorker(
                _settings.config(),
                concurrency,
                queues=queues,
                worker_id=options["worker_id"],
                shutdown_grace_seconds=grace,
            )
            if options["until_idle"]:
                for run in asyncio.run(worker.run_until_idle()):
                    outcome = run.state or "not recorded (lease lost)"
                    self.stdout.write(f"{run.name} {run.task_id}: {outcome}")
            else:
                asyncio.run(worker.run())
        except TaskLibError as error:
            raise CommandError(str(error)) from None
        finally:
            connections.close_all()
