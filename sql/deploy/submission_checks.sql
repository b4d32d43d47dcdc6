-- Deploy tasklib:submission_checks
-- The checks every submission passes before it is stored; submit and submit_many call them for
-- every task. Besides the options, the arguments are checked against the JSON Schema the task's
-- Python definition registered in tasklib.task_types, so a service submitting from SQL hears
-- about a missing or mistyped argument at submit time, not when a worker fails the task.
-- Cost: adds one generated column to tasklib.task_types (a small table: one row per task name).
BEGIN;

-- The JSON types one property schema allows, or NULL when it allows anything we cannot check
-- cheaply. Understands what pydantic emits: "type" (a name or a list of names), anyOf/oneOf
-- (Optional[X] is anyOf X and null), a one-element allOf, enum/const, and "#/$defs/..." refs.
CREATE FUNCTION tasklib._schema_types(prop jsonb, defs jsonb DEFAULT NULL, depth integer DEFAULT 0)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    v_types text[];
    v_branch jsonb;
    v_branch_types text[];
    v_union text[] := '{}';
BEGIN
    -- depth stops self-referencing $defs from recursing forever.
    IF prop IS NULL OR jsonb_typeof(prop) <> 'object' OR depth > 8 THEN
        RETURN NULL;
    END IF;
    IF prop ? '$ref' THEN
        IF prop->>'$ref' LIKE '#/$defs/%' AND defs IS NOT NULL THEN
            RETURN tasklib._schema_types(defs -> substr(prop->>'$ref', 9), defs, depth + 1);
        END IF;
        RETURN NULL;
    END IF;
    IF jsonb_typeof(prop->'type') = 'string' THEN
        v_types := ARRAY[prop->>'type'];
    ELSIF jsonb_typeof(prop->'type') = 'array' THEN
        v_types := ARRAY(SELECT jsonb_array_elements_text(prop->'type'));
    ELSIF jsonb_typeof(prop->'anyOf') = 'array' OR jsonb_typeof(prop->'oneOf') = 'array' THEN
        FOR v_branch IN SELECT jsonb_array_elements(coalesce(prop->'anyOf', prop->'oneOf')) LOOP
            v_branch_types := tasklib._schema_types(v_branch, defs, depth + 1);
            IF v_branch_types IS NULL THEN
                RETURN NULL;  -- one unconstrained branch makes the union unconstrained
            END IF;
            v_union := v_union || v_branch_types;
        END LOOP;
        v_types := v_union;
    ELSIF jsonb_typeof(prop->'allOf') = 'array' AND jsonb_array_length(prop->'allOf') = 1 THEN
        RETURN tasklib._schema_types(prop->'allOf'->0, defs, depth + 1);
    ELSIF jsonb_typeof(prop->'enum') = 'array' THEN
        v_types := ARRAY(SELECT DISTINCT jsonb_typeof(e) FROM jsonb_array_elements(prop->'enum') e);
    ELSIF prop ? 'const' THEN
        v_types := ARRAY[jsonb_typeof(prop->'const')];
    END IF;
    IF v_types IS NULL OR cardinality(v_types) = 0
       OR NOT v_types <@ ARRAY['string', 'integer', 'number', 'boolean', 'array', 'object', 'null'] THEN
        RETURN NULL;
    END IF;
    RETURN ARRAY(SELECT DISTINCT unnest(v_types) ORDER BY 1);
END;
$$;
COMMENT ON FUNCTION tasklib._schema_types IS
    'Private: the JSON types (string, integer, number, boolean, array, object, null) a property schema allows; NULL when unconstrained.';

-- Compiles an arguments schema into one jsonpath predicate (required keys, no unexpected keys
-- when additionalProperties is false, the JSON type of each known key), so that checking a
-- submission is a single jsonb_path_match call instead of a loop over keys. NULL: nothing to check.
CREATE FUNCTION tasklib._compile_args_schema(args_schema jsonb) RETURNS jsonpath
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    v_parts text[] := '{}';
    v_props jsonb;
    v_key text;
    v_prop jsonb;
    v_types text[];
    v_path text;
    v_conds text[];
