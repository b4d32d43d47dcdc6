-- fail is fenced by attempt like complete: a stale attempt (recovered and claimed again, even by
-- the same worker) and an attempt whose lease expired before recovery ran record no failure.
BEGIN;
SELECT plan(9);

DELETE FROM tasklib.tasks;
SELECT tasklib.submit('sqltest.fence.fail', max_retries => 3);
SELECT tasklib.claim('w', 1, lease_token => '00000000-0000-4000-8000-0000000000f1');
UPDATE tasklib.tasks SET locked_until = now() - interval '1 second';
SELECT is(tasklib.recover_expired(), 1, 'attempt 1''s expired lease is recovered');
UPDATE tasklib.tasks SET next_retry_at = now();
SELECT is((SELECT attempt FROM tasklib.claim('w', 1, lease_token => '00000000-0000-4000-8000-0000000000f2')), 2,
    'the same worker claims it again: attempt 2');

SELECT is_empty($$SELECT * FROM tasklib.fail('w', ARRAY(SELECT id FROM tasklib.tasks),
                                             ARRAY['00000000-0000-4000-8000-0000000000f1'::uuid],
                                             ARRAY['stale error of attempt 1'], ARRAY[false])$$,
    'the stale attempt 1 cannot fail attempt 2 (not even for good)');
SELECT results_eq($$SELECT state, retry_count, max_retries, error, lease_token FROM tasklib.tasks$$,
    $$VALUES ('running'::text, 1, 3, 'lease expired: worker w presumed dead'::text, '00000000-0000-4000-8000-0000000000f2'::uuid)$$,
    'attempt 2 runs on with its retries intact');

UPDATE tasklib.tasks SET locked_until = now() - interval '1 second';
SELECT is_empty($$SELECT * FROM tasklib.fail('w', ARRAY(SELECT id FROM tasklib.tasks),
                                             ARRAY['00000000-0000-4000-8000-0000000000f2'::uuid], ARRAY['too late'])$$,
    'lease expired, not yet recovered: even the right token fails nothing');
SELECT is((SELECT state FROM tasklib.tasks), 'running', 'the task waits for recovery');
SELECT is(tasklib.recover_expired(), 1, 'which fails it as a lost attempt');
SELECT is((SELECT error FROM tasklib.tasks), 'lease expired: worker w presumed dead', 'with the lease''s words, not the late ones');

UPDATE tasklib.tasks SET next_retry_at = now();
SELECT tasklib.claim('w', 1, lease_token => '00000000-0000-4000-8000-0000000000f3');
SELECT results_eq($$SELECT f.state FROM tasklib.fail('w', ARRAY(SELECT id FROM tasklib.tasks),
                                                     ARRAY['00000000-0000-4000-8000-0000000000f3'::uuid], ARRAY['boom']) f$$,
    $$VALUES ('failed'::text)$$, 'the running attempt''s token, within its lease, fails it');

SELECT * FROM finish();
ROLLBACK;
