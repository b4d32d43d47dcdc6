-- Deploy tasklib:task_type_registry
-- register_task_type: how a Python worker (or an operator) records a task name, the JSON Schema
-- of its arguments and the options it sets, which SQL submissions then inherit and are checked against.
-- Cheap: defines one function.
BEGIN;

-- Record a task type, or change one as an administrator. A NULL option is stored as NULL: the
-- task does not set it, and its submissions take the global default (tasklib.task_defaults())
-- current when they are submitted. NULL does not mean "keep the old value": a registration
-- describes the task as the registering code defines it now.
--
-- Who may change what: any caller with EXECUTE (every worker, at start) creates a task type that
-- does not exist yet, and re-registering the definition already stored changes nothing. Changing
-- a stored definition needs a login that is a member of tasklib_admin (a superuser is a member
-- of every role); anyone else gets TL006. Otherwise any worker, of any deployment, could silently
-- rewrite the queue, retries or schema every SQL submitter of that name relies on. The login is
-- session_user: this function runs as its owner, so current_user would always be the owner.
CREATE FUNCTION tasklib.register_task_type(
    name                 text,
    args_schema          jsonb DEFAULT NULL,
    max_retries          integer DEFAULT NULL,
    timeout_seconds      double precision DEFAULT NULL,
    priority             integer DEFAULT NULL,
    queue                text DEFAULT NULL,
    backoff_base_seconds double precision DEFAULT NULL,
    backoff_max_seconds  double precision DEFAULT NULL,
    limit_key_arg        text DEFAULT NULL,
    unique_args          text[] DEFAULT NULL,
    unique_for_seconds   double precision DEFAULT NULL,
    unique_on_conflict   text DEFAULT NULL,
    result_ttl_seconds   double precision DEFAULT NULL
) RETURNS tasklib.task_types
LANGUAGE plpgsql AS $$
DECLARE
    v_row tasklib.task_types;
    v_problem text;
    v_admin boolean;
    v_differs text;
