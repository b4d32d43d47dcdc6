-- complete exists with its public signature and is documented.
BEGIN;
SELECT plan(3);

SELECT has_function('tasklib', 'complete', ARRAY['text', 'uuid[]', 'uuid[]', 'jsonb[]'],
    'tasklib.complete has its public signature: worker, ids, lease_tokens, results');
SELECT function_returns('tasklib', 'complete', ARRAY['text', 'uuid[]', 'uuid[]', 'jsonb[]'], 'setof uuid',
    'complete returns the ids it completed');
SELECT isnt(obj_description('tasklib.complete'::regproc, 'pg_proc'), NULL, 'complete has a comment');

SELECT * FROM finish();
ROLLBACK;
