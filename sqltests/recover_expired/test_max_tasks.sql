-- recover_expired handles at most max_tasks per call, the longest-expired first.
BEGIN;
SELECT plan(4);

DELETE FROM tasklib.tasks;
INSERT INTO tasklib.tasks (name, state, worker_id, locked_until, lease_token)
SELECT 'sqltest.rec.' || i, 'running', 'sqltest-dead', now() - make_interval(secs => i), gen_random_uuid()
  FROM generate_series(1, 5) AS i;

SELECT is(tasklib.recover_expired(2), 2, 'max_tasks 2 recovers two');
SELECT set_eq($$SELECT name FROM tasklib.tasks WHERE state = 'failed'$$, ARRAY['sqltest.rec.5', 'sqltest.rec.4'],
    'the ones whose lease ended first');
SELECT is(tasklib.recover_expired(), 3, 'the default handles the rest');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE state = 'running'), 0, 'none is left running');

SELECT * FROM finish();
ROLLBACK;
