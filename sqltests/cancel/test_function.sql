-- cancel exists with its public signature and is documented.
BEGIN;
SELECT plan(3);

SELECT has_function('tasklib', 'cancel', ARRAY['uuid', 'text'], 'tasklib.cancel(id, reason) exists');
SELECT function_returns('tasklib', 'cancel', ARRAY['uuid', 'text'], 'tasklib.tasks', 'cancel returns the cancelled task');
SELECT isnt(obj_description('tasklib.cancel'::regproc, 'pg_proc'), NULL, 'cancel has a comment');

SELECT * FROM finish();
ROLLBACK;
