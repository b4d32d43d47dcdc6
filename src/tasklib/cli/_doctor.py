"""`tasklib doctor`: what hurts the queue (long transactions, xmin holders, bloat, workers)."""

from __future__ import annotations

import dataclasses

import click

from tasklib.cli._support import (
    EXIT_REFUSED,
    database_url_option,
    json_option,
    keep_running_option,
    print_json,
    resolve_database,
    session,
    stdout,
)
from tasklib.doctor import Thresholds, examine


@click.command(short_help="Name what hurts the queue, with advice (exit 1 if something does).")
@database_url_option
@keep_running_option
@json_option
@click.option(
    "--max-transaction-age",
    type=click.FloatRange(min=0),
    default=Thresholds.transaction_seconds,
    show_default=True,
    metavar="SECONDS",
    help="A transaction open longer than this is a problem (it holds back vacuum).",
)
@click.option(
    "--max-idle-in-transaction",
    type=click.FloatRange(min=0),
    default=Thresholds.idle_in_transaction_seconds,
    show_default=True,
    metavar="SECONDS",
    help="A session idle in transaction longer than this is a problem.",
)
@click.option(
    "--max-heartbeat-age",
    type=click.FloatRange(min=0),
    default=Thresholds.heartbeat_seconds,
    show_default=True,
    metavar="SECONDS",
    help="A worker not heard from for longer than this is stale.",
)
def doctor(
    database_url: str | None,
    keep_running: bool,
    as_json: bool,
    max_transaction_age: float,
    max_idle_in_transaction: float,
    max_heartbeat_age: float,
) -> None:
    """Check what hurts the queue and say what to do about each finding.

    Long or idle-in-transaction sessions, replication slots and prepared transactions that
    hold back vacuum (with the dead rows of tasklib.tasks), table and index bloat, workers
    with stale heartbeats, tasks running past their lease. Exit code 0: nothing wrong
    (warnings allowed), 1: a problem was found. Seeing other users' sessions needs
    pg_read_all_stats (or pg_monitor) for the role the command logs in as.
    """
    url = resolve_database(database_url, keep_running=keep_running)
    limits = Thresholds(
        transaction_seconds=max_transaction_age,
        idle_in_transaction_seconds=max_idle_in_transaction,
        heartbeat_seconds=max_heartbeat_age,
    )
    with session(url) as db:
        report = examine(db.connection, limits)
    if as_json:
        print_json(
            {
                "healthy": report.healthy,
                "findings": [dataclasses.asdict(f) for f in report.findings],
                "tasks_table": report.table,
            }
        )
    else:
        table = report.table
        stdout.print(
            f"tasklib.tasks: {table.get('live_rows', 0)} live rows, "
            f"{table.get('dead_rows', 0)} dead, {table.get('table_bytes', 0)} bytes "
            f"(+{table.get('index_bytes', 0)} in indexes); last autovacuum "
            f"{table.get('last_autovacuum') or 'never'}",
            highlight=False,
            soft_wrap=True,
        )
        if not report.findings:
            stdout.print("no problems found", highlight=False, soft_wrap=True)
        for finding in report.findings:
            stdout.print(
                f"{finding.severity.upper()} [{finding.check}] {finding.summary}\n"
                f"    advice: {finding.advice}",
                highlight=False,
                soft_wrap=True,
                markup=False,
            )
    if not report.healthy:
        raise SystemExit(EXIT_REFUSED)
