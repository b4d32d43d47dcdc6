"""`tasklib dashboard`: serve the web dashboard (tasklib.dashboard) with uvicorn."""

from __future__ import annotations

import os
import socket

import click

from tasklib.cli._support import database_url_option, keep_running_option, resolve_database, stderr
from tasklib.errors import ConfigurationError

ADMIN_TOKEN_ENV = "TASKLIB_DASHBOARD_ADMIN_TOKEN"
SECRET_ENV = "TASKLIB_DASHBOARD_SECRET"
INSTALL_EXTRA = "pip install 'tasklib-pg[dashboard]'"


def parse_bind(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6) as (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigurationError(f"--bind wants HOST:PORT, e.g. 127.0.0.1:8080, got {text!r}")
    return host.strip("[]"), int(port)


@click.command(short_help="Serve the web dashboard (needs the dashboard extra).")
@database_url_option
@keep_running_option
@click.option(
    "--bind",
    default="127.0.0.1:8080",
    show_default=True,
    metavar="HOST:PORT",
    help="Where to listen. Anyone who reaches it reads every task's arguments and errors.",
)
@click.option(
    "--admin-token",
    envvar=ADMIN_TOKEN_ENV,
    metavar="TOKEN",
    help=f"Enable actions for browsers that log in with this token (default: ${ADMIN_TOKEN_ENV};"
    " prefer the variable: a command line is visible to every user of the machine). Without it"
    " the dashboard is read-only.",
)
@click.option(
    "--refresh",
    "refresh_seconds",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    help="Seconds between the live updates of open pages (0: none).",
)
def dashboard(
    database_url: str | None,
    keep_running: bool,
    bind: str,
    admin_token: str | None,
    refresh_seconds: float,
) -> None:
    """Serve the web dashboard: overview, tasks, workers, queues (docs/operations.md).

    Read-only unless an admin token is given; the database login needs tasklib_admin for the
    actions (and to read arguments and errors). Session cookies are signed with
    $TASKLIB_DASHBOARD_SECRET, else a key drawn at start.
    """
    try:
        import uvicorn

        from tasklib.dashboard import create_app
    except ImportError as error:
        raise ConfigurationError(
            f"the dashboard needs its extra: {INSTALL_EXTRA} (missing: {error.name})"
        ) from None
    host, port = parse_bind(bind)
    url = resolve_database(database_url, keep_running=keep_running)
    secret = os.environ.get(SECRET_ENV)
    app = create_app(
        url,
        admin_token=admin_token or None,
        secret=secret.encode() if secret else None,
        refresh_seconds=refresh_seconds,
    )
    mode = "actions enabled for logged-in browsers" if admin_token else "read-only"
    shown = f"[{host}]" if ":" in host else host
    # Bound before the banner: whoever reads it (a script, a test) can connect at once; the
    # kernel queues a connection until uvicorn accepts it.
    listening = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as error:
        listening.close()
        raise ConfigurationError(f"cannot listen on {shown}:{port}: {error.strerror}") from None
    listening.listen(128)
    stderr.print(f"TaskLib dashboard on http://{shown}:{port}/ ({mode})", highlight=False)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", proxy_headers=False))
    server.run(sockets=[listening])
