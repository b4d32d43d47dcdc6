-- rate_limited hands a task back to pending, due after its retry_after, without spending a
-- retry, and suspends its key (or its queue) until then; fenced by the lease token like complete.
BEGIN;
SELECT plan(14);

DELETE FROM tasklib.tasks;
SELECT count(tasklib.submit('sqltest.api', queue => 'sqltest.api', limit_key => k))
  FROM unnest(ARRAY['k', 'k', 'other']) AS k;
SELECT count(tasklib.submit('sqltest.api', queue => 'sqltest.api')) ;
CREATE TEMP TABLE claimed AS
SELECT id, limit_key FROM tasklib.claim('w', 2, ARRAY['sqltest.api'], lease_token => '00000000-0000-4000-8000-0000000000e1');
-- The first two in claim order are k's: k's second task is pending.

SELECT is_empty($$SELECT * FROM tasklib.rate_limited('w', ARRAY(SELECT id FROM claimed WHERE limit_key = 'k' LIMIT 1),
                                                     ARRAY['00000000-0000-4000-8000-0000000000ff'::uuid], ARRAY[2::float8])$$,
    'a wrong lease token hands nothing back');
SELECT results_eq($$SELECT * FROM tasklib.rate_limited('w', ARRAY(SELECT id FROM claimed WHERE limit_key = 'k' LIMIT 1),
                                                       ARRAY['00000000-0000-4000-8000-0000000000e1'::uuid], ARRAY[2::float8])$$,
    $$SELECT id FROM claimed WHERE limit_key = 'k' LIMIT 1$$, 'the running attempt''s token hands it back');
SELECT results_eq(
    $$SELECT state, retry_count, attempt, scheduled_at, worker_id, lease_token, locked_until
        FROM tasklib.tasks WHERE id = (SELECT id FROM claimed WHERE limit_key = 'k' LIMIT 1)$$,
    $$VALUES ('pending'::text, 0, 1, now() + interval '2 seconds', NULL::text, NULL::uuid, NULL::timestamptz)$$,
    'pending, due in 2 s, no retry spent (its attempt still counted), no worker or lease');
SELECT is((SELECT suspended_until FROM tasklib.queue_keys WHERE queue = 'sqltest.api' AND key = 'k'),
    now() + interval '2 seconds', 'its key is suspended for 2 s');
SELECT is((SELECT suspended_until FROM tasklib.queues WHERE name = 'sqltest.api'), NULL, 'not its queue');
SELECT bag_eq($$SELECT limit_key FROM tasklib.claim('w', 10, ARRAY['sqltest.api'])$$, $$VALUES ('other'), (NULL)$$,
    'other keys and keyless tasks go on; k''s due task waits');

-- scope 'queue', and a keyless task: the whole queue.
DELETE FROM tasklib.tasks; DELETE FROM tasklib.queue_keys;
SELECT count(tasklib.submit('sqltest.api', queue => 'sqltest.api2', limit_key => 'k'));
SELECT count(tasklib.submit('sqltest.api', queue => 'sqltest.api2'));
CREATE TEMP TABLE claimed2 AS
SELECT id, limit_key FROM tasklib.claim('w', 2, ARRAY['sqltest.api2'], lease_token => '00000000-0000-4000-8000-0000000000e2');
SELECT is((SELECT count(*)::int FROM tasklib.rate_limited('w', ARRAY(SELECT id FROM claimed2 ORDER BY limit_key NULLS LAST),
                                                 ARRAY['00000000-0000-4000-8000-0000000000e2'::uuid, '00000000-0000-4000-8000-0000000000e2'],
                                                 ARRAY[5, 30]::float8[], ARRAY['queue', NULL])), 2,
    'both are handed back in one call');
SELECT is((SELECT suspended_until FROM tasklib.queues WHERE name = 'sqltest.api2'), now() + interval '30 seconds',
    'scope queue, or a task without a key, suspends the queue (the latest time wins)');
SELECT is_empty($$SELECT * FROM tasklib.queue_keys WHERE queue = 'sqltest.api2'$$, 'and no key');

SELECT throws_ok($$SELECT tasklib.rate_limited('w', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], ARRAY['NaN']::float8[])$$,
    'TL002', NULL, 'a NaN retry_after is refused');
SELECT throws_ok($$SELECT tasklib.rate_limited('w', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], ARRAY[-1]::float8[])$$,
    'TL002', NULL, 'a negative retry_after is refused');
SELECT throws_ok($$SELECT tasklib.rate_limited('w', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], ARRAY[1]::float8[], ARRAY['tenant'])$$,
    'TL002', 'scopes[1] must be ''key'' or ''queue'' (or NULL: key), got ''tenant''', 'an unknown scope is refused, named');
SELECT throws_ok($$SELECT tasklib.rate_limited('w', ARRAY[gen_random_uuid()], ARRAY[]::uuid[], ARRAY[1]::float8[])$$,
    'TL002', 'rate_limited got 1 ids but 0 lease tokens', 'one token per id');
SELECT throws_ok($$SELECT tasklib.rate_limited('w', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], ARRAY[]::float8[])$$,
    'TL002', 'rate_limited got 1 ids but 0 retry_after_seconds', 'one retry_after per id');

SELECT * FROM finish();
ROLLBACK;
