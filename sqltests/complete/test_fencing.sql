-- complete is fenced by attempt: only the lease token of the claim that holds the task, while its
-- lease runs, completes it. A stale attempt (its lease expired, the task recovered and claimed
-- again, even by the same worker) and an attempt whose lease expired before recovery ran change
-- nothing and get nothing back. (On the worker-name fencing this replaced, both were accepted.)
BEGIN;
SELECT plan(10);

DELETE FROM tasklib.tasks;
SELECT tasklib.submit('sqltest.fence.complete', max_retries => 3);

-- Attempt 1, by worker w, under token ...a1; its lease expires and it is recovered.
SELECT is((SELECT attempt FROM tasklib.claim('w', 1, lease_token => '00000000-0000-4000-8000-0000000000a1')), 1,
    'the first claim is attempt 1');
UPDATE tasklib.tasks SET locked_until = now() - interval '1 second';
SELECT is(tasklib.recover_expired(), 1, 'its expired lease is recovered');
UPDATE tasklib.tasks SET next_retry_at = now();
-- Attempt 2, by the same worker name, under token ...a2.
SELECT is((SELECT attempt FROM tasklib.claim('w', 1, lease_token => '00000000-0000-4000-8000-0000000000a2')), 2,
    'the same worker claims it again: attempt 2');

SELECT is_empty($$SELECT * FROM tasklib.complete('w', ARRAY(SELECT id FROM tasklib.tasks),
                                                 ARRAY['00000000-0000-4000-8000-0000000000a1'::uuid],
                                                 ARRAY['"stale result of attempt 1"'::jsonb])$$,
    'the stale attempt 1 cannot complete attempt 2');
SELECT results_eq($$SELECT state, result, attempt, lease_token FROM tasklib.tasks$$,
    $$VALUES ('running'::text, NULL::jsonb, 2, '00000000-0000-4000-8000-0000000000a2'::uuid)$$,
    'attempt 2 runs on, untouched');
SELECT is_empty($$SELECT * FROM tasklib.complete('w', ARRAY(SELECT id FROM tasklib.tasks), ARRAY[gen_random_uuid()])$$,
    'nor can a made-up token');

-- Attempt 2's lease expires; recover_expired has not run yet.
UPDATE tasklib.tasks SET locked_until = now() - interval '1 second';
SELECT is_empty($$SELECT * FROM tasklib.complete('w', ARRAY(SELECT id FROM tasklib.tasks),
                                                 ARRAY['00000000-0000-4000-8000-0000000000a2'::uuid],
                                                 ARRAY['"too late"'::jsonb])$$,
    'lease expired, not yet recovered: even the right token completes nothing');
SELECT results_eq($$SELECT state, result FROM tasklib.tasks$$, $$VALUES ('running'::text, NULL::jsonb)$$,
    'the task waits for recovery, which will count the attempt as failed');

UPDATE tasklib.tasks SET locked_until = now() + interval '1 minute';
SELECT results_eq($$SELECT * FROM tasklib.complete('w', ARRAY(SELECT id FROM tasklib.tasks),
                                                   ARRAY['00000000-0000-4000-8000-0000000000a2'::uuid],
                                                   ARRAY['"ok"'::jsonb])$$,
    $$SELECT id FROM tasklib.tasks$$,
    'the token of the running attempt, within its lease, completes it');
SELECT results_eq($$SELECT state, result, lease_token, attempt FROM tasklib.tasks$$,
    $$VALUES ('completed'::text, '{"value": "ok"}'::jsonb, NULL::uuid, 2)$$,
    'completed by attempt 2, the token cleared');

SELECT * FROM finish();
ROLLBACK;
