"""Run pg_prove over sqltests/ against a throwaway embedded PostgreSQL 18 (CI helper)."""

from __future__ import annotations

import glob
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg

import tasklib
from tasklib.embedded import EmbeddedPostgres


def main() -> int:
    files = sorted(glob.glob("sqltests/**/test_*.sql", recursive=True))
    if not files:
        print("no pgTAP files found", file=sys.stderr)
        return 1
    data_dir = Path(tempfile.mkdtemp(prefix="tasklib-prove-pg-"))
    shutil.rmtree(data_dir)
    server = EmbeddedPostgres(data_dir, delete=True)
    try:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE tasklib_prove")
            version = conn.execute("SHOW server_version").fetchone()
        url = server.url("tasklib_prove")
        tasklib.migrate(url)
        with psycopg.connect(url, autocommit=True) as conn:
            # Debian packages pgTAP for the system's PostgreSQL; 18 can load it from there.
            controls = sorted(glob.glob("/usr/share/postgresql/*/extension/pgtap.control"))
            if controls:
                share = Path(controls[-1]).parent.parent
                conn.execute(f"SET extension_control_path = '{share}:$system'")
            conn.execute("CREATE EXTENSION pgtap")
        parts = urlsplit(url)
        host = parse_qs(parts.query)["host"][0]
        print(f"pg_prove against embedded PostgreSQL {version[0] if version else '?'}", flush=True)
        command = ["pg_prove", "--host", host, "--username", "postgres"]
        command += ["--dbname", "tasklib_prove", *files]
        return subprocess.run(command, check=False).returncode
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
