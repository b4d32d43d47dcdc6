-- heartbeat is fenced by attempt like complete: a stale attempt's heartbeat extends nothing and
-- gets nothing back (the worker learns the task is lost), and an expired lease is not revived.
BEGIN;
SELECT plan(7);

DELETE FROM tasklib.tasks;
SELECT tasklib.submit('sqltest.fence.heartbeat');
SELECT tasklib.claim('w', 1, lease_token => '00000000-0000-4000-8000-0000000000c1');
UPDATE tasklib.tasks SET locked_until = now() - interval '1 second';
SELECT is(tasklib.recover_expired(), 1, 'attempt 1''s expired lease is recovered');
UPDATE tasklib.tasks SET next_retry_at = now();
SELECT tasklib.claim('w', 1, lease_seconds => 30, lease_token => '00000000-0000-4000-8000-0000000000c2');

SELECT is_empty($$SELECT * FROM tasklib.heartbeat('w', ARRAY(SELECT id FROM tasklib.tasks),
                                                  ARRAY['00000000-0000-4000-8000-0000000000c1'::uuid], 600)$$,
    'the stale attempt 1 extends nothing: the empty answer tells it the task is lost');
SELECT is((SELECT locked_until FROM tasklib.tasks), now() + interval '30 seconds', 'attempt 2''s lease is unchanged');

UPDATE tasklib.tasks SET locked_until = now() - interval '1 second';
SELECT is_empty($$SELECT * FROM tasklib.heartbeat('w', ARRAY(SELECT id FROM tasklib.tasks),
                                                  ARRAY['00000000-0000-4000-8000-0000000000c2'::uuid], 600)$$,
    'lease expired, not yet recovered: even the right token does not revive it');
SELECT is((SELECT locked_until FROM tasklib.tasks), now() - interval '1 second', 'the lease stays expired');
SELECT is(tasklib.recover_expired(), 1, 'and recovery takes the task');

UPDATE tasklib.tasks SET next_retry_at = now();
SELECT tasklib.claim('w', 1, lease_seconds => 30, lease_token => '00000000-0000-4000-8000-0000000000c3');
SELECT results_eq($$SELECT * FROM tasklib.heartbeat('w', ARRAY(SELECT id FROM tasklib.tasks),
                                                    ARRAY['00000000-0000-4000-8000-0000000000c3'::uuid], 600)$$,
    $$SELECT id FROM tasklib.tasks$$, 'the running attempt''s token, within its lease, extends it');

SELECT * FROM finish();
ROLLBACK;
