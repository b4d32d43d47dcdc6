"""`tasklib tasks list|show|retry|cancel`: look at tasks and act on one by id (cancel: also by
filter)."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from typing import Any, get_args
from uuid import UUID

import click
from rich.console import Group
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from tasklib.cli._params import DURATION, TAG_FILTER, TASK_ID, tag_candidates
from tasklib.cli._support import (
    Session,
    TaskLibGroup,
    database_url_option,
    json_option,
    keep_running_option,
    print_json,
    resolve_database,
    session,
    stdout,
)
from tasklib.client._core import Statement
from tasklib.db import statements
from tasklib.models import Task, TaskState, is_terminal

STATES: tuple[str, ...] = get_args(TaskState)


@click.group(cls=TaskLibGroup)
def tasks() -> None:
    """List tasks, show one, retry a failed one, cancel one or many."""


def select_tasks(
    db: Session,
    *,
    states: tuple[str, ...] = (),
    names: tuple[str, ...] = (),
    tags: tuple[tuple[str, str], ...] = (),
    limit: int = 50,
) -> list[Task]:
    """The newest tasks matching every filter given (states and names: any of them)."""
    tag_groups = [
        [json.dumps(candidate) for candidate in tag_candidates(key, value)] for key, value in tags
    ]
    query, params = statements.list_tasks(
        tag_groups=tag_groups, states=states, names=names, limit=limit
    )
    return db.client.fetch_tasks(Statement(query, params), connection=db.connection)


def describe_state(task: Task) -> str:
    """The state as an operator reads it: a failure says whether it will run again."""
    if task.state == "failed":
        return "failed (permanent)" if is_terminal(task) else "failed (will retry)"
    return task.state


@tasks.command("list")
@database_url_option
@keep_running_option
@json_option
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(STATES),
    help="Only tasks in this state (repeat for several).",
)
@click.option("--name", "names", multiple=True, help="Only tasks of this name (repeatable).")
@click.option(
    "--tag",
    "tags",
    multiple=True,
    type=TAG_FILTER,
    help="Only tasks tagged key=value (repeat: all must match).",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=50, show_default=True, help="At most N tasks."
)
def list_command(
    database_url: str | None,
    keep_running: bool,
    as_json: bool,
    states: tuple[str, ...],
    names: tuple[str, ...],
    tags: tuple[tuple[str, str], ...],
    limit: int,
) -> None:
    """List the newest tasks, optionally filtered by state, name and tags."""
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        found = select_tasks(db, states=states, names=names, tags=tags, limit=limit)
    if as_json:
        print_json([task.model_dump(mode="json") for task in found])
        return
    if not found:
        stdout.print("no task matches" if states or names or tags else "no tasks yet")
        return
    table = Table(title=f"{len(found)} task(s), newest first", title_justify="left")
    for column in ("id", "name", "state", "priority", "retries", "created", "tags"):
        table.add_column(column, no_wrap=column in ("id", "created"))
    for task in found:
        table.add_row(
            str(task.id),
            task.name,
            Text(describe_state(task), style=_STATE_STYLES.get(task.state, "")),
            str(task.priority),
            f"{task.retry_count}/{task.max_retries}",
            _time(task.created_at),
            json.dumps(task.tags) if task.tags else "",
        )
    stdout.print(table)


@tasks.command("show")
@click.argument("task_id", type=TASK_ID)
@database_url_option
@keep_running_option
@json_option
def show_command(
    database_url: str | None, keep_running: bool, as_json: bool, task_id: UUID
) -> None:
    """Show every field of one task, and the traceback of its latest failure."""
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        task = db.client.get_task(task_id, connection=db.connection)
    if as_json:
        print_json(task.model_dump(mode="json"))
        return
    stdout.print(render_task(task))


def render_task(task: Task) -> Group:
    """Every field of a task as a two-column grid, then its error in a panel."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    fields = task.model_dump()
    for name, value in fields.items():
        if name in ("error", "failures"):
            continue
        if name == "state":
            shown: Any = Text(describe_state(task), style=_STATE_STYLES.get(task.state, ""))
        elif isinstance(value, dict):
            shown = json.dumps(value, default=str)
        elif isinstance(value, datetime):
            shown = _time(value)
        elif value is None:
            shown = Text("-", style="dim")
        else:
            shown = str(value)
        grid.add_row(name, shown)
    parts: list[Any] = [grid]
    if task.failures:
        attempts = Table(title="failed attempts", title_justify="left", box=None, padding=(0, 2))
        for column in ("attempt", "worker", "started", "failed", "took", "error"):
            attempts.add_column(column)
        for failure in task.failures:
            started = _parsed_time(failure.get("started_at"))
            failed = _parsed_time(failure.get("failed_at"))
            took = f"{(failed - started).total_seconds():.3f} s" if started and failed else "-"
            attempts.add_row(
                str(failure.get("attempt", "-")),
                str(failure.get("worker") or "-"),
                _time(started) if started else "-",
                _time(failed) if failed else "-",
                took,
                _error_line(str(failure.get("error") or "")),
            )
        parts.append(attempts)
    if task.error:
        parts.append(
            Panel(
                Syntax(task.error, "pytb", word_wrap=True, background_color="default"),
                title="error (latest failed attempt)",
                title_align="left",
                border_style="red",
            )
        )
    return Group(*parts)


