-- release exists with its public signature and is documented.
BEGIN;
SELECT plan(3);

SELECT has_function('tasklib', 'release', ARRAY['text', 'uuid[]', 'uuid[]'],
    'tasklib.release has its public signature: worker, ids, lease_tokens');
SELECT function_returns('tasklib', 'release', ARRAY['text', 'uuid[]', 'uuid[]'], 'setof uuid', 'release returns the ids it released');
SELECT isnt(obj_description('tasklib.release'::regproc, 'pg_proc'), NULL, 'release has a comment');

SELECT * FROM finish();
ROLLBACK;
