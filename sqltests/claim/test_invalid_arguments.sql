-- claim rejects a missing worker, a negative n and a lease that is not a number > 0 of at most a day.
BEGIN;
SELECT plan(13);

SELECT throws_ok($$SELECT * FROM tasklib.claim('', 1)$$, 'TL002', 'worker must be a non-empty string', 'empty worker');
SELECT throws_ok($$SELECT * FROM tasklib.claim(NULL, 1)$$, 'TL002', 'worker must be a non-empty string', 'NULL worker');
SELECT throws_ok($$SELECT * FROM tasklib.claim('w', -1)$$, 'TL002', 'n must be >= 0, got -1', 'negative n');
SELECT throws_ok($$SELECT * FROM tasklib.claim('w', NULL)$$, 'TL002', NULL, 'NULL n');
SELECT throws_ok($$SELECT * FROM tasklib.claim('w', 1, lease_seconds => 0)$$, 'TL002',
    'lease_seconds must be a number > 0 and at most 86400 (1 day), got 0', 'zero lease');
SELECT throws_ok($$SELECT * FROM tasklib.claim('w', 1, lease_seconds => -5)$$, 'TL002', NULL, 'negative lease');
SELECT throws_ok($$SELECT * FROM tasklib.claim('w', 1, lease_seconds => 'NaN')$$, 'TL002', NULL, 'NaN lease');
SELECT throws_ok($$SELECT * FROM tasklib.claim('w', 1, lease_seconds => 'Infinity')$$, 'TL002', NULL, 'infinite lease');
SELECT throws_ok($$SELECT * FROM tasklib.claim('w', 1, lease_seconds => NULL)$$, 'TL002', NULL, 'NULL lease');
SELECT throws_ok($$SELECT * FROM tasklib.claim('w', 1, lease_seconds => 3e9)$$, 'TL002',
    'lease_seconds must be a number > 0 and at most 86400 (1 day), got 3000000000', 'a lease of 3e9 seconds (was accepted)');
SELECT throws_ok($$SELECT * FROM tasklib.claim('w', 1, lease_seconds => 1e15)$$, 'TL002',
    'lease_seconds must be a number > 0 and at most 86400 (1 day), got 1e+15', 'a lease of 1e15 seconds (was 22008)');
SELECT lives_ok($$SELECT * FROM tasklib.claim('w', 0, lease_seconds => 0.5)$$, 'a fractional lease is fine');
SELECT lives_ok($$SELECT * FROM tasklib.claim('w', 0, lease_seconds => 86400)$$, 'a lease of exactly a day is fine');

SELECT * FROM finish();
ROLLBACK;