BEGIN
    IF args_schema IS NULL OR jsonb_typeof(args_schema) <> 'object' THEN
        RETURN NULL;
    END IF;
    v_props := CASE WHEN jsonb_typeof(args_schema->'properties') = 'object'
                    THEN args_schema->'properties' ELSE '{}' END;

    IF jsonb_typeof(args_schema->'required') = 'array' THEN
        FOR v_key IN SELECT r FROM jsonb_array_elements_text(args_schema->'required') r LOOP
            -- to_json quotes and escapes the key exactly as a jsonpath string literal needs.
            v_parts := v_parts || format('exists($.%s)', to_json(v_key)::text);
        END LOOP;
    END IF;

    IF args_schema->'additionalProperties' = 'false'::jsonb THEN
        IF v_props = '{}' THEN
            v_parts := v_parts || '!exists($.keyvalue())'::text;
        ELSE
            v_parts := v_parts || format('!exists($.keyvalue() ? (%s))',
                (SELECT string_agg(format('@.key != %s', to_json(k)::text), ' && ')
                   FROM jsonb_object_keys(v_props) k));
        END IF;
    END IF;

    FOR v_key, v_prop IN SELECT * FROM jsonb_each(v_props) LOOP
        v_types := tasklib._schema_types(v_prop, args_schema->'$defs');
        CONTINUE WHEN v_types IS NULL;
        v_path := '$.' || to_json(v_key)::text;
        SELECT array_agg(CASE
                   WHEN t = 'integer' THEN format('(%1$s.type() == "number" && %1$s.floor() == %1$s)', v_path)
                   ELSE format('%s.type() == %s', v_path, to_json(t)::text)
               END)
          INTO v_conds
          FROM unnest(v_types) t
         -- "number" already admits every integer.
         WHERE NOT (t = 'integer' AND 'number' = ANY (v_types));
        v_parts := v_parts || format('(!exists(%s) || %s)', v_path, array_to_string(v_conds, ' || '));
    END LOOP;

    IF cardinality(v_parts) = 0 THEN
        RETURN NULL;
    END IF;
    RETURN array_to_string(v_parts, ' && ')::jsonpath;
END;
$$;
COMMENT ON FUNCTION tasklib._compile_args_schema IS
    'Private: one jsonpath predicate that is true when arguments satisfy the schema''s required keys, closed key set and basic JSON types.';