BEGIN
    IF name IS NULL OR name = '' OR length(name) > 255 THEN
        RAISE EXCEPTION 'task type name must be a non-empty string of at most 255 characters, got %',
            coalesce(quote_literal(name), 'NULL') USING ERRCODE = 'TL002';
    END IF;
    IF limit_key_arg = '' OR length(limit_key_arg) > 255 THEN
        RAISE EXCEPTION 'limit_key_arg of task type % must be an argument name (a non-empty string of at most 255 characters), got %',
            name, quote_literal(left(limit_key_arg, 40)) USING ERRCODE = 'TL002';
    END IF;
    IF cardinality(unique_args) NOT BETWEEN 1 AND 32 OR array_position(unique_args, NULL) IS NOT NULL
       OR '' = ANY (unique_args) THEN
        RAISE EXCEPTION 'unique_args of task type % must be 1 to 32 argument names, got %', name, unique_args
            USING ERRCODE = 'TL002';
    END IF;
    IF NOT (unique_for_seconds > 0 AND unique_for_seconds <= (tasklib.limits()).max_delay_seconds) THEN
        RAISE EXCEPTION 'unique_for_seconds of task type % must be a number of seconds > 0 and at most %, got %',
            name, (tasklib.limits()).max_delay_seconds, unique_for_seconds USING ERRCODE = 'TL002';
    END IF;
    IF NOT (result_ttl_seconds >= 0 AND result_ttl_seconds <= (tasklib.limits()).max_delay_seconds) THEN
        RAISE EXCEPTION 'result_ttl_seconds of task type % must be a number of seconds from 0 to %, got %',
            name, (tasklib.limits()).max_delay_seconds, result_ttl_seconds USING ERRCODE = 'TL002';
    END IF;
    IF unique_on_conflict NOT IN ('return', 'raise', 'replace') THEN
        RAISE EXCEPTION 'unique_on_conflict of task type % must be return, raise or replace, got %', name,
            quote_literal(unique_on_conflict) USING ERRCODE = 'TL002';
    END IF;
    IF args_schema IS NOT NULL AND jsonb_typeof(args_schema) <> 'object' THEN
        RAISE EXCEPTION 'args_schema of task type % must be a JSON Schema object, got %', name, jsonb_typeof(args_schema)
            USING ERRCODE = 'TL002';
    END IF;
    -- The same rules as a submission's options; then a bound on the work the schema's check can
    -- cost, before the INSERT compiles it (task_types.args_check).
    v_problem := coalesce(
        tasklib._option_problem(max_retries => max_retries, timeout_seconds => timeout_seconds,
                                queue => queue, backoff_base_seconds => backoff_base_seconds,
                                backoff_max_seconds => backoff_max_seconds),
        tasklib._schema_problem(args_schema));
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION '% (task type %)', v_problem, name USING ERRCODE = 'TL002';
    END IF;

    v_admin := pg_has_role(session_user, 'tasklib_admin', 'MEMBER');
    INSERT INTO tasklib.task_types AS tt (name, args_schema, max_retries, timeout_seconds, priority, queue,
                                          backoff_base_seconds, backoff_max_seconds, limit_key_arg, unique_args,
                                          unique_for_seconds, unique_on_conflict, result_ttl_seconds, updated_at)
    VALUES (register_task_type.name, register_task_type.args_schema,
            register_task_type.max_retries, register_task_type.timeout_seconds,
            register_task_type.priority, register_task_type.queue,
            register_task_type.backoff_base_seconds, register_task_type.backoff_max_seconds,
            register_task_type.limit_key_arg, register_task_type.unique_args,
            register_task_type.unique_for_seconds, register_task_type.unique_on_conflict,
            register_task_type.result_ttl_seconds, now())
    ON CONFLICT ON CONSTRAINT task_types_pkey DO UPDATE
       SET args_schema = excluded.args_schema,
           max_retries = excluded.max_retries,
           timeout_seconds = excluded.timeout_seconds,
           priority = excluded.priority,
           queue = excluded.queue,
           backoff_base_seconds = excluded.backoff_base_seconds,
           backoff_max_seconds = excluded.backoff_max_seconds,
           limit_key_arg = excluded.limit_key_arg,
           unique_args = excluded.unique_args,
           unique_for_seconds = excluded.unique_for_seconds,
           unique_on_conflict = excluded.unique_on_conflict,
           result_ttl_seconds = excluded.result_ttl_seconds,
           updated_at = excluded.updated_at
     -- Every worker re-registers at start; an unchanged row is not rewritten (no dead tuple;
     -- ON CONFLICT still locks it until commit). A changed one only by an administrator.
     WHERE v_admin
       AND (tt.args_schema, tt.max_retries, tt.timeout_seconds, tt.priority, tt.queue,
            tt.backoff_base_seconds, tt.backoff_max_seconds, tt.limit_key_arg, tt.unique_args,
            tt.unique_for_seconds, tt.unique_on_conflict, tt.result_ttl_seconds)
           IS DISTINCT FROM
           (excluded.args_schema, excluded.max_retries, excluded.timeout_seconds, excluded.priority,
            excluded.queue, excluded.backoff_base_seconds, excluded.backoff_max_seconds, excluded.limit_key_arg,
            excluded.unique_args, excluded.unique_for_seconds, excluded.unique_on_conflict,
            excluded.result_ttl_seconds)
    RETURNING tt.* INTO v_row;
    IF FOUND THEN
        RETURN v_row;
    END IF;

    SELECT * INTO v_row FROM tasklib.task_types tt WHERE tt.name = register_task_type.name;
    SELECT string_agg(d.field, ', ' ORDER BY d.ord) INTO v_differs
      FROM (VALUES (1, 'args_schema', v_row.args_schema IS DISTINCT FROM register_task_type.args_schema),
                   (2, 'max_retries', v_row.max_retries IS DISTINCT FROM register_task_type.max_retries),
                   (3, 'timeout_seconds', v_row.timeout_seconds IS DISTINCT FROM register_task_type.timeout_seconds),
                   (4, 'priority', v_row.priority IS DISTINCT FROM register_task_type.priority),
                   (5, 'queue', v_row.queue IS DISTINCT FROM register_task_type.queue),
                   (6, 'backoff_base_seconds', v_row.backoff_base_seconds IS DISTINCT FROM register_task_type.backoff_base_seconds),
                   (7, 'backoff_max_seconds', v_row.backoff_max_seconds IS DISTINCT FROM register_task_type.backoff_max_seconds),
                   (8, 'limit_key_arg', v_row.limit_key_arg IS DISTINCT FROM register_task_type.limit_key_arg),
                   (9, 'unique_args', v_row.unique_args IS DISTINCT FROM register_task_type.unique_args),
                   (10, 'unique_for_seconds', v_row.unique_for_seconds IS DISTINCT FROM register_task_type.unique_for_seconds),
                   (11, 'unique_on_conflict', v_row.unique_on_conflict IS DISTINCT FROM register_task_type.unique_on_conflict),
                   (12, 'result_ttl_seconds', v_row.result_ttl_seconds IS DISTINCT FROM register_task_type.result_ttl_seconds))
           AS d(ord, field, differs)
     WHERE d.differs;
    IF v_differs IS NOT NULL THEN
        RAISE EXCEPTION 'task type % is registered with other options or schema (%); register it as tasklib_admin to change it',
            name, v_differs
            USING ERRCODE = 'TL006',
                  DETAIL = format('%s is not a member of tasklib_admin; the stored definition was last changed at %s.',
                                  session_user, v_row.updated_at),
                  HINT = 'Register the new definition from a login granted tasklib_admin (the role that migrates '
                         'is one) when you deploy it, then start the workers that use it.';
    END IF;
    RETURN v_row;
END;
$$;
COMMENT ON FUNCTION tasklib.register_task_type IS
    'Record a task type: the JSON Schema of its arguments, the options that SQL submissions of that name inherit and are checked against, limit_key_arg (the argument whose value is a task''s limit_key when its submitter sets none), its deduplication (unique_args, unique_for_seconds, unique_on_conflict) and result_ttl_seconds (how long purge keeps its finished tasks). A NULL option is stored as NULL (not set: the global default of task_defaults() applies at submit). Any caller may create a task type or repeat its stored definition (no change); changing it needs a login in tasklib_admin (TL006 otherwise). Returns the stored row.';

COMMIT;
