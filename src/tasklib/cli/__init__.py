"""The tasklib command: the group and its subcommands, each defined in a module of its own.

Without --database-url or $TASKLIB_DATABASE_URL, commands use an embedded PostgreSQL
(see tasklib.embedded). Exit codes: 0 success, 1 the operation was refused (unknown task id,
wrong state), 2 bad arguments or configuration, 3 database unreachable.
"""

from __future__ import annotations

import click

import tasklib
from tasklib.cli._dashboard import dashboard
from tasklib.cli._doctor import doctor
from tasklib.cli._maintenance import db, purge
from tasklib.cli._queues import queues
from tasklib.cli._register import register
from tasklib.cli._schedules import schedules
from tasklib.cli._status import status
from tasklib.cli._support import (
    EXIT_REFUSED,
    TaskLibGroup,
    database_url_option,
    keep_running_option,
    resolve_database,
    stdout,
)
from tasklib.cli._tasks import tasks
from tasklib.config import Config
from tasklib.db import connections

__all__ = ["database_url_option", "keep_running_option", "main", "resolve_database"]


@click.group(cls=TaskLibGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tasklib-pg")
def main() -> None:
    """TaskLib: background tasks with PostgreSQL as the only infrastructure.

    Start with `tasklib demo`.
    """


@main.command()
@database_url_option
@keep_running_option
@click.option(
    "--rollback",
    "rollback_steps",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Revert the last N changes instead of applying.",
)
@click.option("--rollback-all", is_flag=True, help="Revert every change (drops the schema).")
def migrate(
    database_url: str | None, keep_running: bool, rollback_steps: int | None, rollback_all: bool
) -> None:
    """Apply the tasklib schema (or revert it)."""
    url = resolve_database(database_url, keep_running=keep_running, apply_migrations=False)
    # Fail with the usual one-line message before yoyo tries.
    connections.connect(Config(database_url=url, application_name="tasklib-cli")).close()
    if rollback_all or rollback_steps is not None:
        names = tasklib.rollback(url, steps=None if rollback_all else rollback_steps)
        verb = "reverted"
    else:
        names = tasklib.migrate(url)
        verb = "applied"
    stdout.print(
        f"{verb}: {', '.join(names)}" if names else "schema is up to date", highlight=False
    )


@main.command(short_help="Run a few hundred sample tasks end to end (start here).")
@database_url_option
@keep_running_option
@click.option(
    "--concurrency", type=click.IntRange(min=1), default=8, show_default=True, help="Worker slots."
)
def demo(database_url: str | None, keep_running: bool, concurrency: int) -> None:
    """Run TaskLib end to end: submit a few hundred sample tasks and work them off.

    Shows successes, retries with backoff, a delayed task, priorities, tags and permanent
    failures, then the status table. Exits non-zero if a task did not end as expected.
    """
    from tasklib.demo import run_demo

    url = resolve_database(database_url, keep_running=keep_running)
    if database_url:
        tasklib.migrate(url)  # the embedded database is migrated already; a given one may not be
    outcome = run_demo(url, concurrency=concurrency, console=stdout)
    if outcome.problems:
        raise SystemExit(EXIT_REFUSED)


main.add_command(register)
main.add_command(status)
main.add_command(tasks)
main.add_command(queues)
main.add_command(purge)
main.add_command(db)
main.add_command(dashboard)
main.add_command(schedules)
main.add_command(doctor)


from tasklib.cli._worker import worker as worker_command  # noqa: E402

main.add_command(worker_command)
