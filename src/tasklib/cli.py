"""The tasklib command: migrations (more commands join as the CLI grows)."""

from __future__ import annotations

import sys

import click

import tasklib
from tasklib.errors import TaskLibError

database_url_option = click.option(
    "--database-url",
    envvar="TASKLIB_DATABASE_URL",
    help="PostgreSQL URL (default: $TASKLIB_DATABASE_URL).",
)


@click.group()
@click.version_option(package_name="tasklib")
def main() -> None:
    """TaskLib: background tasks with PostgreSQL as the only infrastructure."""


@main.command()
@database_url_option
@click.option(
    "--rollback",
    "rollback_steps",
    type=int,
    default=None,
    metavar="N",
    help="Revert the last N changes instead of applying.",
)
@click.option("--rollback-all", is_flag=True, help="Revert every change (drops the schema).")
def migrate(database_url: str | None, rollback_steps: int | None, rollback_all: bool) -> None:
    """Apply the tasklib schema (or revert it)."""
    try:
        if rollback_all or rollback_steps is not None:
            names = tasklib.rollback(database_url, steps=None if rollback_all else rollback_steps)
            verb = "reverted"
        else:
            names = tasklib.migrate(database_url)
            verb = "applied"
    except TaskLibError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    click.echo(f"{verb}: {', '.join(names)}" if names else "schema is up to date")
