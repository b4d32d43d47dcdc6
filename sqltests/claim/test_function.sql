-- claim exists with its public signature and is documented.
BEGIN;
SELECT plan(4);

SELECT has_function('tasklib', 'claim', ARRAY['text', 'integer', 'text[]', 'double precision', 'uuid', 'text[]'],
    'tasklib.claim has its public signature: worker, n, queues, lease_seconds, lease_token');
SELECT function_returns('tasklib', 'claim', ARRAY['text', 'integer', 'text[]', 'double precision', 'uuid', 'text[]'],
    'setof tasklib.tasks', 'claim returns whole task rows');
SELECT isnt(obj_description('tasklib.claim'::regproc, 'pg_proc'), NULL, 'claim has a comment');
SELECT is_empty($$SELECT * FROM tasklib.claim('sqltest-worker', 5) WHERE name LIKE 'sqltest.%'$$,
    'claim on an empty queue returns nothing');

SELECT * FROM finish();
ROLLBACK;
