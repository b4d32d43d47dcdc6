"""`tasklib queues [list|show|pause|resume|set-limits|suspend]`: flow control from the shell."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click
from rich.console import Group
from rich.table import Table
from rich.text import Text

from tasklib.cli._params import RATE, SECONDS, format_rate
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
from tasklib.queues import Queue, RateLimit


@click.group(cls=TaskLibGroup, invoke_without_command=True)
@database_url_option
@keep_running_option
@json_option
@click.pass_context
def queues(ctx: click.Context, database_url: str | None, keep_running: bool, as_json: bool) -> None:
    """Show queues and change their flow control: pause, resume, limits, suspensions.

    Without a command, lists every queue (as `tasklib queues list`). Changing a queue needs a
    login in tasklib_admin.
    """
    if ctx.invoked_subcommand is None:
        _list(database_url, keep_running, as_json)


@queues.command("list")
@database_url_option
@keep_running_option
@json_option
def list_command(database_url: str | None, keep_running: bool, as_json: bool) -> None:
    """List every queue: pause, running tasks against the limit, rates, suspensions."""
    _list(database_url, keep_running, as_json)


def _list(database_url: str | None, keep_running: bool, as_json: bool) -> None:
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        found = db.client.list_queues(connection=db.connection)
    if as_json:
        print_json([queue.model_dump(mode="json") for queue in found])
        return
    if not found:
        stdout.print("no queues yet (a queue appears with its first task or its first limit)")
        return
    stdout.print(queues_table(found))


def queues_table(found: list[Queue]) -> Table:
    """One row per queue, short enough for an 80-column terminal."""
    table = Table(
        title="Queues",
        title_justify="left",
        box=None,
        pad_edge=False,
        header_style="bold underline",
        caption="running/limit: over every worker; rate: starts per period; key: per limit key",
        caption_justify="left",
    )
    table.add_column("queue", no_wrap=True)
    table.add_column("paused")
    for header in ("running", "due"):
        table.add_column(header, justify="right", no_wrap=True)
    for header in ("key limit", "rate"):
        table.add_column(header)
    table.add_column("tokens", justify="right", no_wrap=True)
    table.add_column("suspended until")
    table.add_column("keys suspended", justify="right")
    for queue in found:
        limit = queue.concurrency_limit
        table.add_row(
            queue.queue,
            Text("paused", style="bold yellow") if queue.paused else "",
            f"{queue.running}/{limit}" if limit is not None else str(queue.running),
            str(queue.due),
            _key_limits(queue) or _none(),
            _rate(queue.rate) or _none(),
            f"{queue.tokens_left:.1f}" if queue.tokens_left is not None else _none(),
            _time(queue.suspended_until) if queue.suspended_until else _none(),
            str(len(queue.suspended_keys)) if queue.suspended_keys else _none(),
        )
    return table


@queues.command("show")
@click.argument("name")
@database_url_option
@keep_running_option
@json_option
def show_command(database_url: str | None, keep_running: bool, as_json: bool, name: str) -> None:
    """Show one queue: its limits, load, pause and every suspended key."""
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        queue = db.client.get_queue(name, connection=db.connection)
    _print_queue(queue, as_json)


@queues.command("pause")
@click.argument("name")
@database_url_option
@keep_running_option
@json_option
def pause_command(database_url: str | None, keep_running: bool, as_json: bool, name: str) -> None:
    """Stop starting the queue's tasks until `resume`; running ones finish."""
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        queue = db.client.pause_queue(name, connection=db.connection)
    print_change(queue, as_json, f"queue {queue.queue} paused ({queue.running} still running)")


@queues.command("resume")
@click.argument("name")
@database_url_option
@keep_running_option
@json_option
def resume_command(database_url: str | None, keep_running: bool, as_json: bool, name: str) -> None:
    """Lift the queue's pause and every suspension of it and its keys; workers wake at once."""
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        queue = db.client.resume_queue(name, connection=db.connection)
    print_change(queue, as_json, f"queue {queue.queue} resumed ({queue.due} task(s) due)")


