-- queue_status counts tasks by state like the seed's Quick Status; queue_status_by_task splits
-- it per name; the seed query runs verbatim with tasklib on the search_path.
BEGIN;
SELECT plan(6);

DELETE FROM tasklib.tasks;
INSERT INTO tasklib.tasks (name, state, retry_count, max_retries, scheduled_at, next_retry_at, completed_at,
                           started_at, worker_id, locked_until, lease_token)
VALUES ('a', 'pending', 0, 3, now() - interval '10 minutes', NULL, NULL, NULL, NULL, NULL, NULL),
       ('a', 'pending', 0, 3, now() + interval '1 hour', NULL, NULL, NULL, NULL, NULL, NULL),
       ('a', 'running', 0, 3, now(), NULL, NULL, now(), 'w1', now() + interval '1 minute', gen_random_uuid()),
       ('b', 'completed', 0, 3, now(), NULL, now(), now(), 'w1', NULL, NULL),
       ('b', 'failed', 1, 3, now(), now() - interval '1 minute', NULL, now(), 'w1', NULL, NULL),
       ('b', 'failed', 3, 3, now(), NULL, now(), now(), 'w1', NULL, NULL),
       ('b', 'cancelled', 0, 3, now(), NULL, now(), NULL, NULL, NULL, NULL);

SELECT results_eq(
    'SELECT total, pending, running, completed, failed_retrying, failed_permanent, cancelled, due FROM tasklib.queue_status',
    $$VALUES (7::bigint, 2::bigint, 1::bigint, 1::bigint, 1::bigint, 1::bigint, 1::bigint, 2::bigint)$$,
    'queue_status counts every state; due counts the pending task whose time has come and the due retry');
SELECT is((SELECT oldest_due_age FROM tasklib.queue_status), interval '10 minutes',
    'oldest_due_age is the wait of the oldest claimable task');
SELECT results_eq(
    'SELECT name, total, pending, running, completed, failed_retrying, failed_permanent, cancelled FROM tasklib.queue_status_by_task',
    $$VALUES ('a'::text, 3::bigint, 2::bigint, 1::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint),
             ('b', 4, 0, 0, 1, 1, 1, 1)$$,
    'queue_status_by_task gives one row per task name');

SET LOCAL search_path = tasklib, public;
SELECT results_eq(
    $$SELECT
  COUNT(*) as total,
  COUNT(*) FILTER (WHERE state='pending') as pending,
  COUNT(*) FILTER (WHERE state='running') as running,
  COUNT(*) FILTER (WHERE state='completed') as completed,
  COUNT(*) FILTER (WHERE state='failed' AND retry_count < max_retries) as failed_retrying,
  COUNT(*) FILTER (WHERE state='failed' AND retry_count >= max_retries) as failed_permanent
FROM tasks;$$,
    'SELECT total, pending, running, completed, failed_retrying, failed_permanent FROM queue_status',
    'the seed''s Quick Status runs verbatim and agrees with queue_status');
RESET search_path;

DELETE FROM tasklib.tasks;
SELECT results_eq('SELECT total, due FROM tasklib.queue_status', $$VALUES (0::bigint, 0::bigint)$$,
    'an empty table gives one row of zeros');
SELECT is((SELECT oldest_due_age FROM tasklib.queue_status), NULL::interval, 'and no lag');

SELECT * FROM finish();
ROLLBACK;
