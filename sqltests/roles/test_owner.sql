-- The schema and everything in it belong to tasklib_owner, a NOLOGIN role without superuser or
-- BYPASSRLS rights, so the SECURITY DEFINER functions never run as a superuser, whoever migrated.
BEGIN;
SELECT plan(7);

SELECT is((SELECT rolsuper OR rolcanlogin OR rolbypassrls OR rolcreaterole OR rolcreatedb
             FROM pg_roles WHERE rolname = 'tasklib_owner'), false,
    'tasklib_owner exists: NOLOGIN, NOSUPERUSER, NOBYPASSRLS, no CREATEROLE or CREATEDB');
SELECT is((SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'tasklib'), 'tasklib_owner',
    'it owns schema tasklib');
SELECT is_empty($$SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'tasklib' AND c.relkind IN ('r', 'v', 'm', 'S', 'p', 'f', 'c')
                     AND c.relowner <> 'tasklib_owner'::regrole$$,
    'and every table, view and composite type in it');
SELECT is_empty($$SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = 'tasklib' AND p.proowner <> 'tasklib_owner'::regrole$$,
    'and every function and procedure in it');
SELECT is_empty($$SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
                   WHERE p.prosecdef AND p.pronamespace = 'tasklib'::regnamespace
                     AND (r.rolsuper OR r.rolbypassrls)$$,
    'no SECURITY DEFINER function of tasklib runs as a superuser or a role that bypasses row level security');
SELECT ok(pg_has_role(current_user, 'tasklib_owner', 'MEMBER'),
    'the role that migrated (here a superuser) can act as the owner, to migrate again');

-- What a definer function runs as: a probe owned like the API functions.
CREATE FUNCTION tasklib.probe_current_user() RETURNS text LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp RETURN current_user;
ALTER FUNCTION tasklib.probe_current_user() OWNER TO tasklib_owner;
SELECT is(tasklib.probe_current_user(), 'tasklib_owner', 'a SECURITY DEFINER function of tasklib runs as tasklib_owner');

SELECT * FROM finish();
ROLLBACK;
