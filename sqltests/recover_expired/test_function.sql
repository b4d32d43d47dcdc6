-- recover_expired exists with its public signature and is documented.
BEGIN;
SELECT plan(3);

SELECT has_function('tasklib', 'recover_expired', ARRAY['integer'], 'tasklib.recover_expired(integer) exists');
SELECT function_returns('tasklib', 'recover_expired', ARRAY['integer'], 'integer', 'it returns how many it recovered');
SELECT isnt(obj_description('tasklib.recover_expired'::regproc, 'pg_proc'), NULL, 'recover_expired has a comment');

SELECT * FROM finish();
ROLLBACK;
