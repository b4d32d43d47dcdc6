-- submit_many exists with its public signature, is documented, and an empty batch queues nothing.
BEGIN;
SELECT plan(5);

SELECT has_function('tasklib', 'submit_many', ARRAY['jsonb'], 'tasklib.submit_many(jsonb) exists');
SELECT function_returns('tasklib', 'submit_many', ARRAY['jsonb'], 'setof uuid', 'submit_many returns a set of ids');
SELECT isnt(obj_description('tasklib.submit_many'::regproc, 'pg_proc'), NULL, 'submit_many has a comment');
SELECT is_empty($$SELECT * FROM tasklib.submit_many('[]')$$, 'an empty batch returns no ids');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE name LIKE 'sqltest.many%'), 0, 'and queues nothing');

SELECT * FROM finish();
ROLLBACK;
