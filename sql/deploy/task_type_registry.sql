-- Deploy tasklib:task_type_registry
-- register_task_type: how a Python worker (or an operator) records a task name, the JSON Schema
-- of its arguments and the options it sets, which SQL submissions then inherit and are checked against.
-- Cheap: defines one function.
BEGIN;

-- Record (or replace) a task type. A NULL option is stored as NULL: the task does not set it,
-- and its submissions take the global default (tasklib.task_defaults()) current when they are
-- submitted. NULL does not mean "keep the old value": a registration describes the task as the
-- registering code defines it now.
CREATE FUNCTION tasklib.register_task_type(
    name                 text,
    args_schema          jsonb DEFAULT NULL,
    max_retries          integer DEFAULT NULL,
    timeout_seconds      double precision DEFAULT NULL,
    priority             integer DEFAULT NULL,
    queue                text DEFAULT NULL,
    backoff_base_seconds double precision DEFAULT NULL,
    backoff_max_seconds  double precision DEFAULT NULL
) RETURNS tasklib.task_types
LANGUAGE plpgsql AS $$
DECLARE
    v_row tasklib.task_types;
    v_problem text;
BEGIN
    IF name IS NULL OR name = '' OR length(name) > 255 THEN
        RAISE EXCEPTION 'task type name must be a non-empty string of at most 255 characters, got %',
            coalesce(quote_literal(name), 'NULL') USING ERRCODE = 'TL002';
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

    INSERT INTO tasklib.task_types AS tt (name, args_schema, max_retries, timeout_seconds, priority, queue,
                                          backoff_base_seconds, backoff_max_seconds, updated_at)
    VALUES (register_task_type.name, register_task_type.args_schema,
            register_task_type.max_retries, register_task_type.timeout_seconds,
            register_task_type.priority, register_task_type.queue,
            register_task_type.backoff_base_seconds, register_task_type.backoff_max_seconds, now())
    ON CONFLICT ON CONSTRAINT task_types_pkey DO UPDATE
       SET args_schema = excluded.args_schema,
           max_retries = excluded.max_retries,
           timeout_seconds = excluded.timeout_seconds,
           priority = excluded.priority,
           queue = excluded.queue,
           backoff_base_seconds = excluded.backoff_base_seconds,
           backoff_max_seconds = excluded.backoff_max_seconds,
           updated_at = excluded.updated_at
     -- Every worker re-registers at start; an unchanged row is not rewritten (no dead tuple,
     -- no row lock held against concurrent starters).
     WHERE (tt.args_schema, tt.max_retries, tt.timeout_seconds, tt.priority, tt.queue,
            tt.backoff_base_seconds, tt.backoff_max_seconds)
           IS DISTINCT FROM
           (excluded.args_schema, excluded.max_retries, excluded.timeout_seconds, excluded.priority,
            excluded.queue, excluded.backoff_base_seconds, excluded.backoff_max_seconds)
    RETURNING tt.* INTO v_row;
    IF NOT FOUND THEN
        SELECT * INTO v_row FROM tasklib.task_types tt WHERE tt.name = register_task_type.name;
    END IF;
    RETURN v_row;
END;
$$;
COMMENT ON FUNCTION tasklib.register_task_type IS
    'Record or replace a task type: the JSON Schema of its arguments and the options that SQL submissions of that name inherit and are checked against. A NULL option is stored as NULL (not set: the global default of task_defaults() applies at submit). Returns the stored row.';

COMMIT;
