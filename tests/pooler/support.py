"""What the pooler tests share: a task, a stand-in worker, how long a woken wait may take."""

from __future__ import annotations

from typing import Any

import psycopg

import tasklib
from tests.client.simulated_worker import claim, complete

Conn = psycopg.Connection[tuple[Any, ...]]

# The waits' 5 s re-read is pushed far out (the no_fallback fixture), so a wait that ends
# within this, well before its own timeout (whose last look would also see the task
# finished), was woken by a notification or by its own polling.
WOKEN_WITHIN = 10.0


@tasklib.task
def add(a: int, b: int) -> int:
    return a + b


def finish(conn: Conn) -> None:
    """Complete every due task, as a worker would, on a direct connection."""
    for task_id, _name, args in claim(conn):
        complete(conn, task_id, args["a"] + args["b"])
