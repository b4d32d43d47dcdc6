-- purge deletes finished tasks (completed, permanently failed, cancelled) that finished before
-- the cutoff, and nothing else: never a task that may still run, whatever its age.
BEGIN;
SELECT plan(3);

DELETE FROM tasklib.tasks;
INSERT INTO tasklib.tasks (name, state, retry_count, max_retries, next_retry_at, completed_at, created_at, lease_token)
VALUES ('old-completed',   'completed', 0, 3, NULL, now() - interval '8 days', now() - interval '9 days', NULL),
       ('old-terminal',    'failed',    3, 3, NULL, now() - interval '8 days', now() - interval '9 days', NULL),
       ('old-cancelled',   'cancelled', 0, 3, NULL, now() - interval '8 days', now() - interval '9 days', NULL),
       ('new-completed',   'completed', 0, 3, NULL, now() - interval '6 days', now() - interval '9 days', NULL),
       ('new-terminal',    'failed',    0, 0, NULL, now() - interval '1 hour', now() - interval '9 days', NULL),
       ('old-pending',     'pending',   0, 3, NULL, NULL, now() - interval '30 days', NULL),
       ('old-running',     'running',   0, 3, NULL, NULL, now() - interval '30 days', gen_random_uuid()),
       ('old-waiting',     'failed',    1, 3, now() + interval '1 minute', NULL, now() - interval '30 days', NULL),
       -- Inconsistent on purpose: even with an old completed_at, a retry still to come is kept.
       ('waiting-stamped', 'failed',    1, 3, now() + interval '1 minute', now() - interval '30 days', now() - interval '30 days', NULL);

SELECT is(tasklib.purge(), 3, 'the default purge (older than 7 days) deletes three tasks');
SELECT set_eq($$SELECT name FROM tasklib.tasks$$,
    ARRAY['new-completed', 'new-terminal', 'old-pending', 'old-running', 'old-waiting', 'waiting-stamped'],
    'the old finished ones went; recent, unfinished and waiting tasks stay');
SELECT is(tasklib.purge(older_than => interval '0'), 2, 'older_than 0 purges every finished task');

SELECT * FROM finish();
ROLLBACK;
