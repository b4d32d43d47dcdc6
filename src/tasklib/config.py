"""Config: where the database is and the defaults every client and worker of this process uses."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import psycopg.conninfo

from tasklib.errors import ConfigurationError

DATABASE_URL_ENV = "TASKLIB_DATABASE_URL"
LISTEN_URL_ENV = "TASKLIB_LISTEN_URL"
PREPARED_STATEMENTS_ENV = "TASKLIB_PREPARED_STATEMENTS"
_SSLMODES = frozenset({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})
_ON = frozenset({"1", "on", "true", "yes"})
_OFF = frozenset({"0", "off", "false", "no"})


def _database_url_from_env() -> str | None:
    return os.environ.get(DATABASE_URL_ENV) or None


def _listen_url_from_env() -> str | None:
    return os.environ.get(LISTEN_URL_ENV) or None


def _prepared_statements_from_env() -> bool:
    value = os.environ.get(PREPARED_STATEMENTS_ENV, "").strip().lower()
    if not value or value in _ON:
        return True
    if value in _OFF:
        return False
    raise ConfigurationError(
        f"{PREPARED_STATEMENTS_ENV} must be on or off (or 1/0, true/false, yes/no), got {value!r}"
    )


@dataclass(frozen=True, slots=True)
class Config:
    """Connection settings and defaults. ``database_url`` falls back to $TASKLIB_DATABASE_URL.

    ``max_retries``, ``backoff_base_seconds`` and ``priority`` override, for this process's
    tasks that do not set their own, the defaults the database applies (None, the default,
    leaves them to the database: see ``tasklib.task_defaults()`` in docs/sql-api.md; the
    database checks their ranges too). ``lease_seconds`` is how long a claimed task stays
    reserved for its worker without a heartbeat, so it bounds how long a crashed worker's
    tasks wait before another worker runs them.

    ``durable_submits=False`` is an opt-in speed mode for submits made on TaskLib's own
    connections: they commit with PostgreSQL's ``synchronous_commit = off``, so the call
    returns before the commit record reaches disk (about twice the single-submit rate on a
    disk that takes a fraction of a millisecond to flush). If the database server itself
    crashes, the tasks submitted in its last moments (up to three ``wal_writer_delay``, 0.6 s
    by default) are lost as if never submitted; an application crash loses nothing, and the
    queue stays consistent either way. Submits given ``connection=`` follow that
    connection's transaction and settings, and nothing else (claims, results) changes.

    Behind a connection pooler in transaction mode (PgBouncer, pooled endpoints of managed
    PostgreSQL; see docs/poolers.md): ``prepared_statements=False`` (or
    $TASKLIB_PREPARED_STATEMENTS=off) makes every connection TaskLib opens send its statements
    unprepared (psycopg's ``prepare_threshold=None``), since a statement prepared on one server
    connection is missing on the next; PgBouncer 1.21+ with ``max_prepared_statements`` keeps
    them working, so leave it on there and on direct connections. ``listen_url`` (or
    $TASKLIB_LISTEN_URL) is a direct connection used for LISTEN only, which needs a session of
    its own; without it, set ``listen_notify=False`` behind such a pooler: waits (and workers)
    then poll every ``poll_interval_seconds`` instead of listening.

    An idle worker sends one cheap query per ``poll_interval_seconds`` to find work, plus its
    registration heartbeat every ``lease_seconds / 3``. ``quiet_idle=True`` (needs
    ``listen_notify``) makes an idle worker send none at all: it waits for a NOTIFY on its
    LISTEN connection, or for the time the database named for the next delayed task, retry
    or expiring lease; for databases that bill or wake on queries (docs/poolers.md).
    """

    database_url: str | None = field(default_factory=_database_url_from_env)
    min_pool_size: int = 1
    max_pool_size: int = 10
    max_retries: int | None = None
    backoff_base_seconds: float | None = None
    priority: int | None = None
    lease_seconds: float = 30.0
    poll_interval_seconds: float = 1.0
    listen_notify: bool = True
    connect_timeout_seconds: float = 10.0
    application_name: str = "tasklib"
    durable_submits: bool = True
    prepared_statements: bool = field(default_factory=_prepared_statements_from_env)
    listen_url: str | None = field(default_factory=_listen_url_from_env)
    quiet_idle: bool = False

    def __post_init__(self) -> None:
        if self.database_url is not None:
            _check_database_url(self.database_url)
        if self.listen_url is not None:
            _check_database_url(self.listen_url, "listen_url")
        if self.min_pool_size < 0:
            raise ConfigurationError(f"min_pool_size must be >= 0, got {self.min_pool_size}")
        if self.max_pool_size < max(1, self.min_pool_size):
            raise ConfigurationError(
                f"max_pool_size must be >= max(1, min_pool_size), got {self.max_pool_size}"
            )
        if not self.lease_seconds > 0:
            raise ConfigurationError(f"lease_seconds must be > 0, got {self.lease_seconds}")
        if not self.connect_timeout_seconds > 0:
            raise ConfigurationError(
                f"connect_timeout_seconds must be > 0, got {self.connect_timeout_seconds}"
            )
        if not self.poll_interval_seconds > 0:
            raise ConfigurationError(
                f"poll_interval_seconds must be > 0, got {self.poll_interval_seconds}"
            )

        if self.quiet_idle and not self.listen_notify:
            raise ConfigurationError(
                "quiet_idle needs listen_notify: a worker that neither listens nor polls would "
                "never hear of new tasks"
            )

    def require_database_url(self) -> str:
        """Return the database URL, or raise ConfigurationError saying how to set one."""
        if self.database_url is None:
            raise ConfigurationError(
                f"no database configured: pass Config(database_url='postgresql://...') "
                f"or set {DATABASE_URL_ENV}"
            )
        return self.database_url


def _check_database_url(url: str, setting: str = "database_url") -> None:
    if not url.startswith(("postgresql://", "postgres://")):
        raise ConfigurationError(
            f"{setting} must start with postgresql:// or postgres://, got {_redact(url)!r}"
        )
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as error:
        raise ConfigurationError(f"malformed {setting} {_redact(url)!r}: {error}") from None
    # libpq accepts these at parse time and fails only when connecting, after pool retries.
    for port in str(params.get("port") or "").split(","):
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise ConfigurationError(
                f"malformed {setting} {_redact(url)!r}: port {port!r} is not a number 1-65535"
            )
    sslmode = params.get("sslmode")
    if sslmode is not None and sslmode not in _SSLMODES:
        raise ConfigurationError(
            f"malformed {setting} {_redact(url)!r}: sslmode {sslmode!r} is not one of "
            + ", ".join(sorted(_SSLMODES))
        )


def _redact(url: str) -> str:
    """Hide a password so that error messages and logs can show the URL."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
