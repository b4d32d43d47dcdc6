-- A missing required key is rejected with TL005 naming the key, and nothing is stored.
BEGIN;
SELECT plan(4);

SELECT tasklib.register_task_type('sv.greet', '{"type": "object", "additionalProperties": false,
    "properties": {"name": {"type": "string"}, "greeting": {"type": "string"}}, "required": ["greeting", "name"]}');

SELECT throws_ok($$SELECT tasklib.submit('sv.greet', '{"greeting": "hi"}')$$, 'TL005',
    'arguments of task sv.greet break its registered schema: missing required key "name"', 'submit');
SELECT throws_ok($$SELECT tasklib.submit('sv.greet')$$, 'TL005',
    'arguments of task sv.greet break its registered schema: missing required key "greeting"',
    'the first missing key in the schema''s order is named');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sv.greet", "args": {"greeting": "a", "name": "b"}},
                                                {"name": "sv.greet", "args": {"name": "b"}}]')$$,
    'TL005', 'tasks[1]: arguments of task sv.greet break its registered schema: missing required key "greeting"',
    'submit_many, naming the element');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE name = 'sv.greet'), 0,
    'nothing was stored, not even the valid task of the batch');

SELECT * FROM finish();
ROLLBACK;
