-- purge rejects a negative or NULL age and a batch size that is not positive.
BEGIN;
SELECT plan(5);

SELECT throws_ok($$SELECT tasklib.purge(interval '-1 day')$$, 'TL002', 'older_than must be an interval >= 0, got -1 days', 'negative age');
SELECT throws_ok($$SELECT tasklib.purge(NULL)$$, 'TL002', NULL, 'NULL age');
SELECT throws_ok($$SELECT tasklib.purge(batch_size => 0)$$, 'TL002', 'batch_size must be > 0, got 0', 'zero batch');
SELECT throws_ok($$SELECT tasklib.purge(batch_size => -5)$$, 'TL002', NULL, 'negative batch');
SELECT throws_ok($$SELECT tasklib.purge(batch_size => NULL)$$, 'TL002', NULL, 'NULL batch');

SELECT * FROM finish();
ROLLBACK;
