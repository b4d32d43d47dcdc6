-- Deploy tasklib:roles
-- Who may do what (docs/security.md). Five roles, all NOLOGIN (grant the first four to your
-- login roles; nobody logs in as the fifth):
--   tasklib_producer  submit tasks; read its own tasks (row level security) and the task types;
--   tasklib_worker    claim, complete, fail, heartbeat, release, recover leases, create task
--                     types and announce itself; read tasks, task types and workers;
--   tasklib_monitor   read the monitoring views (counts and metadata, no arguments, results or
--                     error text), nothing else;
--   tasklib_admin     change registered task types, cancel, retry, purge, read everything a
--                     worker or monitor reads, with the error text and arguments;
--   tasklib_owner     owns the schema and everything in it: the API functions run as this role.
-- PUBLIC gets nothing in schema tasklib. The API functions run as tasklib_owner (SECURITY
-- DEFINER) with search_path pinned to pg_catalog, so a caller reaches the tables only through
-- them and cannot redirect an unqualified name to an object of its own; and since the owner is a
-- NOLOGIN role without superuser or BYPASSRLS rights, a flaw in one of them can do no more than
-- the owner of these tables can, even when a superuser migrated.
-- Roles belong to the whole cluster, not to this database: they are created when missing and
-- never dropped by the revert, which only takes back what this database granted them and hands
-- the objects back to the migrating role (another database on the same server may use the
-- roles). Cost: catalog changes only.
BEGIN;

DO $$
DECLARE
    v_role text;
    v_purpose text;
BEGIN
    FOR v_role, v_purpose IN VALUES
        ('tasklib_producer', 'TaskLib: submit tasks and read their status'),
        ('tasklib_worker', 'TaskLib: claim and finish tasks, register new task types'),
        ('tasklib_monitor', 'TaskLib: read the monitoring views'),
        ('tasklib_admin', 'TaskLib: change task types, cancel, retry, purge; read error text and arguments'),
        ('tasklib_owner', 'TaskLib: owns schema tasklib; its API functions run as this role. Never LOGIN.')
    LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = v_role);
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
            EXECUTE format('COMMENT ON ROLE %I IS %L', v_role, v_purpose);
        EXCEPTION
            -- Two databases of one server migrating at once: the other one created it.
            WHEN duplicate_object OR unique_violation THEN
                NULL;
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'role % does not exist and % may not create roles', v_role, current_user
                    USING HINT = format('Have an administrator run CREATE ROLE %I NOLOGIN, then migrate again.', v_role);
        END;
    END LOOP;
END;
$$;

-- The owner must not be more than an owner: SECURITY DEFINER functions run with its rights.
DO $$
DECLARE
    v_owner pg_catalog.pg_roles;
BEGIN
    SELECT * INTO v_owner FROM pg_catalog.pg_roles r WHERE r.rolname = 'tasklib_owner';
    IF v_owner.rolsuper OR v_owner.rolbypassrls OR v_owner.rolcanlogin OR v_owner.rolcreaterole
       OR v_owner.rolcreatedb OR v_owner.rolreplication THEN
        RAISE EXCEPTION 'role tasklib_owner must be NOLOGIN, NOSUPERUSER, NOBYPASSRLS, NOCREATEROLE, NOCREATEDB and NOREPLICATION: TaskLib''s functions run as it'
            USING HINT = 'ALTER ROLE tasklib_owner NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB NOREPLICATION, then migrate again.';
    END IF;
END;
$$;

-- The migrating role hands the objects to tasklib_owner and changes them in later migrations,
-- for which it must be a member; and whoever migrates may change task types (tasklib_admin). A
-- superuser is a member of every role already.
DO $$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['tasklib_owner', 'tasklib_admin'] LOOP
        CONTINUE WHEN pg_catalog.pg_has_role(current_user, v_role, 'MEMBER');
        BEGIN
            EXECUTE format('GRANT %I TO %I', v_role, current_user);
        EXCEPTION WHEN insufficient_privilege OR invalid_grant_operation THEN
            RAISE EXCEPTION '% is not a member of % and may not make itself one', current_user, v_role
                USING HINT = format('Have an administrator run GRANT %I TO %I, then migrate again.', v_role, current_user);
        END;
    END LOOP;
