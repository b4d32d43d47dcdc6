-- Submitting TaskLib tasks from plain SQL (psql, or any client library).
--
--   psql "$TASKLIB_DATABASE_URL" -v ON_ERROR_STOP=1 -f examples/sql/submit.sql
--
-- The tasks are defined in Python (examples/tasks.py); a worker started with
-- `python -m examples.worker` runs them. Register their definitions first, at deploy time:
--
--   tasklib register examples.tasks
--
-- (a worker does the same when it starts). Options left out then take the task's registered
-- defaults (here: send_email retries up to 5 times, resize_image goes to queue "images" with
-- priority 5), and arguments are checked against its schema (TL005). Without registration a
-- known-nothing name is accepted under the default validation mode and gets the global
-- defaults: SET tasklib.submit_validation = 'strict' refuses unregistered names (TL001).

-- One task; the arguments are a JSON object keyed by the function's parameter names.
SELECT tasklib.submit('examples.send_email',
                      '{"to": "user@example.com", "subject": "Welcome!", "body": "Hello..."}');

-- Named parameters for the options: run in an hour, high priority, tagged for later lookups.
SELECT tasklib.submit(
    name          => 'examples.send_email',
    args          => jsonb_build_object('to', 'ops@example.com', 'subject', 'Disk full!'),
    delay_seconds => 3600,
    priority      => 100,
    tags          => '{"batch": "sql-example"}'
);

-- Many tasks in one call (one round trip, one transaction): a JSON array of objects keyed like
-- submit's parameters. The ids come back in input order.
SELECT * FROM tasklib.submit_many($$[
    {"name": "examples.resize_image", "args": {"path": "/img/a.png", "width": 640}},
    {"name": "examples.resize_image", "args": {"path": "/img/b.png", "width": 320, "height": 200},
     "tags": {"batch": "sql-example"}}
]$$);

-- Arguments that break the registered schema are refused at once (SQLSTATE TL005), e.g.
--   SELECT tasklib.submit('examples.send_email', '{"to": 42}');
--   ERROR:  arguments of task examples.send_email break its registered schema: missing required key "subject"

-- Status of what was just submitted.
SELECT id, name, queue, state, priority, scheduled_at, args
  FROM tasklib.tasks
 WHERE name LIKE 'examples.%'
 ORDER BY created_at;
