-- submit and submit_many refuse, with TL002 naming the value (and, in a batch, the element),
-- arguments or tags beyond limits(): more than 1 MiB (args) or 64 KiB (tags) of JSON text, values
-- nested more than 64 levels deep, more than 10,000 (args) or 1,000 (tags) keys. All used to be
-- stored (10 MB, 10,000 deep, 600,000 keys). Nothing is stored.
BEGIN;
SELECT plan(10);

SELECT throws_ok($$SELECT tasklib.submit('big.args', jsonb_build_object('blob', repeat('x', 1048576)))$$, 'TL002',
    'args must be at most 1048576 bytes of JSON text, got 1048588 (task big.args)', 'arguments of more than 1 MiB');
SELECT throws_ok($$SELECT tasklib.submit('big.args', ('{"a": ' || repeat('[', 70) || repeat(']', 70) || '}')::jsonb)$$, 'TL002',
    'args must not nest values more than 64 levels deep (task big.args)', 'arguments nested 71 deep');
SELECT throws_ok($$SELECT tasklib.submit('big.args', (SELECT jsonb_object_agg('k' || i, i) FROM generate_series(1, 10001) i))$$,
    'TL002', 'args must have at most 10000 keys (in all its objects together), got 10001 (task big.args)',
    'arguments with 10,001 keys');
SELECT throws_ok($$SELECT tasklib.submit('big.tags', tags => jsonb_build_object('blob', repeat('x', 65536)))$$, 'TL002',
    'tags must be at most 65536 bytes of JSON text, got 65548 (task big.tags)', 'tags of more than 64 KiB');
SELECT throws_ok($$SELECT tasklib.submit('big.tags', tags => (SELECT jsonb_object_agg('k' || i, i) FROM generate_series(1, 1001) i))$$,
    'TL002', 'tags must have at most 1000 keys (in all its objects together), got 1001 (task big.tags)', 'tags with 1,001 keys');
SELECT throws_ok($$SELECT tasklib.submit_many(jsonb_build_array(jsonb_build_object('name', 'big.ok'),
                       jsonb_build_object('name', 'big.args', 'args', jsonb_build_object('blob', repeat('x', 1048576)))))$$,
    'TL002', 'tasks[1]: args must be at most 1048576 bytes of JSON text, got 1048588 (task big.args)',
    'submit_many names the element');
SELECT throws_ok($$SELECT tasklib.submit_many(jsonb_build_array(jsonb_build_object('name', 'big.ok'), jsonb_build_object('name', 'big.ok'),
                       jsonb_build_object('name', 'big.tags', 'tags', ('{"a": ' || repeat('{"a": ', 70) || '1' || repeat('}', 71))::jsonb)))$$,
    'TL002', 'tasks[2]: tags must not nest values more than 64 levels deep (task big.tags)', 'deep tags in a batch');
SELECT is_empty($$SELECT 1 FROM tasklib.tasks WHERE name LIKE 'big.%'$$, 'nothing was stored');

SELECT lives_ok($$SELECT tasklib.submit('big.fine', jsonb_build_object('blob', repeat('x', 900000),
                                        'deep', (repeat('[', 60) || repeat(']', 60))::jsonb,
                                        'many', (SELECT jsonb_object_agg('k' || i, i) FROM generate_series(1, 9000) i)))$$,
    'arguments just inside every limit are stored');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE name = 'big.fine'), 1, 'as one task');

SELECT * FROM finish();
ROLLBACK;
