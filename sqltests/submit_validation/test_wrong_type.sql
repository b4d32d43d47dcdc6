-- A value of the wrong JSON type is rejected with TL005 naming the key, the expected and the
-- actual type; an unexpected key is rejected when the schema is closed.
BEGIN;
SELECT plan(8);

SELECT tasklib.register_task_type('sv.typed', $${"type": "object", "additionalProperties": false,
  "properties": {
    "s": {"type": "string"}, "i": {"type": "integer"}, "n": {"type": "number"}, "b": {"type": "boolean"},
    "a": {"type": "array", "items": {"type": "integer"}}, "o": {"type": "object"},
    "opt": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
    "color": {"$ref": "#/$defs/Color"}, "any": {}
  },
  "$defs": {"Color": {"enum": ["red", "green"], "title": "Color", "type": "string"}}}$$);

SELECT throws_ok($$SELECT tasklib.submit('sv.typed', '{"s": 1}')$$, 'TL005',
    'arguments of task sv.typed break its registered schema: key "s" must be string, got number 1', 'string');
SELECT throws_ok($$SELECT tasklib.submit('sv.typed', '{"i": 1.5}')$$, 'TL005',
    'arguments of task sv.typed break its registered schema: key "i" must be integer, got number 1.5', 'integer');
SELECT throws_ok($$SELECT tasklib.submit('sv.typed', '{"n": "1"}')$$, 'TL005', NULL, 'number');
SELECT throws_ok($$SELECT tasklib.submit('sv.typed', '{"b": "true"}')$$, 'TL005', NULL, 'boolean');
SELECT throws_ok($$SELECT tasklib.submit('sv.typed', '{"a": {"x": 1}}')$$, 'TL005',
    'arguments of task sv.typed break its registered schema: key "a" must be array, got object {"x": 1}', 'array');
SELECT throws_ok($$SELECT tasklib.submit('sv.typed', '{"opt": "x", "color": "red"}')$$, 'TL005',
    'arguments of task sv.typed break its registered schema: key "opt" must be integer or null, got string "x"',
    'Optional[int]');
SELECT throws_ok($$SELECT tasklib.submit('sv.typed', '{"zz": 1}')$$, 'TL005',
    'arguments of task sv.typed break its registered schema: unexpected key "zz" (the task takes "a", "any", "b", "color", "i", "n", "o", "opt", "s")',
    'an unexpected key of a closed schema');
SELECT lives_ok($$SELECT tasklib.submit('sv.typed',
    '{"s": "x", "i": 3, "n": 1.5, "b": false, "a": [1], "o": {}, "opt": null, "color": "green", "any": [null]}')$$,
    'every key of the right type (an unconstrained key takes anything)');

SELECT * FROM finish();
ROLLBACK;
