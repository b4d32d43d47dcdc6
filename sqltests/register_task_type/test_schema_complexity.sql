-- register_task_type refuses, with TL002, a schema whose type checks would expand past
-- limits().max_schema_nodes subschemas (a 60-wide, 3-deep anyOf through $defs expands to 216,000,
-- which took 3.9 s to compile) or whose text passes limits().max_schema_bytes, before compiling
-- it; _schema_problem stops counting at the bound, so refusing costs no more than the bound.
-- Schemas of ordinary functions are far below it.
BEGIN;
SELECT plan(7);

-- anyOf of 60 $refs to a def that is anyOf of 60 $refs to a def that is anyOf of 60 types.
CREATE TEMP TABLE wide AS
SELECT jsonb_build_object(
    'type', 'object',
    'properties', jsonb_build_object('x', jsonb_build_object('anyOf',
        (SELECT jsonb_agg(jsonb_build_object('$ref', '#/$defs/L2')) FROM generate_series(1, 60)))),
    '$defs', jsonb_build_object(
        'L2', jsonb_build_object('anyOf', (SELECT jsonb_agg(jsonb_build_object('$ref', '#/$defs/L3')) FROM generate_series(1, 60))),
        'L3', jsonb_build_object('anyOf', (SELECT jsonb_agg(jsonb_build_object('type', 'string')) FROM generate_series(1, 60)))))
    AS schema;

SELECT throws_ok($$SELECT tasklib.register_task_type('complex.wide', (SELECT schema FROM wide))$$, 'TL002',
    'args_schema is too complex: checking arguments against it would expand to more than 2000 subschemas and required keys (properties, anyOf/oneOf branches, $ref expansions) (task type complex.wide)',
    'a 60-wide, 3-deep anyOf is refused');
SELECT is(tasklib._schema_problem((SELECT schema FROM wide)) IS NOT NULL, true, '_schema_problem finds it');
SELECT throws_ok($$SELECT tasklib.register_task_type('complex.big',
                       jsonb_build_object('type', 'object', 'description', repeat('x', 1048576)))$$, 'TL002',
    NULL, 'a schema of more than 1 MB of text is refused');
SELECT throws_ok($$SELECT tasklib.register_task_type('complex.required',
                       jsonb_build_object('type', 'object', 'required', (SELECT jsonb_agg('k' || i) FROM generate_series(1, 2001) i)))$$,
    'TL002', NULL, 'so is one with 2,001 required keys');
SELECT is_empty($$SELECT 1 FROM tasklib.task_types WHERE name LIKE 'complex.%'$$, 'nothing was stored');

-- A pydantic model of 100 fields, each Optional[int] or a nested model through $defs.
SELECT lives_ok($$SELECT tasklib.register_task_type('complex.ordinary', jsonb_build_object(
    'type', 'object', 'additionalProperties', false,
    'required', (SELECT jsonb_agg('f' || i) FROM generate_series(1, 50) i),
    'properties', (SELECT jsonb_object_agg('f' || i, CASE WHEN i % 2 = 0
                       THEN '{"anyOf": [{"type": "integer"}, {"type": "null"}]}'::jsonb
                       ELSE '{"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}]}'::jsonb END)
                     FROM generate_series(1, 100) i),
    '$defs', '{"Address": {"type": "object", "properties": {"street": {"type": "string"}}}}'::jsonb))$$,
    'an ordinary large model registers');
SELECT is(tasklib._schema_problem('{"properties": {"a": {"anyOf": [{"$ref": "#/$defs/A"}]}}, "$defs": {"A": {"anyOf": [{"$ref": "#/$defs/A"}, {"$ref": "#/$defs/A"}]}}}'),
    NULL, 'a self-referencing $def stops at the depth _schema_types stops at (2^9 nodes)');

SELECT * FROM finish();
ROLLBACK;
