-- Revert tasklib:roles
-- Takes back what this database granted, hands the schema and its objects back to the migrating
-- role and restores PostgreSQL's defaults (functions executable by PUBLIC, run as the caller, no
-- row level security). The roles, and the migrating role's membership in tasklib_owner and
-- tasklib_admin, stay: other databases may use them; drop them by hand (DROP ROLE) once no
-- database of the server does.
BEGIN;

DROP POLICY tasks_producer_reads_own ON tasklib.tasks;
DROP POLICY tasks_worker_reads_all ON tasklib.tasks;
DROP POLICY tasks_admin_reads_all ON tasklib.tasks;
ALTER TABLE tasklib.tasks DISABLE ROW LEVEL SECURITY;

-- A table-level REVOKE leaves column privileges alone: take those back by name too.
DO $$
DECLARE
    v_statement text;
BEGIN
    FOR v_statement IN
        SELECT format('REVOKE ALL (%I) ON %I.%I FROM tasklib_producer, tasklib_worker, tasklib_monitor, tasklib_admin',
                      a.attname, n.nspname, c.relname)
          FROM pg_catalog.pg_attribute a
          JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
          JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'tasklib' AND a.attnum > 0 AND a.attacl IS NOT NULL
    LOOP
        EXECUTE v_statement;
    END LOOP;
END;
$$;
REVOKE ALL ON ALL TABLES IN SCHEMA tasklib FROM tasklib_producer, tasklib_worker, tasklib_monitor, tasklib_admin;
REVOKE ALL ON ALL ROUTINES IN SCHEMA tasklib FROM tasklib_producer, tasklib_worker, tasklib_monitor, tasklib_admin;
REVOKE ALL ON SCHEMA tasklib FROM tasklib_producer, tasklib_worker, tasklib_monitor, tasklib_admin;

ALTER FUNCTION tasklib.submit SECURITY INVOKER RESET search_path;
ALTER FUNCTION tasklib.submit_many SECURITY INVOKER RESET search_path;
ALTER FUNCTION tasklib.claim SECURITY INVOKER RESET search_path;
ALTER FUNCTION tasklib.complete SECURITY INVOKER RESET search_path;
ALTER FUNCTION tasklib.fail SECURITY INVOKER RESET search_path;
ALTER FUNCTION tasklib.heartbeat SECURITY INVOKER RESET search_path;
ALTER FUNCTION tasklib.release SECURITY INVOKER RESET search_path;
ALTER FUNCTION tasklib.wait_for_tasks SECURITY INVOKER RESET search_path;
ALTER FUNCTION tasklib.recover_expired SECURITY INVOKER RESET search_path;
ALTER FUNCTION tasklib.cancel SECURITY INVOKER RESET search_path;
ALTER FUNCTION tasklib.retry SECURITY INVOKER RESET search_path;
ALTER FUNCTION tasklib.purge SECURITY INVOKER RESET search_path;
ALTER FUNCTION tasklib.register_task_type SECURITY INVOKER RESET search_path;
ALTER FUNCTION tasklib.worker_heartbeat SECURITY INVOKER RESET search_path;
ALTER FUNCTION tasklib.unregister_worker SECURITY INVOKER RESET search_path;
ALTER FUNCTION tasklib.purge_workers SECURITY INVOKER RESET search_path;

GRANT EXECUTE ON ALL ROUTINES IN SCHEMA tasklib TO PUBLIC;

DO $$
DECLARE
    v_statement text;
BEGIN
    FOR v_statement IN
        SELECT format('ALTER %s %I.%I OWNER TO CURRENT_USER',
                      CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                     WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                      n.nspname, c.relname)
          FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'tasklib' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        UNION ALL
        SELECT format('ALTER ROUTINE %I.%I(%s) OWNER TO CURRENT_USER',
                      n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
          FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'tasklib'
        UNION ALL
        SELECT format('ALTER TYPE %I.%I OWNER TO CURRENT_USER', n.nspname, t.typname)
          FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
          JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
         WHERE n.nspname = 'tasklib' AND t.typtype = 'c' AND c.relkind = 'c'
    LOOP
        EXECUTE v_statement;
    END LOOP;
END;
$$;
ALTER SCHEMA tasklib OWNER TO CURRENT_USER;

COMMIT;
