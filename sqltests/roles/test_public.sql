-- PUBLIC (any role without a tasklib role) can do nothing in schema tasklib.
BEGIN;
SELECT plan(5);

SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'tasklib' AND has_function_privilege('public', p.oid, 'EXECUTE')$$,
    'no function or procedure of tasklib is executable by PUBLIC');
SELECT is_empty(
    $$SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'tasklib' AND c.relkind IN ('r', 'v', 'S')
         AND (has_table_privilege('public', c.oid, 'SELECT') OR has_table_privilege('public', c.oid, 'INSERT')
              OR has_table_privilege('public', c.oid, 'UPDATE') OR has_table_privilege('public', c.oid, 'DELETE'))$$,
    'no table or view of tasklib is readable or writable by PUBLIC');
SELECT ok(NOT has_schema_privilege('public', 'tasklib', 'USAGE'), 'PUBLIC has no USAGE on schema tasklib');

CREATE ROLE tasklib_test_nobody NOLOGIN;
SET LOCAL ROLE tasklib_test_nobody;
SELECT throws_ok($$SELECT tasklib.submit('roles.nobody')$$, '42501', NULL, 'a role without grants cannot submit');
SELECT throws_ok($$SELECT count(*) FROM tasklib.queue_status$$, '42501', NULL, 'nor read a view');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
