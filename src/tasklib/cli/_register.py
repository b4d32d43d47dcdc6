"""`tasklib register MODULE...`: record task definitions without starting a worker."""

from __future__ import annotations

import click

from tasklib.cli._support import (
    database_url_option,
    json_option,
    keep_running_option,
    print_json,
    resolve_database,
    session,
    stdout,
)
from tasklib.cli._worker import import_task_module
from tasklib.errors import ConfigurationError
from tasklib.registry import registered_tasks


@click.command(short_help="Record the tasks of MODULE(s) in tasklib.task_types.")
@click.argument("modules", nargs=-1, required=True)
@database_url_option
@keep_running_option
@json_option
def register(
    modules: tuple[str, ...], database_url: str | None, keep_running: bool, as_json: bool
) -> None:
    """Record the @task definitions of MODULE(s) (dotted names or .py paths) in the database.

    SQL and other-language submitters then get each task's options (queue, priority, retries,
    timeout, backoff) and have their arguments checked against its JSON Schema before any
    worker has started. Run it at deploy time, after `tasklib migrate`. Workers record the
    same definitions when they start.
    """
    before = set(registered_tasks())
    for module in modules:
        import_task_module(module)
    definitions = [d for name, d in sorted(registered_tasks().items()) if name not in before]
    if not definitions:
        raise ConfigurationError(
            f"no @task is defined in {', '.join(modules)}: name the module that defines the "
            "tasks (e.g. myapp.tasks, not myapp)"
        )
    url = resolve_database(database_url, keep_running=keep_running)
    with session(url) as db:
        names = db.client.register_task_types(definitions, connection=db.connection)
    if as_json:
        print_json({"registered": names})
        return
    stdout.print(f"registered {len(names)} task type(s): {', '.join(names)}", highlight=False)