END;
$$;

-- Hand the schema and everything in it to tasklib_owner. A later change that adds an object must
-- do the same (and the REVOKE and GRANT below); sqltests/roles/test_owner.sql fails otherwise.
ALTER SCHEMA tasklib OWNER TO tasklib_owner;
DO $$
DECLARE
    v_statement text;
BEGIN
    FOR v_statement IN
        SELECT format('ALTER %s %I.%I OWNER TO tasklib_owner',
                      CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                     WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                      n.nspname, c.relname)
          FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'tasklib' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        UNION ALL
        SELECT format('ALTER ROUTINE %I.%I(%s) OWNER TO tasklib_owner',
                      n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
          FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'tasklib'
        UNION ALL
        -- Composite types of their own (task_options, limit_values); a table's row type follows it.
        SELECT format('ALTER TYPE %I.%I OWNER TO tasklib_owner', n.nspname, t.typname)
          FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
          JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
         WHERE n.nspname = 'tasklib' AND t.typtype = 'c' AND c.relkind = 'c'
    LOOP
        EXECUTE v_statement;
    END LOOP;
END;
$$;

-- New functions are executable by PUBLIC unless revoked; tables and the schema are not, but
-- say so explicitly. A later change that adds a function must revoke and grant it the same way.
REVOKE ALL ON SCHEMA tasklib FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA tasklib FROM PUBLIC;
REVOKE ALL ON ALL ROUTINES IN SCHEMA tasklib FROM PUBLIC;

ALTER FUNCTION tasklib.submit SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.submit_many SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.claim SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.complete SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.fail SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.heartbeat SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.release SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.recover_expired SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.cancel SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.cancel_tasks SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.cancel_requests SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.retry SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.purge SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.register_task_type SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.worker_heartbeat SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.unregister_worker SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.purge_workers SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.rate_limited SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.report_progress SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.seconds_until_claimable SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.wait_for_tasks SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.set_queue_limits SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.pause_queue SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.resume_queue SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.suspend_queue SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.purge_queue_keys SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
-- The private helpers (_check_submission, ...) stay SECURITY INVOKER without a SET clause: only
-- the functions above call them, inside their pinned search_path, and a SET clause would cost a
-- configuration save and restore on each of the 50,000 per-second calls of a bulk submit.
-- purge_all stays SECURITY INVOKER because it commits (see retention).

-- Producers read their own tasks; workers and administrators every task. The owner (and so the
-- SECURITY DEFINER functions and the views, which run as it) is not subject to these policies,
-- so nothing on the claim or completion path changes. No policy allows a write: no TaskLib role
-- may write a table directly.
ALTER TABLE tasklib.tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tasks_producer_reads_own ON tasklib.tasks FOR SELECT TO tasklib_producer
    USING (submitted_by = session_user);
CREATE POLICY tasks_worker_reads_all ON tasklib.tasks FOR SELECT TO tasklib_worker USING (true);
CREATE POLICY tasks_admin_reads_all ON tasklib.tasks FOR SELECT TO tasklib_admin USING (true);

GRANT USAGE ON SCHEMA tasklib TO tasklib_producer, tasklib_worker, tasklib_monitor, tasklib_admin;

-- Every column of tasks but lease_token, and of workers but registration: those two are the
-- secrets that prove a worker holds an attempt or a registration, so only the owner reads them.
-- (SELECT * is refused for these roles: name the columns. A column added later must be granted.)
DO $$
BEGIN
    EXECUTE format('GRANT SELECT (%s) ON tasklib.tasks TO tasklib_producer, tasklib_worker, tasklib_admin',
        (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
          WHERE a.attrelid = 'tasklib.tasks'::regclass AND a.attnum > 0 AND NOT a.attisdropped
            AND a.attname <> 'lease_token'));
    EXECUTE format('GRANT SELECT (%s) ON tasklib.workers TO tasklib_worker, tasklib_admin',
        (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
          WHERE a.attrelid = 'tasklib.workers'::regclass AND a.attnum > 0 AND NOT a.attisdropped
            AND a.attname <> 'registration'));
END;
$$;
GRANT SELECT ON tasklib.task_types TO tasklib_producer, tasklib_worker, tasklib_admin;

-- Read-only helpers of the public API: anyone who reads tasks may ask them.
GRANT EXECUTE ON FUNCTION tasklib.is_terminal, tasklib.task_defaults, tasklib.limits, tasklib.backoff_delay
    TO tasklib_producer, tasklib_worker, tasklib_monitor, tasklib_admin;

GRANT EXECUTE ON FUNCTION tasklib.submit, tasklib.submit_many TO tasklib_producer;

GRANT EXECUTE ON FUNCTION tasklib.claim, tasklib.complete, tasklib.fail, tasklib.heartbeat, tasklib.release,
    tasklib.recover_expired, tasklib.register_task_type, tasklib.worker_heartbeat, tasklib.unregister_worker,
    tasklib.rate_limited, tasklib.seconds_until_claimable, tasklib.cancel_requests, tasklib.report_progress,
    tasklib.wait_for_tasks
    TO tasklib_worker;

GRANT SELECT ON tasklib.queue_status, tasklib.queue_status_by_task, tasklib.task_performance,
    tasklib.worker_health, tasklib.recent_failures, tasklib.throughput, tasklib.queue_flow
    TO tasklib_monitor, tasklib_admin;
-- Flow control is read by everyone who runs or watches tasks; only an administrator changes it
-- (a producer could otherwise lift the limit that protects a partner's API).
GRANT SELECT ON tasklib.queues, tasklib.queue_keys TO tasklib_worker, tasklib_admin;
-- A view's function calls are checked against the reader, not the view's owner.
-- Functions a view calls are checked against its reader, not the view's owner.
GRANT EXECUTE ON FUNCTION tasklib._error_line, tasklib._bucket_level TO tasklib_monitor, tasklib_admin;
GRANT EXECUTE ON FUNCTION tasklib._bucket_level TO tasklib_worker;

-- register_task_type changes a stored definition only for a member of tasklib_admin.
GRANT EXECUTE ON FUNCTION tasklib.register_task_type, tasklib.cancel, tasklib.cancel_tasks, tasklib.retry, tasklib.purge,
    tasklib.purge_workers, tasklib.set_queue_limits, tasklib.pause_queue, tasklib.resume_queue,
    tasklib.suspend_queue, tasklib.purge_queue_keys TO tasklib_admin;
GRANT EXECUTE ON PROCEDURE tasklib.purge_all TO tasklib_admin;

-- Cron schedules (schedules): only an administrator creates, pauses, resumes or removes one (a
-- schedule submits tasks on its own, so it is as powerful as a producer's submit repeated
-- forever); every worker's scheduler reads them and fires them; monitors read schedule_status,
-- without args and error text (the view checks the reader's rights on tasklib.schedules).
ALTER FUNCTION tasklib.create_schedule SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.pause_schedule SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.resume_schedule SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.remove_schedule SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.fire_schedule SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION tasklib.set_schedule_next_fire SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
GRANT EXECUTE ON FUNCTION tasklib.create_schedule, tasklib.pause_schedule, tasklib.resume_schedule,
    tasklib.remove_schedule TO tasklib_admin;
GRANT EXECUTE ON FUNCTION tasklib.fire_schedule, tasklib.set_schedule_next_fire TO tasklib_worker;
GRANT SELECT ON tasklib.schedules, tasklib.schedule_fires TO tasklib_worker, tasklib_admin;
GRANT SELECT ON tasklib.schedule_status TO tasklib_monitor, tasklib_admin;

-- Health (change `health`): the queue gauges and the health_* views that `tasklib doctor` and
-- the metrics read. Seeing other users' sessions in health_sessions in full also needs
-- pg_read_all_stats or pg_monitor, granted by an administrator (docs/operations.md).
GRANT SELECT ON tasklib.queue_depth, tasklib.health_sessions, tasklib.health_xmin_holders,
    tasklib.health_tasks_table, tasklib.health_tasks_indexes, tasklib.health_workers,
    tasklib.health_expired_leases
    TO tasklib_monitor, tasklib_admin;

COMMIT;
