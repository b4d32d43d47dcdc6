-- Every function in schema tasklib has a COMMENT, so psql's \df+ documents the whole API.
BEGIN;
SELECT plan(1);

SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p
       WHERE p.pronamespace = 'tasklib'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL$$,
    'no function in schema tasklib lacks a comment');

SELECT * FROM finish();
ROLLBACK;
