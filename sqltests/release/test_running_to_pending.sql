-- release hands running tasks back as pending, due now, without spending a retry, so another
-- worker takes them at once.
BEGIN;
SELECT plan(7);

DELETE FROM tasklib.tasks;
DO $$ BEGIN
    PERFORM tasklib.submit_many('[{"name": "sqltest.rel.a"}, {"name": "sqltest.rel.b"}, {"name": "sqltest.rel.c"}]');
    PERFORM tasklib.claim('sqltest-leaving', 3);
    PERFORM tasklib.submit('sqltest.rel.other');
    PERFORM tasklib.claim('sqltest-staying', 1);
END $$;
UPDATE tasklib.tasks SET scheduled_at = now() - interval '1 hour', retry_count = 1 WHERE name = 'sqltest.rel.a';

SELECT results_eq(
    $$SELECT * FROM tasklib.release('sqltest-leaving', ARRAY(SELECT id FROM tasklib.tasks WHERE name IN ('sqltest.rel.a', 'sqltest.rel.other')))$$,
    $$SELECT id FROM tasklib.tasks WHERE name = 'sqltest.rel.a'$$,
    'release of given ids returns those the worker held');
SELECT results_eq(
    $$SELECT state, worker_id, started_at, locked_until, scheduled_at, run_at, retry_count
        FROM tasklib.tasks WHERE name = 'sqltest.rel.a'$$,
    $$VALUES ('pending'::text, NULL::text, NULL::timestamptz, NULL::timestamptz, now(), now(), 1)$$,
    'the released task is pending and due now, its retry_count unchanged');
SELECT is((SELECT state || '/' || worker_id FROM tasklib.tasks WHERE name = 'sqltest.rel.other'),
    'running/sqltest-staying', 'another worker''s task is not released');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE name IN ('sqltest.rel.b', 'sqltest.rel.c') AND state = 'running'), 2,
    'tasks not listed stay running');

SELECT set_eq($$SELECT * FROM tasklib.release('sqltest-leaving')$$,
    $$SELECT id FROM tasklib.tasks WHERE name IN ('sqltest.rel.b', 'sqltest.rel.c')$$,
    'without ids, every task the worker runs is released');
SELECT set_eq($$SELECT name FROM tasklib.claim('sqltest-next', 10)$$,
    ARRAY['sqltest.rel.a', 'sqltest.rel.b', 'sqltest.rel.c'], 'another worker claims them at once');
SELECT throws_ok($$SELECT * FROM tasklib.release('')$$, 'TL002', 'worker must be a non-empty string', 'an empty worker is rejected');

SELECT * FROM finish();
ROLLBACK;
