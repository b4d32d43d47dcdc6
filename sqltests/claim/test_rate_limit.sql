-- Rate limits are token buckets: a claim starts at most as many tasks as the queue's bucket
-- holds whole tokens and spends them; the bucket refills at rate_limit per rate_period_seconds
-- up to rate_burst. Per key the same, with one bucket per limit_key. (now() is frozen in a
-- transaction: time passing is simulated by moving tokens_at back.)
BEGIN;
SELECT plan(11);

DELETE FROM tasklib.tasks;
SELECT count(tasklib.submit('sqltest.rate', queue => 'sqltest.rated')) FROM generate_series(1, 20);
SELECT 1 FROM tasklib.set_queue_limits('sqltest.rated', rate_limit => 10, rate_period_seconds => 1, rate_burst => 3);

SELECT is((SELECT count(*)::int FROM tasklib.claim('w', 10, ARRAY['sqltest.rated'])), 3, 'a full bucket of burst 3 starts 3');
SELECT is((SELECT tokens FROM tasklib.queues WHERE name = 'sqltest.rated'), 0::double precision, 'and is empty');
SELECT is((SELECT count(*)::int FROM tasklib.claim('w', 10, ARRAY['sqltest.rated'])), 0, 'an empty bucket starts none');

UPDATE tasklib.queues SET tokens_at = now() - interval '250 milliseconds' WHERE name = 'sqltest.rated';
SELECT is((SELECT round(tokens_left::numeric, 3) FROM tasklib.queue_flow WHERE queue = 'sqltest.rated'), 2.5,
    '250 ms at 10/s later it holds 2.5 tokens (queue_flow)');
SELECT is((SELECT count(*)::int FROM tasklib.claim('w', 10, ARRAY['sqltest.rated'])), 2, 'which start 2');
SELECT is((SELECT round(tokens::numeric, 3) FROM tasklib.queues WHERE name = 'sqltest.rated'), 0.5, 'keeping the half token');
UPDATE tasklib.queues SET tokens_at = now() - interval '1 hour' WHERE name = 'sqltest.rated';
SELECT is((SELECT count(*)::int FROM tasklib.claim('w', 10, ARRAY['sqltest.rated'])), 3,
    'an hour idle saves up no more than the burst');

-- Per key: one bucket per key; a key out of tokens does not hold back the others.
DELETE FROM tasklib.tasks;
SELECT count(tasklib.submit('sqltest.rate', queue => 'sqltest.keyrated', limit_key => k))
  FROM unnest(ARRAY['a', 'a', 'a', 'b', 'b', 'b']) AS k;
SELECT 1 FROM tasklib.set_queue_limits('sqltest.keyrated', key_rate_limit => 1, key_rate_period_seconds => 60, key_rate_burst => 2);
SELECT bag_eq($$SELECT limit_key FROM tasklib.claim('w', 10, ARRAY['sqltest.keyrated'])$$,
    $$VALUES ('a'), ('a'), ('b'), ('b')$$, 'each key starts its burst of 2, in one claim');
SELECT is((SELECT count(*)::int FROM tasklib.claim('w', 10, ARRAY['sqltest.keyrated'])), 0, 'then its bucket is empty');
SELECT ok((SELECT bool_and(blocked_until = now() + interval '60 seconds') FROM tasklib.queue_keys WHERE queue = 'sqltest.keyrated'),
    'each key is blocked until its next token, a minute on (found by the blocked index, not by reading every key)');
UPDATE tasklib.queue_keys SET tokens_at = now() - interval '61 seconds', blocked_until = now() - interval '1 second'
 WHERE queue = 'sqltest.keyrated' AND key = 'b';
SELECT results_eq($$SELECT limit_key FROM tasklib.claim('w', 10, ARRAY['sqltest.keyrated'])$$, $$VALUES ('b'::text)$$,
    'a minute later b has a token again; a still has none');

SELECT * FROM finish();
ROLLBACK;
