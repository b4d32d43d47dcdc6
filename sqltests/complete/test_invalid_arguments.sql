-- complete rejects a missing worker, ids or lease tokens, and tokens or results that do not pair
-- with the ids.
BEGIN;
SELECT plan(8);

SELECT throws_ok($$SELECT * FROM tasklib.complete('w', ARRAY[gen_random_uuid(), gen_random_uuid()],
                                                  ARRAY[gen_random_uuid(), gen_random_uuid()], ARRAY['1'::jsonb])$$,
    'TL002', 'complete got 2 ids but 1 results', 'fewer results than ids');
SELECT throws_ok($$SELECT * FROM tasklib.complete('w', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()],
                                                  ARRAY['1'::jsonb, '2'::jsonb])$$,
    'TL002', 'complete got 1 ids but 2 results', 'more results than ids');
SELECT throws_ok($$SELECT * FROM tasklib.complete('w', ARRAY[gen_random_uuid()], NULL)$$,
    'TL002', 'complete got 1 ids but NULL lease tokens', 'NULL lease tokens');
SELECT throws_ok($$SELECT * FROM tasklib.complete('w', ARRAY[gen_random_uuid(), gen_random_uuid()], ARRAY[gen_random_uuid()])$$,
    'TL002', 'complete got 2 ids but 1 lease tokens', 'fewer lease tokens than ids');
SELECT throws_ok($$SELECT * FROM tasklib.complete('w', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid(), gen_random_uuid()])$$,
    'TL002', 'complete got 1 ids but 2 lease tokens', 'more lease tokens than ids');
SELECT throws_ok($$SELECT * FROM tasklib.complete('', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()])$$, 'TL002', 'worker must be a non-empty string', 'empty worker');
SELECT throws_ok($$SELECT * FROM tasklib.complete(NULL, ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()])$$, 'TL002', NULL, 'NULL worker');
SELECT throws_ok($$SELECT * FROM tasklib.complete('w', NULL, ARRAY[gen_random_uuid()])$$, 'TL002', 'complete needs an array of task ids, got NULL', 'NULL ids');

SELECT * FROM finish();
ROLLBACK;