-- Explains the first way args break args_schema, in the same terms the compiled check uses;
-- only runs after that check failed, so its loops cost nothing on the happy path.
CREATE FUNCTION tasklib._args_problem(args_schema jsonb, args jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    v_props jsonb;
    v_key text;
    v_value jsonb;
    v_types text[];
BEGIN
    IF args_schema IS NULL OR jsonb_typeof(args_schema) <> 'object' THEN
        RETURN NULL;
    END IF;
    v_props := CASE WHEN jsonb_typeof(args_schema->'properties') = 'object'
                    THEN args_schema->'properties' ELSE '{}' END;
    IF jsonb_typeof(args_schema->'required') = 'array' THEN
        FOR v_key IN SELECT r FROM jsonb_array_elements_text(args_schema->'required') r LOOP
            IF NOT args ? v_key THEN
                RETURN format('missing required key %s', to_json(v_key));
            END IF;
        END LOOP;
    END IF;
    IF args_schema->'additionalProperties' = 'false'::jsonb THEN
        FOR v_key IN SELECT k FROM jsonb_object_keys(args) k ORDER BY k LOOP
            IF NOT v_props ? v_key THEN
                RETURN format('unexpected key %s (the task takes %s)', to_json(v_key),
                    coalesce((SELECT string_agg(to_json(k)::text, ', ' ORDER BY k) FROM jsonb_object_keys(v_props) k),
                             'no arguments'));
            END IF;
        END LOOP;
    END IF;
    FOR v_key, v_value IN SELECT * FROM jsonb_each(args) ORDER BY 1 LOOP
        v_types := tasklib._schema_types(v_props->v_key, args_schema->'$defs');
        CONTINUE WHEN v_types IS NULL;
        CONTINUE WHEN jsonb_typeof(v_value) = ANY (v_types);
        CONTINUE WHEN 'integer' = ANY (v_types) AND jsonb_typeof(v_value) = 'number'
                      AND v_value::numeric = floor(v_value::numeric);
        RETURN format('key %s must be %s, got %s %s', to_json(v_key), array_to_string(v_types, ' or '),
            jsonb_typeof(v_value),
            CASE WHEN length(v_value::text) > 40 THEN left(v_value::text, 37) || '...' ELSE v_value::text END);
    END LOOP;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION tasklib._args_problem IS
    'Private: describes the first key of args that breaks args_schema (missing, unexpected, wrong JSON type), or NULL.';

-- Kept next to the schema so that every writer of task_types (register_task_type, or a plain
-- INSERT by an operator) gets a check that matches the schema it stored.
ALTER TABLE tasklib.task_types
    ADD COLUMN args_check jsonpath GENERATED ALWAYS AS (tasklib._compile_args_schema(args_schema)) STORED;
COMMENT ON COLUMN tasklib.task_types.args_check IS
    'args_schema compiled into one jsonpath predicate (derived); NULL when there is nothing to check.';

-- The validation mode in force: a custom setting, so it can be set per database, role or session
-- without a query. Unset or empty means 'known'. A SQL expression the planner inlines.
CREATE FUNCTION tasklib._submit_validation() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce(nullif(pg_catalog.current_setting('tasklib.submit_validation', true), ''), 'known');
COMMENT ON FUNCTION tasklib._submit_validation IS
    'Private: the value of tasklib.submit_validation (off, known or strict; unset means known), unchecked.';

-- The rules of a task's options, in one place: submit and submit_many (through _submission_ok
-- and _check_submission) and register_task_type all ask this function, so the three cannot
-- disagree; the CHECK constraints of tasks and task_types stay as the backstop for rows written
-- by hand. Returns what is wrong with the first bad option, naming it and its value, or NULL
-- when all are fine. A NULL option is unset and passes (the task type's or the global default
-- applies), except delay_seconds, which a submission must give (callers without one pass 0).
-- Plain comparisons and text concatenation (no format(), which is only STABLE): an IMMUTABLE
-- SQL expression the planner inlines into _submission_ok, and from there into the INSERTs.
CREATE FUNCTION tasklib._option_problem(
    max_retries          integer,
    timeout_seconds      double precision,
    queue                text,
    backoff_base_seconds double precision,
    backoff_max_seconds  double precision DEFAULT NULL,
    delay_seconds        double precision DEFAULT 0
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- PostgreSQL orders NaN above Infinity (and NaN = NaN), so "< 'Infinity'" rejects both. The
-- delay is bounded so that now() + delay stays a valid timestamp.
RETURN CASE
    WHEN delay_seconds IS NULL OR NOT (delay_seconds >= 0 AND delay_seconds <= 3155760000)
        THEN 'delay_seconds must be a number from 0 to 3155760000 (100 years), got '
             || coalesce(delay_seconds::text, 'NULL')
    WHEN max_retries < 0
        THEN 'max_retries must be >= 0, got ' || max_retries::text
    WHEN NOT (timeout_seconds > 0 AND timeout_seconds < 'Infinity')
        THEN 'timeout_seconds must be a finite number > 0, got ' || timeout_seconds::text
    WHEN NOT (backoff_base_seconds > 0 AND backoff_base_seconds < 'Infinity')
        THEN 'backoff_base_seconds must be a finite number > 0, got ' || backoff_base_seconds::text
    WHEN NOT (backoff_max_seconds > 0 AND backoff_max_seconds < 'Infinity')
        THEN 'backoff_max_seconds must be a finite number > 0, got ' || backoff_max_seconds::text
    WHEN queue = ''
        THEN 'queue must be a non-empty string, got '''''
END;
COMMENT ON FUNCTION tasklib._option_problem IS
    'Private: the rules of task options (delay_seconds, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds, queue) shared by submit, submit_many and register_task_type: what is wrong with the first bad one, naming it and its value, or NULL. NULL options are unset and pass, except delay_seconds.';

-- The same test as _check_submission as one boolean expression: true when a submission passes
-- it, false or NULL when _check_submission would raise. A SQL function the planner inlines, so
-- submit and submit_many test every task without a PL/pgSQL call and only call
-- _check_submission, to name the problem, for a task that fails. validation is the value of
-- tasklib.submit_validation; type_known and args_check describe the registered task type.
-- The options go through _option_problem, as in _check_submission.
CREATE FUNCTION tasklib._submission_ok(
    name text, args jsonb, delay_seconds double precision, tags jsonb,
    max_retries integer, timeout_seconds double precision, queue text,
    backoff_base_seconds double precision,
    validation text, type_known boolean, args_check jsonpath
) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN name <> '' AND length(name) <= 255
   AND jsonb_typeof(args) = 'object' AND jsonb_typeof(tags) = 'object'
   AND tasklib._option_problem(max_retries => max_retries, timeout_seconds => timeout_seconds, queue => queue,
                               backoff_base_seconds => backoff_base_seconds,
                               delay_seconds => delay_seconds) IS NULL
   AND (validation = 'off'
        OR (validation IN ('known', 'strict') AND (type_known OR validation = 'known')
            AND (args_check IS NULL OR jsonb_path_match(args, args_check))));
COMMENT ON FUNCTION tasklib._submission_ok IS
    'Private: whether a submission passes _check_submission (true), or must go through it to be told why not (false or NULL).';

-- Shared checks for one submission of submit and submit_many: the options, then the arguments
-- against the registered task type as the setting tasklib.submit_validation asks:
--   off    no check of the name or arguments;
--   known  (the default) arguments of a registered task are checked, unknown names pass;
--   strict unknown names are rejected too (TL001).
CREATE FUNCTION tasklib._check_submission(
    name text, args jsonb, delay_seconds double precision, tags jsonb,
    max_retries integer, timeout_seconds double precision, queue text,
    backoff_base_seconds double precision
) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_mode text;
    v_check jsonpath;
    v_problem text;
BEGIN
    IF name IS NULL OR name = '' THEN
        RAISE EXCEPTION 'task name must be a non-empty string' USING ERRCODE = 'TL002';
    END IF;
    IF length(name) > 255 THEN
        RAISE EXCEPTION 'task name is longer than 255 characters' USING ERRCODE = 'TL002';
    END IF;
    IF args IS NULL OR jsonb_typeof(args) <> 'object' THEN
        RAISE EXCEPTION 'args of task % must be a JSON object, got %', name, coalesce(jsonb_typeof(args), 'NULL')
            USING ERRCODE = 'TL002';
    END IF;
    IF tags IS NULL OR jsonb_typeof(tags) <> 'object' THEN
        RAISE EXCEPTION 'tags of task % must be a JSON object, got %', name, coalesce(jsonb_typeof(tags), 'NULL')
            USING ERRCODE = 'TL002';
    END IF;
    v_problem := tasklib._option_problem(max_retries => max_retries, timeout_seconds => timeout_seconds,
                                         queue => queue, backoff_base_seconds => backoff_base_seconds,
                                         delay_seconds => delay_seconds);
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION '% (task %)', v_problem, name USING ERRCODE = 'TL002';
    END IF;

    v_mode := tasklib._submit_validation();
    IF v_mode = 'off' THEN
        RETURN;
    END IF;
    IF v_mode NOT IN ('known', 'strict') THEN
        RAISE EXCEPTION 'tasklib.submit_validation must be off, known or strict, got %', v_mode
            USING ERRCODE = 'TL002';
    END IF;

    SELECT tt.args_check INTO v_check FROM tasklib.task_types tt WHERE tt.name = _check_submission.name;
    IF NOT FOUND THEN
        IF v_mode = 'strict' THEN
            RAISE EXCEPTION 'unknown task %: no task type of that name is registered', name
                USING ERRCODE = 'TL001',
                      HINT = 'Start a worker that defines it, or call tasklib.register_task_type; '
                             'tasklib.submit_validation = strict rejects unregistered names.';
        END IF;
        RETURN;
    END IF;

    IF v_check IS NOT NULL AND NOT jsonb_path_match(_check_submission.args, v_check) THEN
        RAISE EXCEPTION 'arguments of task % break its registered schema: %', name,
            coalesce((SELECT tasklib._args_problem(tt.args_schema, _check_submission.args)
                        FROM tasklib.task_types tt WHERE tt.name = _check_submission.name),
                     'they do not match it')
            USING ERRCODE = 'TL005',
                  HINT = 'See the schema with: SELECT args_schema FROM tasklib.task_types WHERE name = '
                         || quote_literal(name);
    END IF;
END;
$$;
COMMENT ON FUNCTION tasklib._check_submission IS
    'Private: raises TL002 naming the first invalid option of a submission, TL005 naming the first argument that breaks the registered schema, TL001 for an unknown name when tasklib.submit_validation = strict.';

COMMIT;
