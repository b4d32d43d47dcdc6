-- heartbeat rejects a missing worker or ids and a lease that is not a finite positive number.
BEGIN;
SELECT plan(7);

SELECT throws_ok($$SELECT * FROM tasklib.heartbeat('', ARRAY[gen_random_uuid()])$$, 'TL002', 'worker must be a non-empty string', 'empty worker');
SELECT throws_ok($$SELECT * FROM tasklib.heartbeat(NULL, ARRAY[gen_random_uuid()])$$, 'TL002', NULL, 'NULL worker');
SELECT throws_ok($$SELECT * FROM tasklib.heartbeat('w', NULL)$$, 'TL002', 'heartbeat needs an array of task ids, got NULL', 'NULL ids');
SELECT throws_ok($$SELECT * FROM tasklib.heartbeat('w', ARRAY[gen_random_uuid()], 0)$$, 'TL002',
    'lease_seconds must be a finite number > 0, got 0', 'zero lease');
SELECT throws_ok($$SELECT * FROM tasklib.heartbeat('w', ARRAY[gen_random_uuid()], 'NaN')$$, 'TL002', NULL, 'NaN lease');
SELECT throws_ok($$SELECT * FROM tasklib.heartbeat('w', ARRAY[gen_random_uuid()], 'Infinity')$$, 'TL002', NULL, 'infinite lease');
SELECT is_empty($$SELECT * FROM tasklib.heartbeat('w', ARRAY[]::uuid[])$$, 'an empty array holds nothing');

SELECT * FROM finish();
ROLLBACK;
