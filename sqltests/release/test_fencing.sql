-- release is fenced by attempt like complete: the token of a stale claim (recovered and claimed
-- again, even by the same worker) hands nothing back, nor does the right token once the lease has
-- expired; release by token returns exactly the tasks of that claim (the orphans of a claim whose
-- answer was lost), leaving the worker's other claims running.
BEGIN;
SELECT plan(8);

DELETE FROM tasklib.tasks;
SELECT tasklib.submit('sqltest.fence.release');
SELECT tasklib.claim('w', 1, lease_token => '00000000-0000-4000-8000-0000000000d1');
UPDATE tasklib.tasks SET locked_until = now() - interval '1 second';
SELECT is(tasklib.recover_expired(), 1, 'attempt 1''s expired lease is recovered');
UPDATE tasklib.tasks SET next_retry_at = now();
SELECT tasklib.claim('w', 1, lease_token => '00000000-0000-4000-8000-0000000000d2');

SELECT is_empty($$SELECT * FROM tasklib.release('w', NULL, ARRAY['00000000-0000-4000-8000-0000000000d1'::uuid])$$,
    'the stale attempt 1 hands nothing back');
SELECT is_empty($$SELECT * FROM tasklib.release('w', ARRAY(SELECT id FROM tasklib.tasks), ARRAY['00000000-0000-4000-8000-0000000000d1'::uuid])$$,
    'not even when it names the id');
SELECT is((SELECT state FROM tasklib.tasks), 'running', 'attempt 2 runs on');

UPDATE tasklib.tasks SET locked_until = now() - interval '1 second';
SELECT is_empty($$SELECT * FROM tasklib.release('w', NULL, ARRAY['00000000-0000-4000-8000-0000000000d2'::uuid])$$,
    'lease expired, not yet recovered: even the right token hands nothing back');
UPDATE tasklib.tasks SET locked_until = now() + interval '1 minute';

-- Two claims of the same worker: the answer of the second was lost.
SELECT tasklib.submit('sqltest.fence.orphan') FROM generate_series(1, 2);
SELECT tasklib.claim('w', 2, lease_token => '00000000-0000-4000-8000-0000000000d3');
SELECT set_eq($$SELECT * FROM tasklib.release('w', NULL, ARRAY['00000000-0000-4000-8000-0000000000d3'::uuid])$$,
    $$SELECT id FROM tasklib.tasks WHERE name = 'sqltest.fence.orphan'$$,
    'the token of the lost claim releases exactly its tasks');
SELECT is((SELECT state FROM tasklib.tasks WHERE name = 'sqltest.fence.release'), 'running',
    'the worker''s other claim keeps running');
SELECT results_eq($$SELECT * FROM tasklib.release('w', NULL, ARRAY['00000000-0000-4000-8000-0000000000d2'::uuid])$$,
    $$SELECT id FROM tasklib.tasks WHERE name = 'sqltest.fence.release'$$,
    'the running attempt''s token, within its lease, releases it');

SELECT * FROM finish();
ROLLBACK;
