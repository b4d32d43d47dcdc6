-- set_queue_limits sets every limit at once (an omitted one is none), creates the queue if new,
-- names a bad value with TL002, and keeps a rate bucket's level when the rate changes.
BEGIN;
SELECT plan(13);

SELECT results_eq(
    $$SELECT name, paused, concurrency_limit, key_concurrency_limit, rate_limit, rate_period_seconds, rate_burst,
             key_rate_limit, key_rate_period_seconds, key_rate_burst
        FROM tasklib.set_queue_limits('sqltest.q', concurrency_limit => 5, key_concurrency_limit => 1,
                                      rate_limit => 100, rate_period_seconds => 60, rate_burst => 10,
                                      key_rate_limit => 2)$$,
    $$VALUES ('sqltest.q'::text, false, 5, 1, 100, 60::double precision, 10, 2, 1::double precision, 1)$$,
    'a new queue is created with the limits given (key rate per second, burst 1 by default)');
SELECT results_eq(
    $$SELECT concurrency_limit, key_concurrency_limit, rate_limit, rate_period_seconds, rate_burst, key_rate_limit,
             key_rate_period_seconds, key_rate_burst, tokens
        FROM tasklib.set_queue_limits('sqltest.q', concurrency_limit => 3)$$,
    $$VALUES (3, NULL::integer, NULL::integer, NULL::double precision, NULL::integer, NULL::integer,
              NULL::double precision, NULL::integer, NULL::double precision)$$,
    'a second call replaces them all: what it omits is no limit, and no bucket is kept');
SELECT is((SELECT count(*)::int FROM tasklib.queues WHERE name = 'sqltest.q'), 1, 'one row per queue');

SELECT throws_ok($$SELECT tasklib.set_queue_limits('sqltest.q', concurrency_limit => 0)$$, 'TL002',
    'concurrency_limit must be at least 1 (or NULL: no limit), got 0', 'a zero concurrency limit is refused, named');
SELECT throws_ok($$SELECT tasklib.set_queue_limits('sqltest.q', key_concurrency_limit => -1)$$, 'TL002',
    'key_concurrency_limit must be at least 1 (or NULL: no limit), got -1', 'a negative key limit is refused, named');
SELECT throws_ok($$SELECT tasklib.set_queue_limits('sqltest.q', rate_limit => 5, rate_burst => 0)$$, 'TL002',
    'rate_burst must be at least 1, got 0', 'a zero burst is refused');
SELECT throws_ok($$SELECT tasklib.set_queue_limits('sqltest.q', rate_limit => 5, rate_period_seconds => 0)$$, 'TL002',
    'rate_period_seconds must be a number of seconds > 0 and at most 86400 (1 day), got 0', 'a zero period is refused');
SELECT throws_ok($$SELECT tasklib.set_queue_limits('sqltest.q', key_rate_limit => 5, key_rate_period_seconds => 'NaN')$$, 'TL002',
    'key_rate_period_seconds must be a number of seconds > 0 and at most 86400 (1 day), got NaN', 'a NaN period is refused');
SELECT throws_ok($$SELECT tasklib.set_queue_limits('', concurrency_limit => 1)$$, 'TL002',
    'queue must be a non-empty string, got ''''', 'an empty queue name is refused');
SELECT throws_ok($$SELECT tasklib.set_queue_limits(NULL)$$, 'TL002', 'queue must be a non-empty string, got NULL',
    'a NULL queue is refused');

-- A bucket that was half spent stays half spent under a new rate (capped by the new burst).
SELECT 1 FROM tasklib.set_queue_limits('sqltest.bucket', rate_limit => 10, rate_burst => 10);
UPDATE tasklib.queues SET tokens = 4, tokens_at = now() WHERE name = 'sqltest.bucket';
SELECT is((tasklib.set_queue_limits('sqltest.bucket', rate_limit => 20, rate_burst => 20)).tokens, 4::double precision,
    'a new rate keeps the bucket''s level');
SELECT is((tasklib.set_queue_limits('sqltest.bucket', rate_limit => 20, rate_burst => 2)).tokens, 2::double precision,
    'a smaller burst caps it');
SELECT throws_ok($$SELECT tasklib.set_queue_limits('sqltest.bucket', rate_limit => 1, rate_burst => NULL)$$, 'TL002',
    'rate_burst must be at least 1, got NULL', 'a rate needs a burst');

SELECT * FROM finish();
ROLLBACK;
