"""A tasks table of a given size for measuring the dashboard: history of a week, a live tail.

Rows are written by one INSERT ... SELECT as the owner, not through submit: a million submits
would take minutes and measure nothing the dashboard does. Each row is one a worker could have
left: ids in the UUIDv7 layout of tasklib._uuid_v7 taken from created_at (so the primary key is
in creation order, as submit makes it), the states in realistic shares, every CHECK kept.
"""

from __future__ import annotations

# created_at spreads evenly over the last 7 days; the newest tasks are the unfinished ones.
# Shares of a million: 92% completed, 3% failed for good, 0.5% cancelled, 0.5% failed waiting
# for a retry, 4% pending; 20 running. 20 task names, 4 queues, tags on every tenth task.
FILL = """
INSERT INTO tasklib.tasks (id, name, queue, args, state, priority, tags, result, error,
                           retry_count, attempt, max_retries, scheduled_at, next_retry_at,
                           started_at, completed_at, created_at, worker_id, lease_token,
                           locked_until)
SELECT encode(set_bit(set_bit(
           overlay(uuid_send(gen_random_uuid())
                   PLACING substring(int8send(floor(extract(epoch FROM g.created_at) * 1000)::bigint)
                                     FROM 3)
                   FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid,
       'bench.task_' || (g.i %% 20),
       (ARRAY['default', 'mail', 'billing', 'reports'])[1 + g.i %% 4],
       jsonb_build_object('n', g.i, 'customer', 'c' || (g.i %% 1000)),
       g.state,
       0,
       CASE WHEN g.i %% 10 = 0 THEN jsonb_build_object('customer', 'c' || (g.i %% 1000))
            ELSE '{}' END,
       CASE WHEN g.state = 'completed' THEN jsonb_build_object('value', g.i) END,
       CASE WHEN g.state = 'failed'
            THEN E'Traceback (most recent call last):\\n  File "bench.py", line 1, in task\\n'
                 || E'ValueError: bench failure ' || g.i END,
       CASE WHEN g.state = 'failed' THEN 3 ELSE 0 END,
       CASE WHEN g.state IN ('pending', 'cancelled') THEN 0
            WHEN g.state = 'failed' THEN 4 ELSE 1 END,
       CASE WHEN g.state = 'failed' AND g.retrying THEN 5 ELSE 3 END,
       g.created_at,
       CASE WHEN g.state = 'failed' AND g.retrying THEN now() + interval '1 minute' END,
       CASE WHEN g.state IN ('completed', 'failed', 'running') THEN g.created_at END,
       CASE WHEN g.state IN ('completed', 'cancelled') OR (g.state = 'failed' AND NOT g.retrying)
            THEN g.created_at + interval '150 milliseconds' END,
       g.created_at,
       CASE WHEN g.state IN ('completed', 'failed', 'running') THEN 'bench-worker-' || (g.i %% 4) END,
       CASE WHEN g.state = 'running' THEN gen_random_uuid() END,
       CASE WHEN g.state = 'running' THEN now() + interval '1 minute' END
  FROM (SELECT s.i,
               now() - (%(n)s - s.i) * (interval '7 days' / %(n)s) AS created_at,
               CASE WHEN s.i > %(n)s - 20 THEN 'running'
                    WHEN s.i > %(n)s * 0.96 THEN 'pending'
                    WHEN s.i %% 200 = 7 THEN 'cancelled'
                    WHEN s.i %% 200 IN (3, 4, 5, 6, 8, 9) THEN 'failed'
                    WHEN s.i %% 200 = 11 THEN 'failed'
                    ELSE 'completed' END AS state,
               s.i %% 200 = 11 AS retrying
          FROM generate_series(1, %(n)s) AS s(i)) g
"""
