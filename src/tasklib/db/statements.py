"""Every SQL statement the Python side of TaskLib sends, by name.

Each state change is a call of a tasklib.* SQL function; the texts here only call them, read the
tasks table, or LISTEN. Grouped by who sends them: client, worker, CLI and task types.
"""

from __future__ import annotations

from collections.abc import Iterable

# A task id as the text the database sends. The worker only carries ids from one statement to
# the next and uses them as dict keys, so making UUID objects of them would be wasted work.
TaskId = str


def id_array(ids: Iterable[TaskId]) -> str:
    """The ids as one uuid[] literal: one text parameter instead of a list adapted per item."""
    return "{" + ",".join(ids) + "}"


def json_array(texts: Iterable[str]) -> str:
    """JSON texts (each a valid JSON value) as the text of one JSON array."""
    return "[" + ",".join(texts) + "]"


# Only the columns dispatch needs, so each claimed row costs little to parse. The arguments come
# as JSON text for pydantic to parse and convert in one pass (rebuild_args_json).
CLAIM = (
    "SELECT id::text, name, args::text, timeout_seconds FROM tasklib.claim(%s, %s, %s::text[], %s)"
)

# How many tasks complete() completed and, only when that falls short of the batch (tasks this
# worker no longer held: lease lost, or recorded by a first send whose answer was lost), which:
# the common answer costs one count, not a row per task.
# The results travel as one JSON array (see json_array); ORDINALITY keeps them beside their ids.
COMPLETE = """
SELECT count(*), CASE WHEN count(*) < %(n)s::int8 THEN array_agg(c) END
  FROM tasklib.complete(%(worker)s, %(ids)s::uuid[], ARRAY(
    SELECT r.value
      FROM jsonb_array_elements(%(results)s::jsonb) WITH ORDINALITY AS r(value, position)
     ORDER BY r.position)) AS c
"""

COMPLETE_WITHOUT_RESULTS = """
SELECT count(*), CASE WHEN count(*) < %(n)s::int8 THEN array_agg(c) END
  FROM tasklib.complete(%(worker)s, %(ids)s::uuid[]) AS c
"""

# One row per failure recorded: the state it left the task in and when its retry is due (NULL
# when the failure is terminal). A missing id was no longer held by this worker.
FAIL = (
    "SELECT id::text, state, next_retry_at"
    " FROM tasklib.fail(%s, %s::uuid[], %s::text[], %s::boolean[])"
)

HEARTBEAT = "SELECT h::text FROM tasklib.heartbeat(%s, %s::uuid[], %s) AS h"

# ids = NULL hands back every task still running under the worker.
RELEASE = "SELECT count(*) FROM tasklib.release(%s, %s::uuid[])"

# Tasks running under this worker that it does not know about: a claim whose answer was lost
# with the connection. They never started here, so they go straight back to pending.
RELEASE_ORPHANS = """
SELECT count(*) FROM tasklib.release(%(worker)s, ARRAY(
    SELECT t.id FROM tasklib.tasks t
     WHERE t.state = 'running' AND t.worker_id = %(worker)s
       AND t.id <> ALL (%(known)s::uuid[])))
"""

# Seconds until the next task of these queues becomes due (a delayed task or a retry), or NULL.
# The claim index leads with priority, so min(run_at) over it would read every claimable row;
# walking the distinct priorities (a loose index scan) and taking the first future run_at in
# each keeps this at a few index probes per priority level however many tasks wait.
SECONDS_UNTIL_DUE = """
WITH RECURSIVE levels(priority) AS (
    (SELECT t.priority FROM tasklib.tasks t
      WHERE t.run_at IS NOT NULL ORDER BY t.priority DESC LIMIT 1)
    UNION ALL
    SELECT (SELECT t.priority FROM tasklib.tasks t
             WHERE t.run_at IS NOT NULL AND t.priority < levels.priority
             ORDER BY t.priority DESC LIMIT 1)
      FROM levels WHERE levels.priority IS NOT NULL
)
SELECT extract(epoch FROM min(due.run_at) - now())::float8
  FROM levels
 CROSS JOIN LATERAL (
     SELECT t.run_at FROM tasklib.tasks t
      WHERE t.run_at IS NOT NULL AND t.priority = levels.priority AND t.run_at > now()
        AND (%(queues)s::text[] IS NULL OR t.queue = ANY (%(queues)s::text[]))
      ORDER BY t.run_at LIMIT 1
 ) due
"""

LISTEN = "LISTEN tasklib_submitted"

# tasklib.workers shows operators every live worker, idle ones included.
ANNOUNCE = "SELECT tasklib.worker_heartbeat(%s, %s::text[], %s, %s::jsonb)"

SEEN = "SELECT tasklib.worker_heartbeat(%s)"

UNREGISTER = "SELECT tasklib.unregister_worker(%s)"
