"""`tasklib status`: the seed's Quick Status, overall and per task name, as a table or JSON."""

from __future__ import annotations

from typing import Any

import click
import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb
from rich.table import Table

from tasklib._cli_support import (
    connect,
    database_url_option,
    json_option,
    keep_running_option,
    print_json,
    resolve_database,
    stdout,
)

COUNT_COLUMNS = (
    "total",
    "pending",
    "running",
    "completed",
    "failed_retrying",
    "failed_permanent",
    "cancelled",
)

# The seed's Quick Status, grouped by task name; ROLLUP adds the overall row (name NULL).
STATUS_SQL = """
SELECT name,
       count(*) AS total,
       count(*) FILTER (WHERE state = 'pending') AS pending,
       count(*) FILTER (WHERE state = 'running') AS running,
       count(*) FILTER (WHERE state = 'completed') AS completed,
       count(*) FILTER (WHERE state = 'failed' AND retry_count < max_retries) AS failed_retrying,
       count(*) FILTER (WHERE state = 'failed' AND retry_count >= max_retries) AS failed_permanent,
       count(*) FILTER (WHERE state = 'cancelled') AS cancelled
  FROM tasklib.tasks
 WHERE %(tags)s::jsonb IS NULL OR tags @> %(tags)s::jsonb
 GROUP BY ROLLUP (name)
 ORDER BY name NULLS FIRST
"""


def fetch_status(
    conn: psycopg.Connection[DictRow], tags: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Counts per state overall and per task name, optionally only tasks carrying ``tags``."""
    rows = conn.execute(STATUS_SQL, {"tags": Jsonb(tags) if tags else None}).fetchall()
    return status_from_rows(rows)


def status_from_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """STATUS_SQL's rows as {"overall": counts, "by_name": [{"name": ..., **counts}]}."""
    overall = dict.fromkeys(COUNT_COLUMNS, 0)
    by_name: list[dict[str, Any]] = []
    for row in rows:
        counts = {column: int(row[column]) for column in COUNT_COLUMNS}
        if row["name"] is None:
            overall = counts
        else:
            by_name.append({"name": row["name"], **counts})
    return {"overall": overall, "by_name": by_name}


# Table headers short enough for an 80-column terminal; JSON keeps the seed's names.
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
    with connect(url) as conn:
        result = fetch_status(conn)
    if as_json:
        print_json(result)
    else:
        stdout.print(status_table(result))
