-- claim hands every task of one call the same lease token: the one the caller chose, or one drawn
-- once per call when it passes NULL; each claim is a new attempt. The token is the fence of
-- complete, fail, heartbeat and release.
BEGIN;
SELECT plan(9);

DELETE FROM tasklib.tasks;
SELECT tasklib.submit('sqltest.token') FROM generate_series(1, 5);

SELECT results_eq($$SELECT DISTINCT lease_token, attempt FROM tasklib.claim('w', 2, lease_token => '00000000-0000-4000-8000-000000000011')$$,
    $$VALUES ('00000000-0000-4000-8000-000000000011'::uuid, 1)$$,
    'the chosen token is every claimed task''s, and it is their attempt 1');
CREATE TEMP TABLE drawn AS SELECT lease_token FROM tasklib.claim('w', 3);
SELECT is((SELECT count(DISTINCT lease_token)::int FROM drawn), 1, 'NULL draws one token for the whole call');
SELECT isnt((SELECT DISTINCT lease_token FROM drawn), NULL, 'a real one');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE lease_token = (SELECT DISTINCT lease_token FROM drawn)), 3,
    'and the table stores it for those tasks');
SELECT isnt((SELECT DISTINCT lease_token FROM drawn), '00000000-0000-4000-8000-000000000011'::uuid,
    'another call gets another token');

UPDATE tasklib.tasks SET locked_until = now() - interval '1 second';
SELECT is(tasklib.recover_expired(), 5, 'all five leases expire');
UPDATE tasklib.tasks SET next_retry_at = now();
SELECT results_eq($$SELECT DISTINCT attempt FROM tasklib.claim('w', 5)$$, $$VALUES (2)$$,
    'the next claim is attempt 2 of each');
SELECT is_empty($$SELECT 1 FROM tasklib.tasks WHERE (state = 'running') <> (lease_token IS NOT NULL)$$,
    'exactly the running tasks have a token');
SELECT throws_ok($$UPDATE tasklib.tasks SET lease_token = NULL WHERE state = 'running'$$, '23514', NULL,
    'a running task without a token is refused (CHECK tasks_lease_token_running)');

SELECT * FROM finish();
ROLLBACK;
