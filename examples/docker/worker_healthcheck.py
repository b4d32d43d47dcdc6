"""Docker health check for a TaskLib worker container (used by docker-compose.yml).

Healthy while a worker of this container has announced itself in tasklib.workers recently:
worker ids start with the host name, which is the container's, and a worker refreshes its row
every lease_seconds / 3 (10 s by default). Exit 0 when healthy, 1 otherwise.
"""

from __future__ import annotations

import os
import socket
import sys

import psycopg

# Three missed heartbeats at the default lease of 30 s.
MAX_SILENCE_SECONDS = float(os.environ.get("TASKLIB_HEALTH_MAX_SILENCE", "30"))


def main() -> int:
    url = os.environ.get("TASKLIB_DATABASE_URL")
    if not url:
        print("TASKLIB_DATABASE_URL is not set", file=sys.stderr)
        return 1
    prefix = socket.gethostname() + "-"
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT count(*) FROM tasklib.workers"
                " WHERE left(worker, length(%s)) = %s"
                " AND last_seen_at > now() - make_interval(secs => %s)",
                (prefix, prefix, MAX_SILENCE_SECONDS),
            ).fetchone()
    except psycopg.Error as error:
        print(f"database check failed: {error}", file=sys.stderr)
        return 1
    if not row or row[0] == 0:
        print(f"no heartbeat from a worker {prefix}* in {MAX_SILENCE_SECONDS:g} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
