"""What every tasklib command shares: finding the database, connecting, errors and exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import click
import psycopg
import pydantic
from rich.console import Console
from rich.text import Text

from tasklib import embedded
from tasklib.client import Client
from tasklib.config import DATABASE_URL_ENV, Config
from tasklib.db import connections
from tasklib.errors import (
    ConfigurationError,
    DatabaseUnavailableError,
    InvalidArgumentError,
    SchemaMissingError,
    TaskLibError,
    first_line,
    translate,
)
from tasklib.migrate import migrate

# Exit codes: 2 is also what click uses for bad arguments.
EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
# The one table of exit codes: `tasklib --help` prints it, and the README's table must say the
# same (tests/cli/test_exit_codes.py compares them).
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_REFUSED: "refused: unknown task id or queue, a task in the wrong state, schema not "
    "migrated, a demo task that did not end as planned, `tasklib doctor` found a problem",
    EXIT_USAGE: "bad arguments or configuration: a malformed id, tag filter, duration or URL, "
    "the embedded extra missing",
    EXIT_UNAVAILABLE: "the database cannot be reached",
}

F = TypeVar("F", bound=Callable[..., Any])

database_url_option = click.option(
    "--database-url",
    envvar=DATABASE_URL_ENV,
    metavar="URL",
    help=f"PostgreSQL URL (default: ${DATABASE_URL_ENV}; without either, an embedded PostgreSQL).",
)
keep_running_option = click.option(
    "--keep-running",
    is_flag=True,
    help="Leave the embedded PostgreSQL running afterwards (`tasklib db stop` stops it).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")

# Piped output is read by people in files and logs: do not squeeze it to 80 columns.
stdout = Console(width=None if sys.stdout.isatty() else 200)
stderr = Console(stderr=True)


def resolve_database(
    database_url: str | None, *, keep_running: bool = False, apply_migrations: bool = True
) -> str:
    """The URL to use: the one given, else the embedded PostgreSQL's (started, migrated).

    Says in one line on stderr when the embedded server is used, so that stdout stays clean
    for ``--json``.
    """
    if database_url:
        Config(database_url=database_url)  # validates the URL with a clear message
        return database_url
    data_dir = embedded.default_data_dir()
    kept = keep_running or embedded.keeps_running()
    if embedded.running_pid(data_dir) is not None:
        doing = "Using the embedded PostgreSQL running"
    elif (data_dir / "PG_VERSION").exists():
        doing = "Starting the embedded PostgreSQL"
    else:
        doing = "Creating an embedded PostgreSQL"
    lifetime = "left running; `tasklib db stop` stops it" if kept else "stopped when done"
    note = (
        f"{doing} in {data_dir} ({lifetime}). "
        f"To use your own server: --database-url or {DATABASE_URL_ENV}=postgresql://..."
    )
    stderr.print(Text(note, style="dim"), soft_wrap=True)
    _server, url = embedded.start_default(keep_running=keep_running)
    if apply_migrations:
        migrate(url)
    return url


@dataclass(frozen=True, slots=True)
class Session:
    """A command's client and the one connection its calls run on (no pool for one command)."""

    client: Client
    connection: psycopg.Connection[Any]


@contextmanager
def session(url: str) -> Iterator[Session]:
    """A Client for ``url`` and one connection from the connection factory."""
    config = Config(database_url=url, application_name="tasklib-cli")
    with connections.connect(config) as connection:
        yield Session(Client(config), connection)


def print_json(value: Any) -> None:
    """Write value as JSON on stdout (plain print, so rich adds no markup or wrapping)."""
    click.echo(json.dumps(value, indent=2, default=str))


def print_change(row: pydantic.BaseModel, as_json: bool, message: str) -> None:
    """What a command that changes one object (a queue, a schedule) prints: the object's row
    as JSON with --json, else one line saying what changed."""
    if as_json:
        print_json(row.model_dump(mode="json"))
    else:
        stdout.print(message, highlight=False)


def explain(error: BaseException) -> tuple[str, int]:
    """The one-line message and exit code for an error a command let escape."""
    if isinstance(error, psycopg.Error):
        error = translate(error)
    if isinstance(error, SchemaMissingError):
        return (
            "the tasklib schema is missing or outdated in this database: run `tasklib migrate` "
            f"(server said: {first_line(error).split(': is the tasklib schema')[0]})",
            EXIT_REFUSED,
        )
    if isinstance(error, DatabaseUnavailableError):
        return first_line(error), EXIT_UNAVAILABLE
    if isinstance(error, ConfigurationError | InvalidArgumentError):
        return str(error), EXIT_USAGE
    return str(error), EXIT_REFUSED


class TaskLibGroup(click.Group):
    """A click group that turns TaskLib and database errors into one line and an exit code.

    The top-level group's help ends with the table of exit codes.
    """

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        if ctx.parent is None:
            with formatter.section("Exit codes"):
                formatter.write_dl([(str(code), meaning) for code, meaning in EXIT_CODES.items()])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (TaskLibError, psycopg.Error) as error:
            message, code = explain(error)
            stderr.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)
            ctx.exit(code)
