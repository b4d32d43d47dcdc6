-- release hands running tasks back as pending, due now, without spending a retry, so another
-- worker takes them at once: the tasks of the claims whose lease tokens it is given (only the
-- ids listed, when ids are given).
BEGIN;
SELECT plan(9);

DELETE FROM tasklib.tasks;
DO $$ BEGIN
    PERFORM tasklib.submit_many('[{"name": "sqltest.rel.a"}, {"name": "sqltest.rel.b"}, {"name": "sqltest.rel.c"}]');
    PERFORM tasklib.claim('sqltest-leaving', 3, lease_token => '00000000-0000-4000-8000-00000000000a');
    PERFORM tasklib.submit('sqltest.rel.other');
    PERFORM tasklib.claim('sqltest-staying', 1, lease_token => '00000000-0000-4000-8000-00000000000b');
END $$;
UPDATE tasklib.tasks SET scheduled_at = now() - interval '1 hour', retry_count = 1 WHERE name = 'sqltest.rel.a';

SELECT results_eq(
    $$SELECT * FROM tasklib.release('sqltest-leaving', ARRAY(SELECT id FROM tasklib.tasks WHERE name IN ('sqltest.rel.a', 'sqltest.rel.other')),
                                    ARRAY['00000000-0000-4000-8000-00000000000a'::uuid])$$,
    $$SELECT id FROM tasklib.tasks WHERE name = 'sqltest.rel.a'$$,
    'release of given ids returns those the worker held under the token');
SELECT results_eq(
    $$SELECT state, worker_id, started_at, locked_until, lease_token, scheduled_at, run_at, retry_count, attempt
        FROM tasklib.tasks WHERE name = 'sqltest.rel.a'$$,
    $$VALUES ('pending'::text, NULL::text, NULL::timestamptz, NULL::timestamptz, NULL::uuid, now(), now(), 1, 1)$$,
    'the released task is pending and due now, its token gone, its retry_count unchanged, its attempt counted');
SELECT is((SELECT state || '/' || worker_id FROM tasklib.tasks WHERE name = 'sqltest.rel.other'),
    'running/sqltest-staying', 'another worker''s task is not released');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE name IN ('sqltest.rel.b', 'sqltest.rel.c') AND state = 'running'), 2,
    'tasks not listed stay running');

SELECT is_empty($$SELECT * FROM tasklib.release('sqltest-leaving', NULL, ARRAY['00000000-0000-4000-8000-00000000000b'::uuid])$$,
    'the token of another worker''s claim releases nothing of that worker''s');
SELECT set_eq($$SELECT * FROM tasklib.release('sqltest-leaving', NULL, ARRAY['00000000-0000-4000-8000-00000000000a'::uuid])$$,
    $$SELECT id FROM tasklib.tasks WHERE name IN ('sqltest.rel.b', 'sqltest.rel.c')$$,
    'without ids, every task of the claims whose tokens are given is released');
SELECT set_eq($$SELECT name FROM tasklib.claim('sqltest-next', 10)$$,
    ARRAY['sqltest.rel.a', 'sqltest.rel.b', 'sqltest.rel.c'], 'another worker claims them at once');
SELECT throws_ok($$SELECT * FROM tasklib.release('', NULL, ARRAY[gen_random_uuid()])$$, 'TL002', 'worker must be a non-empty string', 'an empty worker is rejected');
SELECT throws_ok($$SELECT * FROM tasklib.release('sqltest-leaving')$$, 'TL002',
    'release needs the lease tokens of the claims to hand back, got NULL', 'the tokens are required');

SELECT * FROM finish();
ROLLBACK;
