"""`tasklib purge` (delete old finished tasks) and `tasklib db` (the embedded server's lifetime)."""

from __future__ import annotations

from datetime import timedelta

import click

from tasklib import embedded
from tasklib.cli._params import DURATION, format_duration
from tasklib.cli._support import (
    TaskLibGroup,
    database_url_option,
    json_option,
    keep_running_option,
    print_json,
    resolve_database,
    session,
    stdout,
)


@click.command(short_help="Delete finished tasks older than a duration.")
@click.option(
    "--older-than",
    type=DURATION,
    required=True,
    help="Delete tasks that finished longer ago than this: 90s, 30m, 12h, 7d, 2w.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=10000,
    show_default=True,
    help="Rows deleted per transaction, so that no statement holds many locks for long.",
)
@database_url_option
@keep_running_option
@json_option
def purge(
    older_than: timedelta,
    batch_size: int,
    database_url: str | None,
    keep_running: bool,
    as_json: bool,
) -> None:
    """Delete finished tasks (completed, permanently failed, cancelled) older than a duration.

    Failures still waiting for a retry are kept whatever their age. Run it from cron or a
    scheduler, e.g. daily with --older-than 7d.
    """
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        deleted = db.client.purge(older_than, batch_size=batch_size, connection=db.connection)
    if as_json:
        print_json({"deleted": deleted, "older_than_seconds": older_than.total_seconds()})
    else:
        stdout.print(
            f"deleted {deleted} finished task(s) older than {format_duration(older_than)}",
            highlight=False,
        )


@click.group(cls=TaskLibGroup, short_help="Start, stop or inspect the embedded PostgreSQL.")
def db() -> None:
    """Start, stop or inspect the embedded PostgreSQL used when no database URL is set."""


@db.command("start")
def db_start() -> None:
    """Start the embedded PostgreSQL (migrated) and leave it running for later commands."""
    url = resolve_database(None, keep_running=True)
    stdout.print(f"embedded PostgreSQL running; connect with: psql '{url}'", highlight=False)


@db.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL; later commands start it again only while they run."""
    if embedded.stop_default():
        stdout.print(f"stopped the embedded PostgreSQL in {embedded.default_data_dir()}")
    else:
        stdout.print("the embedded PostgreSQL was not running")


@db.command("status")
@json_option
def db_status(as_json: bool) -> None:
    """Say whether the embedded PostgreSQL is running, where, and whether it is kept running."""
    data_dir = embedded.default_data_dir()
    pid = embedded.running_pid(data_dir)
    info = {
        "data_dir": str(data_dir),
        "initialized": (data_dir / "PG_VERSION").exists(),
        "running": pid is not None,
        "pid": pid,
        "keep_running": embedded.keeps_running(),
    }
    if as_json:
        print_json(info)
        return
    state = f"running (pid {pid})" if pid is not None else "not running"
    kept = ", kept running between commands" if info["keep_running"] else ""
    stdout.print(f"embedded PostgreSQL in {data_dir}: {state}{kept}", highlight=False)
