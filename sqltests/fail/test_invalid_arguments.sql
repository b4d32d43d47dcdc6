-- fail rejects a missing worker, ids or lease tokens, and tokens, errors or flags that do not
-- pair with the ids.
BEGIN;
SELECT plan(8);

SELECT throws_ok($$SELECT * FROM tasklib.fail('w', ARRAY[gen_random_uuid(), gen_random_uuid()],
                                              ARRAY[gen_random_uuid(), gen_random_uuid()], ARRAY['e'])$$,
    'TL002', 'fail got 2 ids but 1 errors', 'fewer errors than ids');
SELECT throws_ok($$SELECT * FROM tasklib.fail('w', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], NULL)$$,
    'TL002', 'fail got 1 ids but NULL errors', 'NULL errors');
SELECT throws_ok($$SELECT * FROM tasklib.fail('w', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], ARRAY['e'], ARRAY[true, false])$$,
    'TL002', 'fail got 1 ids but 2 retryable flags', 'more flags than ids');
SELECT throws_ok($$SELECT * FROM tasklib.fail('w', ARRAY[gen_random_uuid()], NULL, ARRAY['e'])$$,
    'TL002', 'fail got 1 ids but NULL lease tokens', 'NULL lease tokens');
SELECT throws_ok($$SELECT * FROM tasklib.fail('w', ARRAY[gen_random_uuid()], ARRAY[]::uuid[], ARRAY['e'])$$,
    'TL002', 'fail got 1 ids but 0 lease tokens', 'fewer lease tokens than ids');
SELECT throws_ok($$SELECT * FROM tasklib.fail('', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], ARRAY['e'])$$, 'TL002', 'worker must be a non-empty string', 'empty worker');
SELECT throws_ok($$SELECT * FROM tasklib.fail(NULL, ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], ARRAY['e'])$$, 'TL002', NULL, 'NULL worker');
SELECT throws_ok($$SELECT * FROM tasklib.fail('w', NULL, ARRAY[gen_random_uuid()], ARRAY['e'])$$, 'TL002', 'fail needs an array of task ids, got NULL', 'NULL ids');

SELECT * FROM finish();
ROLLBACK;
