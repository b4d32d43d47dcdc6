-- backoff_delay exists with its public signature, is immutable, and is documented.
BEGIN;
SELECT plan(4);

SELECT has_function('tasklib', 'backoff_delay', ARRAY['double precision', 'integer', 'double precision'],
    'tasklib.backoff_delay has its public signature');
SELECT function_returns('tasklib', 'backoff_delay', ARRAY['double precision', 'integer', 'double precision'],
    'interval', 'it returns an interval');
SELECT volatility_is('tasklib', 'backoff_delay', ARRAY['double precision', 'integer', 'double precision'],
    'immutable', 'it is immutable');
SELECT isnt(obj_description('tasklib.backoff_delay'::regproc, 'pg_proc'), NULL, 'backoff_delay has a comment');

SELECT * FROM finish();
ROLLBACK;
