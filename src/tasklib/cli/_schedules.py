"""`tasklib schedules [list|show|create|pause|resume|remove|apply]`: cron schedules."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from tasklib.cli._support import (
    TaskLibGroup,
    database_url_option,
    json_option,
    keep_running_option,
    print_change,
    print_json,
    resolve_database,
    session,
    stdout,
)
from tasklib.cli._worker import import_task_module
from tasklib.errors import ConfigurationError, InvalidArgumentError
from tasklib.schedules import CATCH_UP_POLICIES, Schedule, declared_schedules


@click.group(cls=TaskLibGroup, invoke_without_command=True)
@database_url_option
@keep_running_option
@json_option
@click.pass_context
def schedules(
    ctx: click.Context, database_url: str | None, keep_running: bool, as_json: bool
) -> None:
    """Show cron schedules and create, pause, resume or remove them.

    Without a command, lists every schedule (as `tasklib schedules list`). Changing a schedule
    needs a login in tasklib_admin. See docs/cron.md.
    """
    if ctx.invoked_subcommand is None:
        _list(database_url, keep_running, as_json)


@schedules.command("list")
@database_url_option
@keep_running_option
@json_option
def list_command(database_url: str | None, keep_running: bool, as_json: bool) -> None:
    """List every schedule: its task, cron expression, next and latest fire."""
    _list(database_url, keep_running, as_json)


def _list(database_url: str | None, keep_running: bool, as_json: bool) -> None:
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        found = db.client.list_schedules(connection=db.connection)
    if as_json:
        print_json([schedule.model_dump(mode="json") for schedule in found])
        return
    if not found:
        stdout.print(
            "no schedules (create one with `tasklib schedules create` or @task(schedule=))"
        )
        return
    stdout.print(schedules_table(found))


def schedules_table(found: list[Schedule]) -> Table:
    """One row per schedule."""
    table = Table(
        title="Schedules",
        title_justify="left",
        box=None,
        pad_edge=False,
        header_style="bold underline",
        caption="times in your local time zone; the cron expression is read in its own",
        caption_justify="left",
    )
    for header in (
        "name",
        "task",
        "cron",
        "zone",
        "catch-up",
        "next fire",
        "last fire",
        "last run",
    ):
        table.add_column(header, no_wrap=header in ("name", "cron"))
    for schedule in found:
        table.add_row(
            schedule.name,
            schedule.task_name,
            schedule.cron,
            schedule.timezone,
            schedule.catch_up,
            Text("paused", style="bold yellow")
            if schedule.paused
            else _time(schedule.next_fire_at),
            _time(schedule.last_fire_at),
            _last_run(schedule),
        )
    return table


@schedules.command("show")
@click.argument("name")
@database_url_option
@keep_running_option
@json_option
def show_command(database_url: str | None, keep_running: bool, as_json: bool, name: str) -> None:
    """Show one schedule, with its arguments and why its latest task was refused, if it was."""
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        schedule = db.client.get_schedule(name, connection=db.connection)
    if as_json:
        print_json(schedule.model_dump(mode="json"))
        return
    _print_schedule(schedule)


@schedules.command("create")
@click.argument("name")
@click.argument("task")
@click.argument("cron")
@click.option("--args", "args_json", default="{}", metavar="JSON", help="The task's arguments.")
@click.option(
    "--timezone", default="UTC", show_default=True, help="Time zone the expression is read in."
)
@click.option(
    "--catch-up",
    type=click.Choice(CATCH_UP_POLICIES),
    default="one",
    show_default=True,
    help="Fire times missed while no worker ran: run the latest once, or skip them.",
)
@database_url_option
@keep_running_option
@json_option
def create_command(
    database_url: str | None,
    keep_running: bool,
    as_json: bool,
    name: str,
    task: str,
    cron: str,
    args_json: str,
    timezone: str,
    catch_up: Any,
) -> None:
    """Create schedule NAME running TASK at each fire time of CRON, or replace its definition.

    CRON has 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or
    is an alias such as @daily; quote it: `tasklib schedules create nightly reports.daily
    "0 3 * * *" --timezone Europe/Paris`.
    """
    try:
        args = json.loads(args_json)
    except json.JSONDecodeError as error:
        raise InvalidArgumentError(f"--args must be a JSON object: {error}") from None
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        schedule = db.client.create_schedule(
            task,
            cron=cron,
            name=name,
            args=args,
            timezone=timezone,
            catch_up=catch_up,
            connection=db.connection,
        )
    print_change(schedule, as_json, f"schedule {schedule.name}: {task} at {_cron(schedule)}")


@schedules.command("pause")
@click.argument("name")
@database_url_option
@keep_running_option
@json_option
def pause_command(database_url: str | None, keep_running: bool, as_json: bool, name: str) -> None:
    """Stop the schedule from firing until `resume` (a run already submitted still runs)."""
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        schedule = db.client.pause_schedule(name, connection=db.connection)
    print_change(schedule, as_json, f"schedule {schedule.name} paused")


@schedules.command("resume")
@click.argument("name")
@database_url_option
@keep_running_option
@json_option
def resume_command(database_url: str | None, keep_running: bool, as_json: bool, name: str) -> None:
    """Let the schedule fire again from its next fire time (the paused ones do not run)."""
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        schedule = db.client.resume_schedule(name, connection=db.connection)
    print_change(schedule, as_json, f"schedule {schedule.name} resumed")


@schedules.command("remove")
@click.argument("name")
@database_url_option
@keep_running_option
@json_option
def remove_command(database_url: str | None, keep_running: bool, as_json: bool, name: str) -> None:
    """Delete the schedule and its fire history (the tasks it submitted stay).

    A schedule declared in code comes back when a worker that declares it starts: remove the
    declaration from the code too.
    """
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        db.client.remove_schedule(name, connection=db.connection)
    if as_json:
        print_json({"removed": name})
        return
    stdout.print(f"schedule {name} removed", highlight=False)


@schedules.command("apply", short_help="Create or replace the schedules MODULE(s) declare.")
@click.argument("modules", nargs=-1, required=True)
@database_url_option
@keep_running_option
@json_option
def apply_command(
    modules: tuple[str, ...], database_url: str | None, keep_running: bool, as_json: bool
) -> None:
    """Create or replace the schedules declared in MODULE(s) (@task(schedule=...) and
    tasklib.schedule(...)), as a login in tasklib_admin, e.g. at deploy time.

    Workers apply them too when they start, if their login is in tasklib_admin; otherwise they
    fire the schedules stored and warn about declarations that differ.
    """
    before = {definition.name for definition in declared_schedules()}
    for module in modules:
        import_task_module(module)
    definitions = [d for d in declared_schedules() if d.name not in before]
    if not definitions:
        raise ConfigurationError(
            f"no schedule is declared in {', '.join(modules)}: declare them with "
            "@task(schedule=...) or tasklib.schedule(fn, cron=...)"
        )
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        changed = db.client.apply_schedules(definitions, connection=db.connection)
    names = [definition.name for definition in definitions]
    if as_json:
        print_json({"declared": names, "changed": changed})
        return
    stdout.print(
        f"{len(names)} schedule(s) declared, {len(changed)} created or changed"
        + (f": {', '.join(changed)}" if changed else ""),
        highlight=False,
    )


def _print_schedule(schedule: Schedule) -> None:
    rows: list[tuple[str, str | Text]] = [
        ("name", schedule.name),
        ("task", schedule.task_name),
        ("args", json.dumps(schedule.args) if schedule.args is not None else "(not shown)"),
        ("cron", _cron(schedule)),
        ("catch-up", schedule.catch_up),
        ("paused", "yes" if schedule.paused else "no"),
        ("next fire", _time(schedule.next_fire_at)),
        ("last fire", _time(schedule.last_fire_at)),
        ("last task", str(schedule.last_task_id) if schedule.last_task_id else "-"),
        ("last run", _last_run(schedule)),
    ]
    if schedule.last_error:
        rows.append(("refused", Text(schedule.last_error, style="red")))
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for label, value in rows:
        table.add_row(label, value)
    stdout.print(table)


def _cron(schedule: Schedule) -> str:
    return f"{schedule.cron} ({schedule.timezone})"


def _last_run(schedule: Schedule) -> str | Text:
    if schedule.last_fire_refused:
        return Text("refused", style="red")
    return schedule.last_task_state or "-"


def _time(value: datetime | None) -> str:
    # The reader's local time with its offset, as `tasklib tasks` shows times.
    return value.astimezone().isoformat(sep=" ", timespec="seconds") if value else "-"