def _error_line(error: str) -> str:
    # As tasklib._error_line shows it in the views: a traceback's last line names the exception.
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    if not lines:
        return "-"
    return lines[-1] if lines[0].startswith("Traceback") else lines[0]


def _parsed_time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


@tasks.command("retry")
@click.argument("task_id", type=TASK_ID)
@click.option(
    "--delay", type=DURATION, default="0s", help="Run it after this long (e.g. 10m), not now."
)
@database_url_option
@keep_running_option
@json_option
def retry_command(
    database_url: str | None,
    keep_running: bool,
    as_json: bool,
    task_id: UUID,
    delay: timedelta,
) -> None:
    """Queue a permanently failed or cancelled task again, its retries restored."""
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        task = db.client.retry_task(
            task_id, delay_seconds=delay.total_seconds(), connection=db.connection
        )
    if as_json:
        print_json(task.model_dump(mode="json"))
        return
    when = "now" if not delay else f"at {_time(task.scheduled_at)}"
    stdout.print(f"task {task.id} ({task.name}) queued again; it runs {when}", highlight=False)


@tasks.command("cancel")
@click.argument("task_id", type=TASK_ID, required=False)
@click.option("--reason", default=None, help="Why, stored with the task (cancel_reason).")
@click.option("--name", default=None, help="Every unfinished task of this name (bulk).")
@click.option("--queue", default=None, help="Every unfinished task of this queue (bulk).")
@click.option(
    "--tag",
    "tags",
    multiple=True,
    type=TAG_FILTER,
    help="Every unfinished task tagged key=value (bulk; repeat: all must match).",
)
@database_url_option
@keep_running_option
@json_option
def cancel_command(
    database_url: str | None,
    keep_running: bool,
    as_json: bool,
    task_id: UUID | None,
    reason: str | None,
    name: str | None,
    queue: str | None,
    tags: tuple[tuple[str, str], ...],
) -> None:
    """Cancel a task by id, or every unfinished task matching --name, --queue and --tag.

    A task that has not started ends cancelled at once. A running task is asked to stop: its
    worker stops it and it ends cancelled (or completed, if it finished first).
    """
    bulk = name is not None or queue is not None or bool(tags)
    if (task_id is None) == (not bulk):
        raise click.UsageError(
            "give a task id, or filters (--name, --queue, --tag) to cancel every unfinished "
            "task matching them, not both"
            if bulk
            else "give a task id, or filters (--name, --queue, --tag)"
        )
    url = resolve_database(database_url, keep_running=keep_running)
    if task_id is None:
        with session(url) as db:
            ids = cancel_matching(db, name=name, queue=queue, tags=tags, reason=reason)
        if as_json:
            print_json({"count": len(ids), "ids": [str(i) for i in ids]})
        elif not ids:
            stdout.print("no unfinished task matches")
        else:
            stdout.print(
                f"cancelled {len(ids)} task(s); a running one ends cancelled once its worker "
                "has stopped it",
                highlight=False,
            )
        return
    with session(url) as db:
        task = db.client.cancel_task(task_id, reason=reason, connection=db.connection)
    if as_json:
        print_json(task.model_dump(mode="json"))
    elif task.state == "running":
        stdout.print(
            f"task {task.id} ({task.name}) is running: its worker {task.worker_id} was asked to "
            "stop it, and it ends cancelled once stopped",
            highlight=False,
        )
    else:
        stdout.print(f"task {task.id} ({task.name}) cancelled", highlight=False)


def cancel_matching(
    db: Session,
    *,
    name: str | None,
    queue: str | None,
    tags: tuple[tuple[str, str], ...],
    reason: str | None,
) -> list[UUID]:
    """Cancel the unfinished tasks that ``tasks list`` with these filters shows, in one
    transaction (a tag value such as 12345 matches the number and the text, as there); their
    ids in id order, i.e. oldest first."""
    ids: set[UUID] = set()
    with db.connection.transaction():
        for combination in itertools.product(*(tag_candidates(k, v) for k, v in tags)):
            merged: dict[str, Any] = {}
            for candidate in combination:
                merged.update(candidate)
            found = db.client.cancel_tasks(
                name=name,
                queue=queue,
                tags=merged or None,
                reason=reason,
                connection=db.connection,
            )
            ids.update(found)
    return sorted(ids)


_STATE_STYLES = {
    "pending": "cyan",
    "running": "yellow",
    "completed": "green",
    "failed": "red",
    "cancelled": "dim",
}


def _time(value: datetime | None) -> str:
    # In the reader's local time, with its offset, so that times from machines in other zones
    # (or UTC servers and logs) can be compared without guessing.
    return value.astimezone().isoformat(sep=" ", timespec="seconds") if value else "-"
