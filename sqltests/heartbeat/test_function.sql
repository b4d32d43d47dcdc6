-- heartbeat exists with its public signature and is documented.
BEGIN;
SELECT plan(3);

SELECT has_function('tasklib', 'heartbeat', ARRAY['text', 'uuid[]', 'uuid[]', 'double precision'],
    'tasklib.heartbeat has its public signature: worker, ids, lease_tokens, lease_seconds');
SELECT function_returns('tasklib', 'heartbeat', ARRAY['text', 'uuid[]', 'uuid[]', 'double precision'], 'setof uuid',
    'heartbeat returns the ids the worker still holds');
SELECT isnt(obj_description('tasklib.heartbeat'::regproc, 'pg_proc'), NULL, 'heartbeat has a comment');

SELECT * FROM finish();
ROLLBACK;
