-- retry exists with its public signature and is documented.
BEGIN;
SELECT plan(3);

SELECT has_function('tasklib', 'retry', ARRAY['uuid', 'double precision'], 'tasklib.retry has its public signature');
SELECT function_returns('tasklib', 'retry', ARRAY['uuid', 'double precision'], 'tasklib.tasks', 'retry returns the re-queued task');
SELECT isnt(obj_description('tasklib.retry'::regproc, 'pg_proc'), NULL, 'retry has a comment');

SELECT * FROM finish();
ROLLBACK;
