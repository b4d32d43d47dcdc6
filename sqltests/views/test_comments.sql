-- Every view, function and procedure of schema tasklib says what it is for (psql's \dv+, \df+).
BEGIN;
SELECT plan(2);

SELECT is_empty(
    $$SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'tasklib' AND c.relkind IN ('v', 'r') AND obj_description(c.oid, 'pg_class') IS NULL$$,
    'every table and view has a COMMENT');
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'tasklib' AND obj_description(p.oid, 'pg_proc') IS NULL$$,
    'every function and procedure has a COMMENT');

SELECT * FROM finish();
ROLLBACK;
