-- A per-key limit caps the running tasks of each limit_key, also within one claim; keys take
-- turns fairly: a key with a long backlog ahead in claim order holds at most its limit and the
-- other keys' tasks go past it. Tasks without a key are held only by the queue's own limits.
BEGIN;
SELECT plan(8);

DELETE FROM tasklib.tasks;
-- 50 tasks of a busy key first, then 2 of each of three quiet keys, then 2 without a key.
SELECT count(tasklib.submit('sqltest.key', queue => 'sqltest.keyed', limit_key => 'busy')) FROM generate_series(1, 50);
SELECT count(tasklib.submit('sqltest.key', queue => 'sqltest.keyed', limit_key => k))
  FROM unnest(ARRAY['a', 'b', 'c']) AS k, generate_series(1, 2);
SELECT count(tasklib.submit('sqltest.key', queue => 'sqltest.keyed')) FROM generate_series(1, 2);
UPDATE tasklib.tasks SET created_at = now() - make_interval(secs => 1000 - ctid_order)
  FROM (SELECT id AS oid, row_number() OVER (ORDER BY id) AS ctid_order FROM tasklib.tasks) o WHERE id = o.oid;
SELECT 1 FROM tasklib.set_queue_limits('sqltest.keyed', key_concurrency_limit => 1);

CREATE TEMP TABLE first_claim AS SELECT limit_key FROM tasklib.claim('w1', 10, ARRAY['sqltest.keyed']);
SELECT bag_eq($$SELECT limit_key FROM first_claim$$, $$VALUES ('busy'), ('a'), ('b'), ('c'), (NULL), (NULL)$$,
    'one claim of 10 takes one task per key, past the busy key''s backlog, and the keyless tasks');
SELECT is((SELECT count(*)::int FROM tasklib.claim('w2', 10, ARRAY['sqltest.keyed'])), 0,
    'every key is at its limit: the next claim takes nothing');

SELECT 1 FROM tasklib.complete('w1', ARRAY(SELECT id FROM tasklib.tasks WHERE limit_key = 'a' AND state = 'running'),
                               ARRAY(SELECT lease_token FROM tasklib.tasks WHERE limit_key = 'a' AND state = 'running'));
SELECT results_eq($$SELECT limit_key FROM tasklib.claim('w2', 10, ARRAY['sqltest.keyed'])$$, $$VALUES ('a'::text)$$,
    'a finished task frees its key''s slot for that key''s next task');

SELECT 1 FROM tasklib.set_queue_limits('sqltest.keyed', key_concurrency_limit => 3);
SELECT bag_eq($$SELECT limit_key FROM tasklib.claim('w3', 100, ARRAY['sqltest.keyed'])$$,
    $$VALUES ('busy'), ('busy'), ('b'), ('c')$$,
    'a limit of 3: each key up to 3 running, counting those already running (busy 1, b 1, c 1; a has none left)');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE state = 'running' AND limit_key = 'busy'), 3, 'busy runs 3');

-- Both limits at once: the queue's caps the total, keys still one each.
DELETE FROM tasklib.tasks;
SELECT count(tasklib.submit('sqltest.key', queue => 'sqltest.both', limit_key => 'k' || (i % 10)))
  FROM generate_series(1, 100) AS i;
SELECT 1 FROM tasklib.set_queue_limits('sqltest.both', concurrency_limit => 5, key_concurrency_limit => 1);
CREATE TEMP TABLE both_claim AS SELECT limit_key FROM tasklib.claim('w1', 50, ARRAY['sqltest.both']);
SELECT is((SELECT count(*)::int FROM both_claim), 5, 'queue limit 5 over 10 keys: 5 start');
SELECT is((SELECT count(DISTINCT limit_key)::int FROM both_claim), 5, 'of 5 different keys');
SELECT is((SELECT count(*)::int FROM tasklib.claim('w2', 50, ARRAY['sqltest.both'])), 0, 'and no more');

SELECT * FROM finish();
ROLLBACK;
