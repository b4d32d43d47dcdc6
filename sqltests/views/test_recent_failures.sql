-- recent_failures: failures waiting for a retry and recent permanent ones, newest first, with
-- the telling line of the error and the retry state.
BEGIN;
SELECT plan(6);

DELETE FROM tasklib.tasks;
SELECT tasklib.submit('rf.flaky', max_retries => 2, backoff_base_seconds => 5);
SELECT tasklib.submit('rf.broken', max_retries => 0);
SELECT tasklib.claim('w1', 10);
SELECT tasklib.fail('w1',
    ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'rf.flaky'), ARRAY(SELECT lease_token FROM tasklib.tasks WHERE name = 'rf.flaky'),
    ARRAY[E'Traceback (most recent call last):\n  File "x.py", line 1, in f\nValueError: boom\n']);
SELECT tasklib.fail('w1',
    ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'rf.broken'), ARRAY(SELECT lease_token FROM tasklib.tasks WHERE name = 'rf.broken'),
    ARRAY[E'disk full\nmore detail']);
-- An old permanent failure is history, not "recent".
INSERT INTO tasklib.tasks (name, state, retry_count, max_retries, completed_at, error)
VALUES ('rf.old', 'failed', 3, 3, now() - interval '3 days', 'old');

SELECT results_eq(
    'SELECT name, retry_state, error_line, attempts, max_attempts FROM tasklib.recent_failures ORDER BY name',
    $$VALUES ('rf.broken'::text, 'permanent'::text, 'disk full'::text, 1, 1),
             ('rf.flaky', 'retrying', 'ValueError: boom', 1, 3)$$,
    'one row per recent failure: the traceback''s last line, else the first line; retry state');
SELECT is((SELECT failed_at FROM tasklib.recent_failures WHERE name = 'rf.flaky'), now(),
    'failed_at of a retrying task is derived from its next retry time');
SELECT is((SELECT next_retry_at FROM tasklib.recent_failures WHERE name = 'rf.flaky'), now() + interval '5 seconds',
    'next_retry_at is shown');
SELECT is((SELECT failed_at FROM tasklib.recent_failures WHERE name = 'rf.broken'), now(),
    'failed_at of a permanent failure is its completion time');
SELECT is(tasklib._error_line(NULL), NULL, '_error_line of NULL is NULL');
SELECT is(tasklib._error_line(E'\n\n  first  \nsecond'), 'first', '_error_line skips blank lines');

SELECT * FROM finish();
ROLLBACK;
