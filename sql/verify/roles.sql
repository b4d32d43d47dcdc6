-- Verify tasklib:roles
BEGIN;

SELECT 1 / count(*)::int FROM pg_catalog.pg_roles
 WHERE rolname IN ('tasklib_producer', 'tasklib_worker', 'tasklib_monitor', 'tasklib_admin', 'tasklib_owner')
HAVING count(*) = 5;
SELECT 1 / (has_function_privilege('tasklib_producer', 'tasklib.submit(text,jsonb,double precision,integer,jsonb,integer,double precision,text,double precision,text,text,text,double precision,text[],text)', 'EXECUTE')
            AND NOT has_function_privilege('public', 'tasklib.claim(text,integer,text[],double precision,uuid,text[])', 'EXECUTE')
            AND (SELECT prosecdef AND proowner = 'tasklib_owner'::regrole FROM pg_catalog.pg_proc WHERE oid = 'tasklib.submit'::regproc)
            AND (SELECT relrowsecurity AND relowner = 'tasklib_owner'::regrole FROM pg_catalog.pg_class WHERE oid = 'tasklib.tasks'::regclass)
            AND NOT has_column_privilege('tasklib_worker', 'tasklib.tasks', 'lease_token', 'SELECT'))::int;
SELECT 1 / count(*)::int FROM pg_catalog.pg_roles
 WHERE rolname = 'tasklib_owner' AND NOT rolsuper AND NOT rolcanlogin AND NOT rolbypassrls;

ROLLBACK;
