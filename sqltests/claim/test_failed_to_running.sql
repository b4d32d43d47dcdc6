-- A failed task is claimed again only once its retry is due, and that claim starts a retry
-- (retry_count + 1).
BEGIN;
SELECT plan(7);

DELETE FROM tasklib.tasks;
DO $$ BEGIN PERFORM tasklib.submit('sqltest.claim.retry'); END $$;
DO $$ BEGIN
    PERFORM tasklib.claim('sqltest-w1', 1);
    PERFORM tasklib.fail('sqltest-w1', ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'sqltest.claim.retry'), ARRAY(SELECT lease_token FROM tasklib.tasks WHERE name = 'sqltest.claim.retry'),
                         ARRAY['boom']);
END $$;

SELECT results_eq(
    $$SELECT state, retry_count, next_retry_at, run_at FROM tasklib.tasks WHERE name = 'sqltest.claim.retry'$$,
    $$VALUES ('failed'::text, 0, now() + interval '5 seconds', now() + interval '5 seconds')$$,
    'after the first failure the task waits 5 seconds');
SELECT is_empty($$SELECT * FROM tasklib.claim('sqltest-w2', 10)$$, 'it cannot be claimed before its retry is due');

UPDATE tasklib.tasks SET next_retry_at = now() - interval '1 second' WHERE name = 'sqltest.claim.retry';
SELECT results_eq(
    $$SELECT name, state, worker_id, retry_count FROM tasklib.claim('sqltest-w2', 10)$$,
    $$VALUES ('sqltest.claim.retry'::text, 'running'::text, 'sqltest-w2'::text, 1)$$,
    'once due, a worker claims it and retry_count becomes 1');
SELECT results_eq(
    $$SELECT state, retry_count, next_retry_at, started_at, locked_until, error
        FROM tasklib.tasks WHERE name = 'sqltest.claim.retry'$$,
    $$VALUES ('running'::text, 1, NULL::timestamptz, now(), now() + interval '60 seconds', 'boom'::text)$$,
    'the retry is running, next_retry_at cleared; the previous error stays visible');

-- Fail it again: the second retry is due after 10 seconds and counts again on its claim.
DO $$ BEGIN
    PERFORM tasklib.fail('sqltest-w2', ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'sqltest.claim.retry'), ARRAY(SELECT lease_token FROM tasklib.tasks WHERE name = 'sqltest.claim.retry'),
                         ARRAY['boom again']);
END $$;
SELECT is((SELECT next_retry_at FROM tasklib.tasks WHERE name = 'sqltest.claim.retry'),
          now() + interval '10 seconds', 'the second retry waits 10 seconds');
UPDATE tasklib.tasks SET next_retry_at = now() WHERE name = 'sqltest.claim.retry';
SELECT is((SELECT retry_count FROM tasklib.claim('sqltest-w3', 1)), 2, 'claiming it again makes retry_count 2');

-- A pending task never counts as a retry.
DO $$ BEGIN PERFORM tasklib.submit('sqltest.claim.fresh'); END $$;
SELECT is((SELECT retry_count FROM tasklib.claim('sqltest-w3', 1)), 0, 'a pending task is claimed with retry_count 0');

SELECT * FROM finish();
ROLLBACK;
