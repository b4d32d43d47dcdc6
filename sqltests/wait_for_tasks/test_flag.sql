-- A worker about to wait sets its queues' flags (tasklib.queue_waits) under their exclusive
-- advisory locks; the next submit to a flagged queue clears the flag (and notifies: see
-- tests/worker/test_wakeups.py, a NOTIFY is only seen after COMMIT); a delayed task leaves it.
BEGIN;
SELECT plan(10);

DELETE FROM tasklib.tasks;
DELETE FROM tasklib.queue_waits;
INSERT INTO tasklib.queues (name) VALUES ('sqltest.wait.a'), ('sqltest.wait.b') ON CONFLICT DO NOTHING;

SELECT ok(tasklib.wait_for_tasks(ARRAY['sqltest.wait.a', 'sqltest.wait.a', 'sqltest.wait.new']),
    'wait_for_tasks says the worker may wait');
SELECT results_eq($$SELECT queue, armed FROM tasklib.queue_waits ORDER BY queue$$,
    $$VALUES ('sqltest.wait.a'::text, true), ('sqltest.wait.new', true)$$,
    'it flags the queues named, once each, a queue without tasks yet included');
SELECT is((SELECT count(*)::int FROM pg_locks
            WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objsubid = 2
              AND mode = 'ExclusiveLock' AND classid::bigint = tasklib._wait_lock_class()::bigint & 4294967295),
    2, 'under an exclusive lock per queue, held to the end of the transaction');

SELECT ok(tasklib.wait_for_tasks(), 'wait_for_tasks(NULL)');
SELECT ok((SELECT bool_and(w.armed) AND count(*) = (SELECT count(*) FROM tasklib.queues)
             FROM tasklib.queue_waits w JOIN tasklib.queues q ON q.name = w.queue),
    'flags every queue of tasklib.queues');

SELECT tasklib.submit('sqltest.wait.task', queue => 'sqltest.wait.a', delay_seconds => 60);
SELECT ok((SELECT armed FROM tasklib.queue_waits WHERE queue = 'sqltest.wait.a'),
    'a delayed task leaves the flag set (tasklib_delayed wakes nobody to claim)');
SELECT tasklib.submit('sqltest.wait.task', queue => 'sqltest.wait.a');
SELECT ok(NOT (SELECT armed FROM tasklib.queue_waits WHERE queue = 'sqltest.wait.a'),
    'a submit to a flagged queue clears its flag');
SELECT ok((SELECT armed FROM tasklib.queue_waits WHERE queue = 'sqltest.wait.b'),
    'and no other queue''s');
SELECT is((SELECT count(*)::int FROM pg_locks
            WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objsubid = 2
              AND mode = 'ShareLock' AND objid::bigint = hashtext('sqltest.wait.a')::bigint & 4294967295),
    1, 'a submit holds its queue''s lock shared to the end of its transaction');
SELECT lives_ok($$SELECT tasklib.submit('sqltest.wait.task', queue => 'sqltest.wait.unflagged')$$,
    'a submit to a queue no worker waits for');

SELECT * FROM finish();
ROLLBACK;
