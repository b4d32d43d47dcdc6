"""A real PgBouncer in transaction mode in front of the suite's PostgreSQL.

``pgbouncer`` (session) starts Debian's ``pgbouncer`` once per test session on a free loopback
port, in ``pool_mode = transaction``, pointing at the server of ``pg_server_url``: TCP for
``$TASKLIB_TEST_DATABASE_URL`` (CI: PostgreSQL 15), the unix socket folder for the embedded
PostgreSQL. Clients log in without a password (``auth_type = any``: pgbouncer connects to the
server as the suite's user). Every database of that server is reachable through it under its
own name, so ``pgbouncer.via(url)`` is the same database through the pooler.

``server_round_robin = 1`` makes pgbouncer hand out its idle server connections in turn
instead of the most recently used one first, and ``pooled_url`` makes sure a few of them exist:
consecutive transactions of one client land on different server connections, as they do on a
busy production pooler. Without that, a pooler serving one test hands a client the same server
connection each time and hides every reliance on session state.

Without the ``pgbouncer`` binary the tests that need it are skipped, saying how to install
it; ``TASKLIB_TEST_PGBOUNCER=required`` (set by .ci/run) makes that a failure instead.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import psycopg.conninfo
import pytest

from tests.support.waiting import wait_until

PGBOUNCER_ENV = "TASKLIB_TEST_PGBOUNCER"
# How many server connections pooled_url makes sure the pool holds for a database.
SPREAD = 3


@dataclass(frozen=True)
class PgBouncer:
    """A running pgbouncer: where it listens, its folder (config and log) and its process."""

    port: int
    directory: Path
    process: subprocess.Popen[bytes]

    def via(self, database_url: str) -> str:
        """The database of ``database_url`` through this pgbouncer."""
        params = psycopg.conninfo.conninfo_to_dict(database_url)
        name = str(params.get("dbname") or urlsplit(database_url).path.lstrip("/"))
        return f"postgresql://{_user(database_url)}@127.0.0.1:{self.port}/{name}"

    def spread(self, pooled_url: str, connections: int = SPREAD) -> None:
        """Have at least ``connections`` server connections to this database in the pool.

        Each client holds a transaction open at once, so each has a server connection of its
        own; once they end, the server connections stay in the pool, idle.
        """
        with contextlib.ExitStack() as stack:
            for _ in range(connections):
                conn = stack.enter_context(psycopg.connect(pooled_url))
                conn.execute("SELECT 1")  # opens the transaction: a server connection of its own

    def log(self) -> str:
        """pgbouncer's log so far."""
        path = self.directory / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else "(no log)"


def _user(url: str) -> str:
    params = psycopg.conninfo.conninfo_to_dict(url)
    return str(params.get("user") or pwd.getpwuid(os.getuid()).pw_name)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _config(server_url: str, port: int, directory: Path, settings: Mapping[str, object]) -> str:
    params = psycopg.conninfo.conninfo_to_dict(server_url)
    target = {
        # A host starting with / is a unix socket folder (the embedded PostgreSQL's).
        "host": params.get("host") or "/var/run/postgresql",
        "port": params.get("port") or 5432,
        "user": _user(server_url),
        "password": params.get("password"),
    }
    connect = " ".join(f"{key}={_quote(str(value))}" for key, value in target.items() if value)
    options: dict[str, object] = {
        "listen_addr": "127.0.0.1",
        "listen_port": port,
        "unix_socket_dir": "",
        "auth_type": "any",
        "pool_mode": "transaction",
        "server_round_robin": 1,
        "default_pool_size": 20,
        "max_client_conn": 1000,
        "admin_users": target["user"],
        "logfile": directory / "pgbouncer.log",
        "pidfile": directory / "pgbouncer.pid",
        **settings,
    }
    lines = ["[databases]", f"* = {connect}", "", "[pgbouncer]"]
    lines += [f"{key} = {value}" for key, value in options.items()]
    return "\n".join(lines) + "\n"


def pgbouncer_binary() -> str | None:
    """The pgbouncer program (Debian installs it in /usr/sbin), or None."""
    return shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin:/usr/local/sbin")


def pgbouncer_version(binary: str) -> tuple[int, ...]:
    """(1, 18, 0) for "PgBouncer 1.18.0"."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    words = out.stdout.split()
    return tuple(int(part) for part in words[1].split(".") if part.isdigit())


@contextlib.contextmanager
def running_pgbouncer(
    server_url: str, settings: Mapping[str, object] | None = None
) -> Iterator[PgBouncer]:
    """A pgbouncer in front of the server of ``server_url`` for as long as the context lasts."""
    binary = pgbouncer_binary()
    if binary is None:
        raise FileNotFoundError("pgbouncer")
    directory = Path(tempfile.mkdtemp(prefix="tasklib-pgbouncer-"))
    command = [binary]
    if os.geteuid() == 0:
        # pgbouncer refuses to run as root: it runs as the owner of the server's socket folder
        # (the embedded PostgreSQL's is theirs alone), else as the usual server account.
        entry = _socket_owner(server_url) or pwd.getpwnam(
            "postgres" if _account_exists("postgres") else "nobody"
        )
        account = entry.pw_name
        os.chown(directory, entry.pw_uid, entry.pw_gid)
        command += ["-u", account]
    try:
        for _attempt in range(3):  # another process may take the free port first
            port = _free_port()
            ini = directory / "pgbouncer.ini"
            ini.write_text(_config(server_url, port, directory, settings or {}))
            process = subprocess.Popen(
                [*command, str(ini)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            bouncer = PgBouncer(port, directory, process)
            if _listening(bouncer):
                break
        else:
            raise RuntimeError(f"pgbouncer did not start; its log:\n{bouncer.log()}")
        try:
            yield bouncer
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _listening(bouncer: PgBouncer) -> bool:
    """Whether it listens (False: it exited, e.g. its port was taken)."""

    def exited_or_listening() -> bool:
        if bouncer.process.poll() is not None:
            return True
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            return sock.connect_ex(("127.0.0.1", bouncer.port)) == 0

    wait_until(exited_or_listening, what="pgbouncer to listen", timeout=10, detail=bouncer.log)
    return bouncer.process.poll() is None


def _socket_owner(server_url: str) -> pwd.struct_passwd | None:
    host = str(psycopg.conninfo.conninfo_to_dict(server_url).get("host") or "")
    if not host.startswith("/") or not Path(host).is_dir():
        return None
    owner = Path(host).stat().st_uid
    return pwd.getpwuid(owner) if owner != 0 else None


def _account_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="session")
def pgbouncer(pg_server_url: str) -> Iterator[PgBouncer]:
    """pgbouncer in transaction mode in front of the suite's server (see the module docstring)."""
    if pgbouncer_binary() is None:
        reason = "pgbouncer is not installed (apt-get install pgbouncer; .ci/run installs it)"
        if os.environ.get(PGBOUNCER_ENV) == "required":
            pytest.fail(f"{PGBOUNCER_ENV}=required but {reason}")
        pytest.skip(reason)
    with running_pgbouncer(pg_server_url) as bouncer:
        yield bouncer


@pytest.fixture
def pooled_url(pgbouncer: PgBouncer, database_url: str) -> str:
    """The emptied, migrated test database through pgbouncer, its pool spread over a few
    server connections."""
    url = pgbouncer.via(database_url)
    pgbouncer.spread(url)
    return url