@queues.command("set-limits")
@click.argument("name")
@click.option(
    "--concurrency",
    type=int,
    metavar="N",
    help="At most N of the queue's tasks running at once, over every worker.",
)
@click.option(
    "--key-concurrency",
    type=int,
    metavar="N",
    help="At most N running tasks per limit key.",
)
@click.option("--rate", type=RATE, help="At most N starts per period: 50/1s, 100/1m, 5/10s.")
@click.option(
    "--rate-burst", type=int, metavar="N", help="Starts --rate may save up (default 1: even)."
)
@click.option("--key-rate", type=RATE, help="At most N starts per period for each limit key.")
@click.option("--key-rate-burst", type=int, metavar="N", help="Starts --key-rate may save up.")
@database_url_option
@keep_running_option
@json_option
def set_limits_command(
    database_url: str | None,
    keep_running: bool,
    as_json: bool,
    name: str,
    concurrency: int | None,
    key_concurrency: int | None,
    rate: tuple[int, float] | None,
    rate_burst: int | None,
    key_rate: tuple[int, float] | None,
    key_rate_burst: int | None,
) -> None:
    """Set the queue's limits, REPLACING all of them: a limit not given is lifted.

    So `tasklib queues set-limits api --rate 50/1s` leaves the queue with that rate and no
    concurrency limit, whatever it had; with no option at all it lifts every limit. The queue
    is created if it does not exist yet.
    """
    queue_rate = _rate_limit("--rate", rate, rate_burst)
    queue_key_rate = _rate_limit("--key-rate", key_rate, key_rate_burst)
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        queue = db.client.set_queue_limits(
            name,
            concurrency=concurrency,
            key_concurrency=key_concurrency,
            rate=queue_rate,
            key_rate=queue_key_rate,
            connection=db.connection,
        )
    print_change(queue, as_json, f"queue {queue.queue}: {_limits(queue)}")


@queues.command("suspend")
@click.argument("name")
@click.option(
    "--for",
    "seconds",
    type=SECONDS,
    required=True,
    help="How long: seconds (90) or a duration (90s, 5m, 1h).",
)
@click.option("--key", metavar="KEY", help="Suspend only the tasks of this limit key.")
@database_url_option
@keep_running_option
@json_option
def suspend_command(
    database_url: str | None,
    keep_running: bool,
    as_json: bool,
    name: str,
    seconds: float,
    key: str | None,
) -> None:
    """Start no task of the queue (or of one limit key) for a while; `resume` ends it early."""
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        queue = db.client.suspend_queue(name, seconds=seconds, key=key, connection=db.connection)
    until = queue.suspended_keys.get(key) if key is not None else queue.suspended_until
    what = f"key {key} of queue {queue.queue}" if key is not None else f"queue {queue.queue}"
    print_change(queue, as_json, f"{what} suspended until {_time(until)}")


def _rate_limit(option: str, rate: tuple[int, float] | None, burst: int | None) -> RateLimit | None:
    if rate is None:
        if burst is not None:
            raise click.UsageError(f"{option}-burst needs {option}")
        return None
    limit, per_seconds = rate
    return RateLimit(limit, per_seconds) if burst is None else RateLimit(limit, per_seconds, burst)


def _print_queue(queue: Queue, as_json: bool) -> None:
    if as_json:
        print_json(queue.model_dump(mode="json"))
        return
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("queue", queue.queue)
    grid.add_row("state", _state(queue))
    limit = queue.concurrency_limit
    grid.add_row("running", f"{queue.running} of {limit}" if limit else f"{queue.running}")
    grid.add_row("due", str(queue.due))
    grid.add_row("limits", _limits(queue))
    if queue.tokens_left is not None:
        grid.add_row("tokens left", f"{queue.tokens_left:.2f}")
    grid.add_row("updated", _time(queue.updated_at))
    parts: list[Any] = [grid]
    if queue.suspended_keys:
        keys = Table(title="suspended keys", title_justify="left", box=None, pad_edge=False)
        keys.add_column("key")
        keys.add_column("until")
        for key, until in queue.suspended_keys.items():
            keys.add_row(key, _time(until))
        parts.append(keys)
    stdout.print(Group(*parts))


def _state(queue: Queue) -> str:
    if queue.paused:
        return "paused"
    if queue.suspended_until is not None:
        return f"suspended until {_time(queue.suspended_until)}"
    return "active"


def _limits(queue: Queue) -> str:
    parts = []
    if queue.concurrency_limit is not None:
        parts.append(f"{queue.concurrency_limit} running")
    if queue.rate is not None:
        parts.append(f"rate {_rate(queue.rate)}")
    keys = _key_limits(queue)
    if keys:
        parts.append(f"per key {keys}")
    return ", ".join(parts) or "no limits"


def _key_limits(queue: Queue) -> str:
    parts = []
    if queue.key_concurrency_limit is not None:
        parts.append(f"{queue.key_concurrency_limit} running")
    if queue.key_rate is not None:
        parts.append(_rate(queue.key_rate))
    return ", ".join(parts)


def _rate(rate: RateLimit | None) -> str:
    return "" if rate is None else format_rate(rate.limit, rate.per_seconds, rate.burst)


def _none() -> Text:
    return Text("-", style="dim")


def _time(value: datetime | None) -> str:
    # The reader's local time with its offset, as `tasklib tasks` shows times.
    return value.astimezone().isoformat(sep=" ", timespec="seconds") if value else "-"
