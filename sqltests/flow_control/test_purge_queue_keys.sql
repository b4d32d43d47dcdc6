-- purge_queue_keys deletes the key rows that hold no state any more: suspension over, and rate
-- bucket full again (or no per-key rate); the others stay. Admin only.
BEGIN;
SELECT plan(4);

DELETE FROM tasklib.queue_keys;
SELECT 1 FROM tasklib.set_queue_limits('sqltest.pk', key_rate_limit => 1, key_rate_period_seconds => 10, key_rate_burst => 2);
INSERT INTO tasklib.queue_keys (queue, key, suspended_until, tokens, tokens_at, blocked_until) VALUES
    ('sqltest.pk', 'suspended', now() + interval '1 minute', NULL, NULL, now() + interval '1 minute'),
    ('sqltest.pk', 'was-suspended', now() - interval '1 minute', NULL, NULL, now() - interval '1 minute'),
    ('sqltest.pk', 'refilling', NULL, 0, now() - interval '5 seconds', now() + interval '5 seconds'),
    ('sqltest.pk', 'refilled', NULL, 0, now() - interval '25 seconds', now() - interval '15 seconds');
SELECT is(tasklib.purge_queue_keys(), 2, 'two rows hold nothing any more');
SELECT bag_eq($$SELECT key FROM tasklib.queue_keys WHERE queue = 'sqltest.pk'$$, $$VALUES ('suspended'), ('refilling')$$,
    'a suspension in force and a bucket still refilling stay');
SELECT ok(has_function_privilege('tasklib_admin', 'tasklib.purge_queue_keys()', 'EXECUTE'), 'an admin may call it');
SELECT ok(NOT has_function_privilege('tasklib_worker', 'tasklib.purge_queue_keys()', 'EXECUTE'), 'a worker may not');

SELECT * FROM finish();
ROLLBACK;
