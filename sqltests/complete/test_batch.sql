-- One complete call finishes many tasks, each with its own result.
BEGIN;
SELECT plan(4);

DELETE FROM tasklib.tasks;
DO $$ BEGIN
    PERFORM tasklib.submit_many((SELECT jsonb_agg(jsonb_build_object('name', 'sqltest.complete.batch',
                                                                     'args', jsonb_build_object('i', i)))
                                   FROM generate_series(1, 300) AS i));
    PERFORM tasklib.claim('sqltest-worker', 300);
END $$;

CREATE TEMP TABLE done AS
SELECT * FROM tasklib.complete(
    'sqltest-worker',
    ARRAY(SELECT id FROM tasklib.tasks ORDER BY (args->>'i')::int), ARRAY(SELECT lease_token FROM tasklib.tasks ORDER BY (args->>'i')::int),
    ARRAY(SELECT jsonb_build_object('square', ((args->>'i')::int) ^ 2) FROM tasklib.tasks ORDER BY (args->>'i')::int)
) AS id;

SELECT is((SELECT count(*)::int FROM done), 300, 'all 300 ids come back');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE state = 'completed'), 300, 'all 300 tasks are completed');
SELECT is_empty(
    $$SELECT 1 FROM tasklib.tasks WHERE (result->'value'->>'square')::numeric <> ((args->>'i')::int) ^ 2$$,
    'each task got its own result');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE result IS NULL), 0, 'none was missed');

SELECT * FROM finish();
ROLLBACK;
