-- claim(worker, n) takes at most n tasks, and fewer when fewer are due.
BEGIN;
SELECT plan(5);

DELETE FROM tasklib.tasks;
DO $$ BEGIN
    PERFORM tasklib.submit_many((SELECT jsonb_agg(jsonb_build_object('name', 'sqltest.claim.n'))
                                   FROM generate_series(1, 7)));
END $$;

SELECT is((SELECT count(*)::int FROM tasklib.claim('sqltest-worker', 0)), 0, 'n = 0 claims nothing');
SELECT is((SELECT count(*)::int FROM tasklib.claim('sqltest-worker', 3)), 3, 'n = 3 claims three');
SELECT is((SELECT count(*)::int FROM tasklib.claim('sqltest-worker', 10)), 4, 'n = 10 claims the four left');
SELECT is((SELECT count(*)::int FROM tasklib.claim('sqltest-worker', 10)), 0, 'nothing is left');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE state = 'running' AND worker_id = 'sqltest-worker'), 7,
    'every task was claimed once');

SELECT * FROM finish();
ROLLBACK;
