-- The flow-control API exists with its public signatures, documented; its tables and view too.
BEGIN;
SELECT plan(24);

SELECT has_function('tasklib', 'set_queue_limits',
    ARRAY['text', 'integer', 'integer', 'integer', 'double precision', 'integer', 'integer', 'double precision', 'integer'],
    'set_queue_limits(queue, concurrency_limit, key_concurrency_limit, rate_limit, rate_period_seconds, rate_burst, key_rate_limit, key_rate_period_seconds, key_rate_burst)');
SELECT has_function('tasklib', 'pause_queue', ARRAY['text'], 'pause_queue(queue)');
SELECT has_function('tasklib', 'resume_queue', ARRAY['text'], 'resume_queue(queue)');
SELECT has_function('tasklib', 'suspend_queue', ARRAY['text', 'timestamp with time zone', 'text'],
    'suspend_queue(queue, until, limit_key)');
SELECT has_function('tasklib', 'rate_limited', ARRAY['text', 'uuid[]', 'uuid[]', 'double precision[]', 'text[]'],
    'rate_limited(worker, ids, lease_tokens, retry_after_seconds, scopes)');
SELECT has_function('tasklib', 'seconds_until_claimable', ARRAY['text[]'], 'seconds_until_claimable(queues)');
SELECT function_returns('tasklib', 'set_queue_limits', 'tasklib.queues', 'set_queue_limits returns the queue''s row');
SELECT function_returns('tasklib', 'rate_limited', 'setof uuid', 'rate_limited returns the ids handed back');
SELECT function_returns('tasklib', 'seconds_until_claimable', 'double precision', 'seconds_until_claimable returns seconds');

SELECT is_empty(
    $$SELECT p.proname FROM pg_proc p
       WHERE p.pronamespace = 'tasklib'::regnamespace
         AND p.proname IN ('set_queue_limits', 'pause_queue', 'resume_queue', 'suspend_queue', 'rate_limited',
                           'seconds_until_claimable', '_choose_limited', '_queue_for_update', '_bucket_level', 'purge_queue_keys',
                           '_bucket_ready_at')
         AND obj_description(p.oid, 'pg_proc') IS NULL$$,
    'every flow-control function has a comment');

SELECT has_table('tasklib', 'queues', 'tasklib.queues exists');
SELECT col_is_pk('tasklib', 'queues', 'name', 'a queue is its name');
SELECT has_table('tasklib', 'queue_keys', 'tasklib.queue_keys exists');
SELECT col_is_pk('tasklib', 'queue_keys', ARRAY['queue', 'key'], 'a key is its queue and name');
SELECT has_index('tasklib', 'queue_keys', 'queue_keys_blocked_idx', ARRAY['queue', 'blocked_until'],
    'blocked keys are found by index');
SELECT has_column('tasklib', 'tasks', 'limit_key', 'tasks have a limit_key');
SELECT has_column('tasklib', 'task_types', 'limit_key_arg', 'task types name their key argument');
SELECT has_view('tasklib', 'queue_flow', 'the queue_flow view exists');
SELECT isnt(obj_description('tasklib.queue_flow'::regclass, 'pg_class'), NULL, 'queue_flow has a comment');
SELECT isnt(obj_description('tasklib.queues'::regclass, 'pg_class'), NULL, 'queues has a comment');

SELECT throws_ok($$INSERT INTO tasklib.queues (name, rate_limit) VALUES ('half', 5)$$, '23514', NULL,
    'a rate limit needs its period and burst (queues_rate_whole)');
SELECT throws_ok($$INSERT INTO tasklib.queues (name, concurrency_limit) VALUES ('zero', 0)$$, '23514', NULL,
    'a concurrency limit is at least 1');
SELECT ok((SELECT limited FROM tasklib.set_queue_limits('sqltest.derived', key_concurrency_limit => 2)),
    'a queue with a limit is limited (derived)');
SELECT ok(NOT (SELECT limited FROM tasklib.set_queue_limits('sqltest.derived')), 'and without one is not');

SELECT * FROM finish();
ROLLBACK;
