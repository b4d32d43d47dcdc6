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
-- and _check_submission), register_task_type, and claim and heartbeat (their lease) all ask this
-- function, so they cannot disagree; the CHECK constraints of tasks and task_types stay as the
-- backstop for rows written by hand. Returns what is wrong with the first bad option, naming it
-- and its value, or NULL when all are fine. A NULL option is unset and passes (the task type's or
-- the global default applies), except delay_seconds, which a submission must give (callers
-- without one pass 0). The bounds come from limits(), folded into constants.
-- Plain comparisons and text concatenation (no format(), which is only STABLE): an IMMUTABLE
-- SQL expression the planner inlines into _submission_ok, and from there into the INSERTs.
CREATE FUNCTION tasklib._option_problem(
    max_retries          integer DEFAULT NULL,
    timeout_seconds      double precision DEFAULT NULL,
    queue                text DEFAULT NULL,
    backoff_base_seconds double precision DEFAULT NULL,
    backoff_max_seconds  double precision DEFAULT NULL,
    delay_seconds        double precision DEFAULT 0,
    lease_seconds        double precision DEFAULT NULL
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- PostgreSQL orders NaN above Infinity (and NaN = NaN), so "< 'Infinity'" rejects both. The
-- delay is bounded so that now() + delay stays a valid timestamp; the lease so that a stalled
-- worker's tasks come back within a day and now() + lease is always valid; max_retries and the
-- backoff base so that no task can retry in a tight loop (2,147,483,647 retries 1e-300 s apart).
RETURN CASE
    WHEN delay_seconds IS NULL OR NOT (delay_seconds >= 0 AND delay_seconds <= (tasklib.limits()).max_delay_seconds)
        THEN 'delay_seconds must be a number from 0 to 3155760000 (100 years), got '
             || coalesce(delay_seconds::text, 'NULL')
    WHEN NOT (max_retries >= 0 AND max_retries <= (tasklib.limits()).max_retries)
        THEN 'max_retries must be an integer from 0 to ' || (tasklib.limits()).max_retries::text
             || ', got ' || max_retries::text
    WHEN NOT (timeout_seconds > 0 AND timeout_seconds < 'Infinity')
        THEN 'timeout_seconds must be a finite number > 0, got ' || timeout_seconds::text
    WHEN NOT (backoff_base_seconds >= (tasklib.limits()).min_backoff_base_seconds AND backoff_base_seconds < 'Infinity')
        THEN 'backoff_base_seconds must be a finite number >= ' || (tasklib.limits()).min_backoff_base_seconds::text
             || ', got ' || backoff_base_seconds::text
    WHEN NOT (backoff_max_seconds > 0 AND backoff_max_seconds < 'Infinity')
        THEN 'backoff_max_seconds must be a finite number > 0, got ' || backoff_max_seconds::text
    WHEN NOT (lease_seconds > 0 AND lease_seconds <= (tasklib.limits()).max_lease_seconds)
        THEN 'lease_seconds must be a number > 0 and at most ' || (tasklib.limits()).max_lease_seconds::text
             || ' (1 day), got ' || lease_seconds::text
    WHEN queue = ''
        THEN 'queue must be a non-empty string, got '''''
END;
COMMENT ON FUNCTION tasklib._option_problem IS
    'Private: the rules of task options (delay_seconds, max_retries, timeout_seconds, backoff_base_seconds, backoff_max_seconds, queue) and of a lease (lease_seconds), shared by submit, submit_many, register_task_type, claim and heartbeat, with the bounds of limits(): what is wrong with the first bad one, naming it and its value, or NULL. NULL options are unset and pass, except delay_seconds.';

-- How many keys the objects of a JSON value hold together, counted in its text form, which
-- PostgreSQL writes as "key": value. Once the escaped backslashes and then the escaped quotes are
-- removed, no quote is left inside a string, so splitting the text at its quotes alternates
-- between what lies outside strings (the odd pieces) and their contents (the even ones): every
-- string followed by a piece that starts with a colon is a key. Linear, and on a large nested
-- document several times faster than a jsonpath walk, which copies every key-value pair (1 MB of
-- 60,000 keys: ~30 ms). Only called for values too large to be under the key limit for certain.
CREATE FUNCTION tasklib._json_key_count(value jsonb) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (SELECT count(*)::integer
          FROM unnest(pg_catalog.string_to_array(
                   pg_catalog.replace(pg_catalog.replace(value::text, '\\', ''), '\"', ''), '"'))
               WITH ORDINALITY AS piece(text, n)
         WHERE piece.n % 2 = 1 AND piece.n > 1 AND pg_catalog.starts_with(piece.text, ':'));
COMMENT ON FUNCTION tasklib._json_key_count IS
    'Private: the number of keys in all objects of a JSON value together.';

-- Whether a JSON value a caller sends is certainly within every limit of limits() on args and
-- tags, in two O(1) calls: a value stored uncompressed in at most 8 bytes per allowed level of
-- nesting (512) is, because every level of nesting takes at least 8 bytes (arrays in arrays 65
-- deep take 520), so does every key (its entry and its value's: 64 keys at most, the lowest key
-- limit is 1,000), and its text is at most 6 times longer than its stored form (a control
-- character is 1 byte stored, 6 written as \u0001: 3 KB at most, the lowest size limit is 64 KB).
-- Nearly every submission's args and tags are that small, and pay only this test (inlined);
-- the others go through _json_problem. STABLE only because pg_column_size and
-- pg_column_compression are.
CREATE FUNCTION tasklib._json_small(value jsonb) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN pg_catalog.pg_column_size(value) <= 8 * (tasklib.limits()).max_json_depth
   AND pg_catalog.pg_column_compression(value) IS NULL;
COMMENT ON FUNCTION tasklib._json_small IS
    'Private: whether a JSON value is certainly within the size, depth and key limits of limits() (stored uncompressed in at most 512 bytes); false says nothing.';

-- The limits of limits() on a JSON value a caller sends (a task's args or tags): its size as JSON
-- text, how deep a value sits below the top, how many keys its objects hold; "what" names it in
-- the message. Writes the value's text (a few times) and walks it once with jsonpath; counts its
-- keys only when its text is long enough to hold too many (every key takes at least 4 bytes of
-- text). PL/pgSQL, so that the statements that call it for a value that is not _json_small do not
-- carry (and start up, on every execution) this expression inlined.
CREATE FUNCTION tasklib._json_problem(what text, value jsonb, max_bytes integer, max_keys integer)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    v_bytes integer;
    v_keys integer;
BEGIN
    IF value IS NULL OR tasklib._json_small(value) THEN
        RETURN NULL;
    END IF;
    v_bytes := octet_length(value::text);
    IF v_bytes > max_bytes THEN
        RETURN what || ' must be at most ' || max_bytes || ' bytes of JSON text, got ' || v_bytes;
    END IF;
    IF jsonb_path_exists(value, ('strict $.**{' || (tasklib.limits()).max_json_depth + 1 || '}')::jsonpath) THEN
        RETURN what || ' must not nest values more than ' || (tasklib.limits()).max_json_depth || ' levels deep';
    END IF;
    IF v_bytes > 4 * max_keys THEN
        v_keys := tasklib._json_key_count(value);
        IF v_keys > max_keys THEN
            RETURN what || ' must have at most ' || max_keys || ' keys (in all its objects together), got ' || v_keys;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION tasklib._json_problem IS
    'Private: what is wrong with a JSON value a caller sends (size as JSON text, nesting depth, key count; the bounds of limits()), naming it as "what", or NULL.';

-- Bounds the work of checking arguments against a task type's schema, before register_task_type
-- stores it: _schema_types (and so the compiled args_check and _args_problem) follows $ref into
-- $defs and every branch of anyOf/oneOf, up to 8 levels deep, so a small schema can expand to
-- millions of subschemas (60 branches 3 levels deep: 216,000, which took 3.9 s to compile). This
-- walks the same way, counting each subschema it visits and each required key, and stops as soon
-- as the count passes limits().max_schema_nodes, so it never does more than that much work.
CREATE FUNCTION tasklib._schema_problem(args_schema jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    v_limit integer := (tasklib.limits()).max_schema_nodes;
    v_defs jsonb := args_schema->'$defs';
    v_nodes integer := 0;
    v_stack jsonb[] := '{}';
    v_depths integer[] := '{}';
    v_node jsonb;
    v_depth integer;
    v_top integer;
    v_bytes integer;
    v_branches jsonb;
BEGIN
    IF args_schema IS NULL OR jsonb_typeof(args_schema) <> 'object' THEN
        RETURN NULL;
    END IF;
    v_bytes := octet_length(args_schema::text);
    IF v_bytes > (tasklib.limits()).max_schema_bytes THEN
        RETURN 'args_schema must be at most ' || (tasklib.limits()).max_schema_bytes
            || ' bytes of JSON text, got ' || v_bytes;
    END IF;
    IF jsonb_typeof(args_schema->'required') = 'array' THEN
        v_nodes := jsonb_array_length(args_schema->'required');
    END IF;
    IF jsonb_typeof(args_schema->'properties') = 'object' THEN
        v_stack := ARRAY(SELECT p.value FROM jsonb_each(args_schema->'properties') p);
        v_depths := array_fill(0, ARRAY[cardinality(v_stack)]);
    END IF;
    WHILE cardinality(v_stack) > 0 AND v_nodes <= v_limit LOOP
        v_top := cardinality(v_stack);
        v_node := v_stack[v_top];
        v_depth := v_depths[v_top];
        v_stack := v_stack[1:v_top - 1];
        v_depths := v_depths[1:v_top - 1];
        v_nodes := v_nodes + 1;
        -- The descent of _schema_types: the same branches, the same depth cap.
        CONTINUE WHEN jsonb_typeof(v_node) IS DISTINCT FROM 'object' OR v_depth > 8;
        IF v_node ? '$ref' THEN
            IF v_node->>'$ref' LIKE '#/$defs/%' AND v_defs IS NOT NULL THEN
                v_stack := v_stack || (v_defs -> substr(v_node->>'$ref', 9));
                v_depths := v_depths || (v_depth + 1);
            END IF;
        ELSIF jsonb_typeof(v_node->'type') IN ('string', 'array') THEN
            NULL;
        ELSIF jsonb_typeof(v_node->'anyOf') = 'array' OR jsonb_typeof(v_node->'oneOf') = 'array' THEN
            v_branches := coalesce(v_node->'anyOf', v_node->'oneOf');
            v_stack := v_stack || ARRAY(SELECT b FROM jsonb_array_elements(v_branches) b);
            v_depths := v_depths || array_fill(v_depth + 1, ARRAY[jsonb_array_length(v_branches)]);
        ELSIF jsonb_typeof(v_node->'allOf') = 'array' AND jsonb_array_length(v_node->'allOf') = 1 THEN
            v_stack := v_stack || (v_node->'allOf'->0);
            v_depths := v_depths || (v_depth + 1);
        END IF;
    END LOOP;
    IF v_nodes > v_limit THEN
        RETURN 'args_schema is too complex: checking arguments against it would expand to more than '
            || v_limit || ' subschemas and required keys (properties, anyOf/oneOf branches, $ref expansions)';
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION tasklib._schema_problem IS
    'Private: what makes an args_schema too large or too complex to check submissions against (limits().max_schema_bytes, max_schema_nodes), or NULL. Takes at most max_schema_nodes steps.';

-- The same test as _check_submission as one boolean expression: true when a submission passes
-- it, false or NULL when _check_submission would raise. A SQL function the planner inlines, so
-- submit and submit_many test every task without a PL/pgSQL call and only call
-- _check_submission, to name the problem, for a task that fails. validation is the value of
-- tasklib.submit_validation; type_known and args_check describe the registered task type.
-- The options go through _option_problem and args and tags through _json_small (else
-- _json_problem), as in _check_submission. STABLE, as _json_small is (the planner inlines STABLE
-- SQL functions too).
CREATE FUNCTION tasklib._submission_ok(
    name text, args jsonb, delay_seconds double precision, tags jsonb,
    max_retries integer, timeout_seconds double precision, queue text,
    backoff_base_seconds double precision,
    validation text, type_known boolean, args_check jsonpath
) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN name <> '' AND length(name) <= 255
   AND jsonb_typeof(args) = 'object' AND jsonb_typeof(tags) = 'object'
   AND tasklib._option_problem(max_retries => max_retries, timeout_seconds => timeout_seconds, queue => queue,
                               backoff_base_seconds => backoff_base_seconds,
                               delay_seconds => delay_seconds) IS NULL
   AND (tasklib._json_small(args)
        OR tasklib._json_problem('args', args, (tasklib.limits()).max_args_bytes, (tasklib.limits()).max_args_keys) IS NULL)
   AND (tasklib._json_small(tags)
        OR tasklib._json_problem('tags', tags, (tasklib.limits()).max_tags_bytes, (tasklib.limits()).max_tags_keys) IS NULL)
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
    backoff_base_seconds double precision,
    element_index bigint DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_mode text;
    v_check jsonpath;
    v_problem text;
    -- submit_many passes the task's position in its array; every message then starts with it.
    v_where text := CASE WHEN element_index IS NOT NULL THEN 'tasks[' || element_index || ']: ' ELSE '' END;
BEGIN
    IF name IS NULL OR name = '' THEN
        RAISE EXCEPTION '%task name must be a non-empty string', v_where USING ERRCODE = 'TL002';
    END IF;
    IF length(name) > 255 THEN
        RAISE EXCEPTION '%task name is longer than 255 characters', v_where USING ERRCODE = 'TL002';
    END IF;
    IF args IS NULL OR jsonb_typeof(args) <> 'object' THEN
        RAISE EXCEPTION '%args of task % must be a JSON object, got %', v_where, name,
            coalesce(jsonb_typeof(args), 'NULL') USING ERRCODE = 'TL002';
    END IF;
    IF tags IS NULL OR jsonb_typeof(tags) <> 'object' THEN
        RAISE EXCEPTION '%tags of task % must be a JSON object, got %', v_where, name,
            coalesce(jsonb_typeof(tags), 'NULL') USING ERRCODE = 'TL002';
    END IF;
    v_problem := coalesce(
        tasklib._option_problem(max_retries => max_retries, timeout_seconds => timeout_seconds,
                                queue => queue, backoff_base_seconds => backoff_base_seconds,
                                delay_seconds => delay_seconds),
        tasklib._json_problem('args', args, (tasklib.limits()).max_args_bytes, (tasklib.limits()).max_args_keys),
        tasklib._json_problem('tags', tags, (tasklib.limits()).max_tags_bytes, (tasklib.limits()).max_tags_keys));
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION '% (task %)', v_where || v_problem, name USING ERRCODE = 'TL002';
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
            RAISE EXCEPTION '%unknown task %: no task type of that name is registered', v_where, name
                USING ERRCODE = 'TL001',
                      HINT = 'Start a worker that defines it, or call tasklib.register_task_type; '
                             'tasklib.submit_validation = strict rejects unregistered names.';
        END IF;
        RETURN;
    END IF;

    IF v_check IS NOT NULL AND NOT jsonb_path_match(_check_submission.args, v_check) THEN
        RAISE EXCEPTION '%arguments of task % break its registered schema: %', v_where, name,
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
    'Private: raises TL002 naming the first invalid option, args or tags of a submission, TL005 naming the first argument that breaks the registered schema, TL001 for an unknown name when tasklib.submit_validation = strict. With a position (submit_many), every message starts with tasks[position]:.';

COMMIT;
