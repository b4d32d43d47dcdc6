-- One fail call records many failures, each with its own error and retry flag.
BEGIN;
SELECT plan(5);

DELETE FROM tasklib.tasks;
DO $$ BEGIN
    PERFORM tasklib.submit_many((SELECT jsonb_agg(jsonb_build_object('name', 'sqltest.fail.batch',
                                                                     'args', jsonb_build_object('i', i)))
                                   FROM generate_series(1, 200) AS i));
    PERFORM tasklib.claim('sqltest-worker', 200);
END $$;

CREATE TEMP TABLE failed AS
SELECT * FROM tasklib.fail(
    'sqltest-worker',
    ARRAY(SELECT id FROM tasklib.tasks ORDER BY (args->>'i')::int), ARRAY(SELECT lease_token FROM tasklib.tasks ORDER BY (args->>'i')::int),
    ARRAY(SELECT 'error ' || (args->>'i') FROM tasklib.tasks ORDER BY (args->>'i')::int),
    -- Every even task fails for good.
    ARRAY(SELECT (args->>'i')::int % 2 = 1 FROM tasklib.tasks ORDER BY (args->>'i')::int)
);

SELECT is((SELECT count(*)::int FROM failed), 200, 'fail returns a row per task');
SELECT is_empty($$SELECT 1 FROM tasklib.tasks WHERE error <> 'error ' || (args->>'i')$$, 'each task got its own error');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE (args->>'i')::int % 2 = 1 AND next_retry_at = now() + interval '5 seconds'), 100,
    'the 100 retryable failures wait for their retry');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE (args->>'i')::int % 2 = 0 AND retry_count >= max_retries AND next_retry_at IS NULL), 100,
    'the 100 others are terminal');
SELECT is((SELECT count(*)::int FROM failed f JOIN tasklib.tasks t USING (id) WHERE f.next_retry_at IS NOT DISTINCT FROM t.next_retry_at), 200,
    'the returned next_retry_at matches each stored task');

SELECT * FROM finish();
ROLLBACK;
