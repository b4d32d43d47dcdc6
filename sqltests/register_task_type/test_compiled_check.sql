-- The stored schema is compiled into args_check, which follows every change of the schema.
BEGIN;
SELECT plan(4);

SELECT tasklib.register_task_type('rt.c', '{"type": "object", "properties": {"k\"ey": {"type": "string"}}, "required": ["k\"ey"]}');
SELECT ok(jsonb_path_match('{"k\"ey": "v"}', (SELECT args_check FROM tasklib.task_types WHERE name = 'rt.c')),
    'keys with quotes are escaped in the compiled check');
SELECT ok(NOT jsonb_path_match('{}', (SELECT args_check FROM tasklib.task_types WHERE name = 'rt.c')),
    'the compiled check enforces required keys');
SELECT tasklib.register_task_type('rt.c', NULL);
SELECT ok((SELECT args_check IS NULL FROM tasklib.task_types WHERE name = 'rt.c'), 'no schema, nothing to check');
SELECT ok(tasklib._compile_args_schema('{"type": "object", "properties": {"x": {}}}') IS NULL,
    'a schema without constraints compiles to NULL, so submit skips the check');

SELECT * FROM finish();
ROLLBACK;
