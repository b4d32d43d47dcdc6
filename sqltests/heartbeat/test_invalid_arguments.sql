-- heartbeat rejects a missing worker, ids or lease tokens, tokens that do not pair with the ids,
-- and a lease that is not a number > 0 of at most a day.
BEGIN;
SELECT plan(11);

SELECT throws_ok($$SELECT * FROM tasklib.heartbeat('', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()])$$, 'TL002', 'worker must be a non-empty string', 'empty worker');
SELECT throws_ok($$SELECT * FROM tasklib.heartbeat(NULL, ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()])$$, 'TL002', NULL, 'NULL worker');
SELECT throws_ok($$SELECT * FROM tasklib.heartbeat('w', NULL, ARRAY[gen_random_uuid()])$$, 'TL002', 'heartbeat needs an array of task ids, got NULL', 'NULL ids');
SELECT throws_ok($$SELECT * FROM tasklib.heartbeat('w', ARRAY[gen_random_uuid()], NULL)$$, 'TL002',
    'heartbeat got 1 ids but NULL lease tokens', 'NULL lease tokens');
SELECT throws_ok($$SELECT * FROM tasklib.heartbeat('w', ARRAY[gen_random_uuid(), gen_random_uuid()], ARRAY[gen_random_uuid()])$$, 'TL002',
    'heartbeat got 2 ids but 1 lease tokens', 'fewer lease tokens than ids');
SELECT throws_ok($$SELECT * FROM tasklib.heartbeat('w', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], 0)$$, 'TL002',
    'lease_seconds must be a number > 0 and at most 86400 (1 day), got 0', 'zero lease');
SELECT throws_ok($$SELECT * FROM tasklib.heartbeat('w', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], 'NaN')$$, 'TL002', NULL, 'NaN lease');
SELECT throws_ok($$SELECT * FROM tasklib.heartbeat('w', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], 'Infinity')$$, 'TL002', NULL, 'infinite lease');
SELECT throws_ok($$SELECT * FROM tasklib.heartbeat('w', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], 86401)$$, 'TL002',
    'lease_seconds must be a number > 0 and at most 86400 (1 day), got 86401', 'a lease longer than a day');
SELECT throws_ok($$SELECT * FROM tasklib.heartbeat('w', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], 1e15)$$, 'TL002',
    'lease_seconds must be a number > 0 and at most 86400 (1 day), got 1e+15', 'a lease of 1e15 seconds (was 22008)');
SELECT is_empty($$SELECT * FROM tasklib.heartbeat('w', ARRAY[]::uuid[], ARRAY[]::uuid[])$$, 'an empty array holds nothing');

SELECT * FROM finish();
ROLLBACK;
