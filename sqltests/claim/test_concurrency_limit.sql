-- A queue's concurrency limit caps its running tasks over every claimer: each claim counts the
-- running tasks under the queue's row lock, so it takes only the free slots; a finished task,
-- or an expired lease once recovered, frees its slot. Other queues are not held back.
BEGIN;
SELECT plan(9);

DELETE FROM tasklib.tasks;
SELECT count(tasklib.submit('sqltest.limit', queue => 'sqltest.capped')) FROM generate_series(1, 10);
SELECT count(tasklib.submit('sqltest.free', queue => 'sqltest.open')) FROM generate_series(1, 4);
SELECT 1 FROM tasklib.set_queue_limits('sqltest.capped', concurrency_limit => 3);

SELECT is((SELECT count(*)::int FROM tasklib.claim('w1', 2, ARRAY['sqltest.capped'])), 2, 'a claim of 2 under a limit of 3 takes 2');
SELECT is((SELECT count(*)::int FROM tasklib.claim('w2', 5, ARRAY['sqltest.capped'])), 1, 'the next claimer gets the one slot left');
SELECT is((SELECT count(*)::int FROM tasklib.claim('w3', 5, ARRAY['sqltest.capped'])), 0, 'then none: 3 run');
SELECT is((SELECT count(*)::int FROM tasklib.claim('w3', 10)), 4, 'a claim of every queue still takes the other queue''s tasks');

SELECT is((SELECT count(*)::int FROM tasklib.complete('w1',
              ARRAY(SELECT id FROM tasklib.tasks WHERE worker_id = 'w1' AND queue = 'sqltest.capped' LIMIT 1),
              ARRAY(SELECT lease_token FROM tasklib.tasks WHERE worker_id = 'w1' AND queue = 'sqltest.capped' LIMIT 1))), 1,
    'one task finishes');
SELECT is((SELECT count(*)::int FROM tasklib.claim('w3', 5, ARRAY['sqltest.capped'])), 1, 'its slot is free again, and only it');

-- A dead worker's tasks hold their slots until their lease expires; recovery frees them.
UPDATE tasklib.tasks SET locked_until = now() - interval '1 second' WHERE worker_id = 'w2';
SELECT is((SELECT count(*)::int FROM tasklib.claim('w4', 5, ARRAY['sqltest.capped'])), 1,
    'a claim recovers the dead worker''s expired lease and takes its slot');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE queue = 'sqltest.capped' AND state = 'running'), 3,
    'still 3 running');

-- A lower limit does not stop running tasks; it holds back new claims until they finish.
SELECT 1 FROM tasklib.set_queue_limits('sqltest.capped', concurrency_limit => 1);
SELECT is((SELECT count(*)::int FROM tasklib.claim('w5', 5, ARRAY['sqltest.capped'])), 0,
    'lowered below what runs: nothing more starts');

SELECT * FROM finish();
ROLLBACK;
