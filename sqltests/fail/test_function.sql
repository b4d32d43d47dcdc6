-- fail exists with its public signature and is documented.
BEGIN;
SELECT plan(3);

SELECT has_function('tasklib', 'fail', ARRAY['text', 'uuid[]', 'uuid[]', 'text[]', 'boolean[]'],
    'tasklib.fail has its public signature: worker, ids, lease_tokens, errors, retryable');
SELECT function_returns('tasklib', 'fail', ARRAY['text', 'uuid[]', 'uuid[]', 'text[]', 'boolean[]'], 'setof record',
    'fail returns a row per task it failed');
SELECT isnt(obj_description('tasklib.fail'::regproc, 'pg_proc'), NULL, 'fail has a comment');

SELECT * FROM finish();
ROLLBACK;
