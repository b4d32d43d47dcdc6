-- throughput: tasks finished per minute over the last hour, zeros included.
BEGIN;
SELECT plan(4);

DELETE FROM tasklib.tasks;
INSERT INTO tasklib.tasks (name, state, retry_count, max_retries, completed_at)
SELECT 't', 'completed', 0, 3, date_trunc('minute', now()) - interval '5 minutes' + interval '1 second'
  FROM generate_series(1, 3);
INSERT INTO tasklib.tasks (name, state, retry_count, max_retries, completed_at)
VALUES ('t', 'failed', 3, 3, date_trunc('minute', now()) - interval '5 minutes'),
       ('t', 'cancelled', 0, 3, date_trunc('minute', now())),
       ('t', 'completed', 0, 3, now() - interval '2 hours');

SELECT is((SELECT count(*) FROM tasklib.throughput), 60::bigint, 'sixty minutes, one row each');
SELECT is((SELECT max(minute) FROM tasklib.throughput), date_trunc('minute', now()), 'the current minute is last');
SELECT results_eq(
    $$SELECT completed, failed, cancelled FROM tasklib.throughput
       WHERE minute = date_trunc('minute', now()) - interval '5 minutes'$$,
    $$VALUES (3::bigint, 1::bigint, 0::bigint)$$,
    'completed and permanently failed tasks are counted in the minute they finished');
SELECT is((SELECT sum(completed + failed + cancelled) FROM tasklib.throughput), 5::numeric,
    'tasks finished more than an hour ago are left out');

SELECT * FROM finish();
ROLLBACK;
