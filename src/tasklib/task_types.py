"""Records registered @task definitions in tasklib.task_types, for SQL submitters to inherit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from tasklib.config import Config
from tasklib.db import connections, statements
from tasklib.errors import DatabaseUnavailableError, translate
from tasklib.registry import TaskDefinition, registered_tasks


def task_type_rows(
    definitions: Iterable[TaskDefinition[..., Any]] | None = None,
    *,
    config: Config | None = None,
) -> list[dict[str, Any]]:
    """The task_types row of each definition (all registered ones when None), sorted by name.

    An option the task leaves unset takes the Config's override when a Config is given (so
    that a SQL submission gets what a Python submission under that Config would get), else
    stays None: the database's default applies to it.
    """
    chosen = registered_tasks().values() if definitions is None else definitions
    rows = []
    for definition in sorted(chosen, key=lambda d: d.name):
        options = definition.options
        max_retries = options.max_retries
        backoff = options.backoff_base_seconds
        priority = options.priority
        if config is not None:
            max_retries = config.max_retries if max_retries is None else max_retries
            backoff = config.backoff_base_seconds if backoff is None else backoff
            priority = config.priority if priority is None else priority
        rows.append(
            {
                "name": definition.name,
                "args_schema": definition.args_json_schema(),
                "max_retries": max_retries,
                "timeout_seconds": options.timeout_seconds,
                "priority": priority,
                "queue": options.queue,
                "backoff_base_seconds": backoff,
                "limit_key_arg": options.limit_key_arg,
                "unique_args": list(options.unique_args) if options.unique_args else None,
                "unique_for_seconds": options.unique_for_seconds,
                "unique_on_conflict": options.on_conflict,
                "result_ttl_seconds": options.result_ttl_seconds,
            }
        )
    return rows


def registration(
    definitions: Iterable[TaskDefinition[..., Any]] | None, *, config: Config | None
) -> tuple[Jsonb] | None:
    """The parameters of statements.REGISTER_TASK_TYPES for these definitions (None: none)."""
    rows = task_type_rows(definitions, config=config)
    return (Jsonb(rows),) if rows else None


def register_task_types(
    connection_or_url: psycopg.Connection[Any] | str,
    definitions: Iterable[TaskDefinition[..., Any]] | None = None,
    *,
    config: Config | None = None,
) -> list[str]:
    """Record definitions (all registered tasks when None) in tasklib.task_types.

    Takes an open connection (the caller's transaction, committed by the caller unless in
    autocommit) or a database URL (a connection is opened and committed here). Returns the
    names recorded, sorted.
    """
    params = registration(definitions, config=config)
    if params is None:
        return []
    try:
        if isinstance(connection_or_url, str):
            target = Config(database_url=connection_or_url)
            with connections.connect(target, "register") as connection:
                return _register(connection, params)
        return _register(connection_or_url, params)
    except psycopg.Error as error:
        raise translate(error) from None


async def register_task_types_async(
    connection: psycopg.AsyncConnection[Any],
    definitions: Iterable[TaskDefinition[..., Any]] | None = None,
    *,
    config: Config | None = None,
) -> list[str]:
    """register_task_types on an open async connection (committed by the caller)."""
    params = registration(definitions, config=config)
    if params is None:
        return []
    try:
        cursor = await connection.execute(statements.REGISTER_TASK_TYPES, params)
        return [str(row[0]) for row in await cursor.fetchall()]
    except psycopg.Error as error:
        raise translate(error) from None


def _register(connection: psycopg.Connection[Any], params: tuple[Jsonb]) -> list[str]:
    if connection.closed:
        raise DatabaseUnavailableError("cannot register task types: the connection is closed")
    rows_found = connection.execute(statements.REGISTER_TASK_TYPES, params).fetchall()
    return [str(row[0]) for row in rows_found]
