-- purge exists with its public signature and is documented.
BEGIN;
SELECT plan(3);

SELECT has_function('tasklib', 'purge', ARRAY['interval', 'integer', 'text[]'], 'tasklib.purge has its public signature');
SELECT function_returns('tasklib', 'purge', ARRAY['interval', 'integer', 'text[]'], 'integer', 'purge returns how many it deleted');
SELECT isnt(obj_description('tasklib.purge'::regproc, 'pg_proc'), NULL, 'purge has a comment');

SELECT * FROM finish();
ROLLBACK;
