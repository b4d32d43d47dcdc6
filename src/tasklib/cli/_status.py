"""`tasklib status`: the Quick Status counts of the monitoring views, as a table or JSON."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from tasklib.cli._support import (
    database_url_option,
    json_option,
    keep_running_option,
    print_json,
    resolve_database,
    session,
    stdout,
)

# Table headers short enough for an 80-column terminal; JSON keeps the views' column names.
_HEADERS = {
    "pending": "pending",
    "running": "running",
    "completed": "completed",
    "failed_retrying": "retrying",
    "failed_permanent": "failed",
    "cancelled": "cancelled",
    "total": "total",
}


def status_table(status: dict[str, Any], title: str = "Task status") -> Table:
    """A rich table: one row per task name, then the overall total."""
    table = Table(
        title=title,
        title_justify="left",
        # No box and no edge padding: the eight columns then fit an 80-column terminal.
        box=None,
        pad_edge=False,
        header_style="bold underline",
        caption="retrying: failed, runs again after its backoff; failed: retries spent",
        caption_justify="left",
    )
    table.add_column("task", no_wrap=True)
    for header in _HEADERS.values():
        table.add_column(header, justify="right", no_wrap=True)
    for row in status["by_name"]:
        table.add_row(row["name"], *(_count(row[column]) for column in _HEADERS))
    table.add_section()
    overall = status["overall"]
    table.add_row("all tasks", *(_count(overall[c]) for c in _HEADERS), style="bold")
    return table


def _count(value: int) -> str:
    return str(value) if value else "[dim]0[/dim]"


@click.command(short_help="Count tasks per state, overall and per task name.")
@database_url_option
@keep_running_option
@json_option
def status(database_url: str | None, keep_running: bool, as_json: bool) -> None:
    """Count tasks per state, overall and per task name (the Quick Status query).

    "failed retrying" tasks will run again after their backoff; "failed permanent" ones have
    spent their retries (see `tasklib tasks list --state failed`).
    """
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        result = db.client.status(connection=db.connection)
    if as_json:
        print_json(result)
    else:
        stdout.print(status_table(result))
