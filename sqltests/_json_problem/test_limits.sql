-- _json_problem holds a JSON value to a size (as JSON text), a nesting depth and a key count,
-- naming the value; its shortcut (a value stored in at most 512 uncompressed bytes passes without
-- a walk) is sound: nothing that small can break a limit. _json_key_count counts every key of
-- every object, whatever the keys and strings contain.
BEGIN;
SELECT plan(16);

SELECT cmp_ok(pg_column_size((repeat('[', 65) || repeat(']', 65))::jsonb), '>', 512,
    'the smallest value nested 65 deep takes more than 512 bytes (arrays)');
SELECT cmp_ok(pg_column_size(('{"":' || repeat('{"":', 64) || '0' || repeat('}', 65))::jsonb), '>', 512,
    'and objects');
SELECT cmp_ok(pg_column_size((SELECT jsonb_object_agg(chr(33 + i), 0) FROM generate_series(0, 63) i)), '>', 512,
    'and 64 keys take more than 512 bytes (the lowest key limit is 1,000)');

SELECT is(tasklib._json_problem('args', (repeat('[', 64) || repeat(']', 64))::jsonb, 1048576, 10000), NULL,
    'a value 64 levels deep passes');
SELECT is(tasklib._json_problem('args', ('[' || repeat('[', 64) || '1' || repeat(']', 65))::jsonb, 1048576, 10000),
    'args must not nest values more than 64 levels deep', 'one 65 levels deep is named');
SELECT is(tasklib._json_problem('args', (repeat('[', 10000) || repeat(']', 10000))::jsonb, 1048576, 10000),
    'args must not nest values more than 64 levels deep', 'so is one 10,000 levels deep (it used to be stored)');
SELECT is(tasklib._json_problem('tags', jsonb_build_object('blob', repeat('x', 70000)), 65536, 1000),
    'tags must be at most 65536 bytes of JSON text, got 70012', 'too many bytes, counted as JSON text');
SELECT is(tasklib._json_problem('args', (SELECT jsonb_object_agg('k' || i, i) FROM generate_series(1, 10001) i), 1048576, 10000),
    'args must have at most 10000 keys (in all its objects together), got 10001', 'too many keys');
SELECT is(tasklib._json_problem('args', (SELECT jsonb_object_agg('k' || i, i) FROM generate_series(1, 10000) i), 1048576, 10000),
    NULL, 'exactly the limit passes');
SELECT is(tasklib._json_problem('args', jsonb_build_object('a', (SELECT jsonb_agg(jsonb_build_object('b', i, 'c', i)) FROM generate_series(1, 5001) i)),
                                1048576, 10000),
    'args must have at most 10000 keys (in all its objects together), got 10003', 'keys of nested objects count');

-- A value that arrives compressed (from a table column, say) is not judged by its stored size.
CREATE TEMP TABLE packed (j jsonb);
INSERT INTO packed VALUES (jsonb_build_object('blob', repeat('x', 2000000)));
SELECT isnt(pg_column_compression((SELECT j FROM packed)), NULL, '(the value is stored compressed)');
SELECT is(tasklib._json_problem('args', (SELECT j FROM packed), 1048576, 10000),
    'args must be at most 1048576 bytes of JSON text, got 2000012', 'a compressed value is measured as text');

SELECT is(tasklib._json_key_count('{}'), 0, 'no keys');
SELECT is(tasklib._json_key_count('{"a": {"b": [{"c": 1}, {"d": "e: f"}]}, "g": null}'), 5, 'nested keys');
SELECT is(tasklib._json_key_count(jsonb_build_object('q"": ', 'x": ', E'back\\', E'\\": ', '', jsonb_build_object(E'\\', E'"\\"'))), 4,
    'quotes, backslashes and '': '' inside keys and strings do not fool it');
SELECT is(tasklib._json_key_count('["a", "b\": ", {"c": "d"}]'), 1, 'strings in arrays are not keys');

SELECT * FROM finish();
ROLLBACK;
