-- Deploy tasklib:queue_functions
-- The public SQL API of the queue. Every state change of a task happens in exactly one of these
-- functions, in one statement, so a crash between two steps cannot leave a task half-changed.
-- Domain errors carry SQLSTATEs of class TL (documented in docs/sql-api.md):
--   TL001 unknown task name, TL002 invalid argument, TL003 task not found,
--   TL004 invalid state for the operation, TL005 arguments do not match the task's schema,
--   TL006 a task type is registered with another definition (register_task_type).
BEGIN;

-- Delay before the next attempt: base x 2^retry_count seconds, capped. The exponent is bounded
-- because power() raises on overflow instead of returning infinity. STRICT: greatest() and
-- least() skip NULLs, so a NULL input would otherwise yield a made-up or uncapped delay. The
-- cap defaults to the global backoff_max_seconds.
CREATE FUNCTION tasklib.backoff_delay(
    base_seconds double precision,
    retry_count  integer,
    max_seconds  double precision DEFAULT (tasklib.task_defaults()).backoff_max_seconds
) RETURNS interval
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN make_interval(secs => least(max_seconds, base_seconds * power(2, least(greatest(retry_count, 0), 60))));
COMMENT ON FUNCTION tasklib.backoff_delay IS
    'Delay before the retry that follows a failed attempt: base_seconds * 2^retry_count, at most max_seconds.';

-- A task's deduplication key from its arguments, as its task type declares (unique_args): the
-- JSON array of those arguments' values (a missing one is null), so that ("a", "b|c") and
-- ("a|b", "c") differ. A long one is replaced by its md5, prefixed so that it cannot collide
-- with a short one. NULL when the type declares none.
CREATE FUNCTION tasklib._unique_key_of(args jsonb, unique_args text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (SELECT CASE WHEN length(k) > 255 THEN 'md5:' || md5(k) ELSE k END
          FROM (SELECT (SELECT jsonb_agg(args -> u.arg ORDER BY u.ord)
                          FROM unnest(unique_args) WITH ORDINALITY AS u(arg, ord))::text AS k) x);
COMMENT ON FUNCTION tasklib._unique_key_of IS
    'Private: the unique_key a task type''s unique_args make of a task''s arguments (a JSON array of their values; md5 beyond 255 characters); NULL without unique_args.';

-- What a submit whose unique key another task holds does, by its on_conflict policy:
--   return  (the default) the holder's id;
--   raise   TL007, naming the holder;
--   replace a holder that has not started yet (pending) takes the new arguments, tags,
--           priority and due time, and its id is returned; one that has started cannot be
--           replaced (TL007).
CREATE FUNCTION tasklib._unique_conflict(
    holder uuid, name text, key text, policy text, args jsonb, tags jsonb, priority integer,
    delay_seconds double precision
) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
    v_state text;
BEGIN
    IF policy = 'return' THEN
        RETURN holder;
    END IF;
    IF policy = 'replace' THEN
        UPDATE tasklib.tasks t
           SET args = _unique_conflict.args,
               tags = _unique_conflict.tags,
               priority = coalesce(_unique_conflict.priority, t.priority),
               scheduled_at = now() + make_interval(secs => _unique_conflict.delay_seconds)
         WHERE t.id = holder AND t.state = 'pending'
        RETURNING t.id INTO holder;
        IF FOUND THEN
            RETURN holder;
        END IF;
        SELECT t.state INTO v_state FROM tasklib.tasks t WHERE t.id = _unique_conflict.holder;
        RAISE EXCEPTION 'task % with unique key % is % (%): only a pending task can be replaced',
            name, key, coalesce(v_state, 'gone'), _unique_conflict.holder
            USING ERRCODE = 'TL007', DETAIL = format('holder: %s', _unique_conflict.holder);
    END IF;
    RAISE EXCEPTION 'task % with unique key % already exists: %', name, key, holder
        USING ERRCODE = 'TL007', DETAIL = format('holder: %s', holder);
END;
$$;
COMMENT ON FUNCTION tasklib._unique_conflict IS
    'Private (submit): resolve a unique-key conflict with the holding task by policy: return its id, raise TL007, or replace a pending holder''s arguments, tags, priority and due time.';

-- The first key of the advisory locks that order submits and waiting workers per queue (the
-- second is hashtext(queue)).
CREATE FUNCTION tasklib._wait_lock_class() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN hashtext('tasklib.queue_waits');
COMMENT ON FUNCTION tasklib._wait_lock_class IS
    'Private: the first key of the per-queue advisory locks of submit and wait_for_tasks.';

-- Wake the workers that wait for a queue's tasks, for a task just inserted into it: NOTIFY,
-- but only when one waits. A NOTIFY takes a global lock at commit that serialises every
-- notifying transaction (no group commit), so a submit that needs none is much cheaper.
--
-- The lost wake-up this must never allow: a worker about to wait (wait_for_tasks) sets the
-- queue's flag and then claims once more; a submit inserts its task and reads the flag. A
-- submit's row is invisible until it commits, so each side could miss the other. The queue's
-- advisory lock orders them: a submit holds it shared from here to its commit, and
-- wait_for_tasks takes it exclusive (or gives up: "look again soon") before it sets the flag.
-- So either the submit committed before the flag was set, and the worker's next claim sees
-- its task, or the submit took its lock after the flag's commit and, reading the flag in a
-- later statement (a newer snapshot, READ COMMITTED), sees it set. Under REPEATABLE READ or
-- SERIALIZABLE the snapshot may be older than the flag: always notify there.
--
-- The first submit to see the flag clears it; a submit that sees it while another in-flight
-- submit clears it notifies too (that one may roll back). A new queue's first task always
-- notifies: a worker waiting for every queue (wait_for_tasks(NULL)) did not know it. Delayed
-- tasks notify tasklib_delayed, which quiet workers hear to ask when it falls due; it leaves
-- the flag set, since it wakes nobody to claim.
CREATE FUNCTION tasklib._wake_workers(queue text, new_queue boolean, delayed boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_channel text := CASE WHEN delayed THEN 'tasklib_delayed' ELSE 'tasklib_submitted' END;
BEGIN
    IF new_queue OR current_setting('transaction_isolation') <> 'read committed' THEN
        PERFORM pg_notify(v_channel, queue);
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(tasklib._wait_lock_class(), hashtext(queue));
    IF NOT EXISTS (SELECT 1 FROM tasklib.queue_waits w WHERE w.queue = _wake_workers.queue AND w.armed) THEN
        RETURN;
    END IF;
    IF NOT delayed THEN
        UPDATE tasklib.queue_waits w SET armed = false
         WHERE w.queue IN (SELECT x.queue FROM tasklib.queue_waits x
                            WHERE x.queue = _wake_workers.queue AND x.armed
                              FOR NO KEY UPDATE SKIP LOCKED);
    END IF;
    PERFORM pg_notify(v_channel, queue);
END;
$$;
COMMENT ON FUNCTION tasklib._wake_workers IS
    'Private (submit): NOTIFY tasklib_submitted (tasklib_delayed if delayed) for queue when a worker waits for it (queue_waits, set by wait_for_tasks), a new queue, or outside READ COMMITTED; clears the flag it acts on.';

-- Queue one task. Each option left NULL takes the task type's value (tasklib.task_types), and
-- where that is NULL too (or there is no task type) the global default (tasklib.task_defaults()).
-- The task's submitted_by is the caller's login role: the column's default, session_user, which
-- this SECURITY DEFINER function does not change (current_user would be the owner).
--
-- Deduplication: a task with a unique_key (given, or made of the arguments its task type names)
-- is inserted unless an unfinished task of the same name holds the key: the INSERT's ON CONFLICT
-- on tasks_unique_idx decides, under the index's lock, so concurrent submitters of one key get
-- one task and every one its id. With unique_for_seconds the key also stays taken for that long
-- after the submit (tasklib.unique_windows), whether the task has finished or not.
CREATE FUNCTION tasklib.submit(
    name                 text,
    args                 jsonb DEFAULT '{}',
    delay_seconds        double precision DEFAULT 0,
    priority             integer DEFAULT NULL,
    tags                 jsonb DEFAULT '{}',
    max_retries          integer DEFAULT NULL,
    timeout_seconds      double precision DEFAULT NULL,
    queue                text DEFAULT NULL,
    backoff_base_seconds double precision DEFAULT NULL,
    limit_key            text DEFAULT NULL,
    unique_key           text DEFAULT NULL,
    on_conflict          text DEFAULT NULL,
    unique_for_seconds   double precision DEFAULT NULL,
    unique_args          text[] DEFAULT NULL,
    traceparent          text DEFAULT NULL
) RETURNS uuid
LANGUAGE plpgsql AS $$
-- ON CONFLICT names the index's columns, which are also parameter names: the columns are meant
-- (every parameter is written submit.x).
#variable_conflict use_column
DECLARE
    v_id uuid;
    v_queue text;
    v_type tasklib.task_types;
    v_key text;
    v_holder uuid;
    v_window double precision;
    v_new_queue boolean;
BEGIN
    IF submit.limit_key = '' OR length(submit.limit_key) > 255 THEN
        RAISE EXCEPTION 'limit_key must be a non-empty string of at most 255 characters, got %',
            quote_literal(left(submit.limit_key, 40)) USING ERRCODE = 'TL002';
    END IF;
    IF submit.unique_key = '' OR length(submit.unique_key) > 255 THEN
        RAISE EXCEPTION 'unique_key must be a non-empty string of at most 255 characters, got %',
            quote_literal(left(submit.unique_key, 40)) USING ERRCODE = 'TL002';
    END IF;
    IF submit.on_conflict NOT IN ('return', 'raise', 'replace') THEN
        RAISE EXCEPTION 'on_conflict must be return, raise or replace, got %', quote_literal(submit.on_conflict)
            USING ERRCODE = 'TL002';
    END IF;
    IF NOT (submit.unique_for_seconds > 0 AND submit.unique_for_seconds <= (tasklib.limits()).max_delay_seconds) THEN
        RAISE EXCEPTION 'unique_for_seconds must be a number of seconds > 0 and at most %, got %',
            (tasklib.limits()).max_delay_seconds, submit.unique_for_seconds USING ERRCODE = 'TL002';
    END IF;
    IF cardinality(submit.unique_args) NOT BETWEEN 1 AND 32 OR array_position(submit.unique_args, NULL) IS NOT NULL
       OR '' = ANY (submit.unique_args) THEN
        RAISE EXCEPTION 'unique_args must be 1 to 32 argument names, got %', submit.unique_args USING ERRCODE = 'TL002';
    END IF;
    IF length(submit.traceparent) > 128 THEN
        RAISE EXCEPTION 'traceparent must be a W3C traceparent (55 characters), got % characters',
            length(submit.traceparent) USING ERRCODE = 'TL002';
    END IF;

    -- One statement on the happy path: the checks ride in the INSERT's WHERE, next to the
    -- task type the options come from; the queue's row is added on first use and idle workers
    -- are woken in the same statement. No row inserted means a check failed, or (with a key)
    -- that an unfinished task holds the key. The planner folds each (tasklib.task_defaults()).x
    -- into a constant. A submitter that declares the task's key arguments itself (unique_args:
    -- the Python client does, from the task's definition) gets the same key whether the task
    -- type is registered yet or not.
    WITH inserted AS (
        INSERT INTO tasklib.tasks AS t (name, queue, limit_key, unique_key, args, priority, tags, max_retries,
                                        timeout_seconds, backoff_base_seconds, backoff_max_seconds, scheduled_at,
                                        traceparent)
        SELECT submit.name,
               coalesce(submit.queue, tt.queue, (tasklib.task_defaults()).queue),
               coalesce(submit.limit_key, submit.args ->> tt.limit_key_arg),
               coalesce(submit.unique_key,
                        CASE WHEN coalesce(submit.unique_args, tt.unique_args) IS NOT NULL
                             THEN tasklib._unique_key_of(submit.args, coalesce(submit.unique_args, tt.unique_args)) END),
               submit.args,
               coalesce(submit.priority, tt.priority, (tasklib.task_defaults()).priority),
               submit.tags,
               coalesce(submit.max_retries, tt.max_retries, (tasklib.task_defaults()).max_retries),
               coalesce(submit.timeout_seconds, tt.timeout_seconds),
               coalesce(submit.backoff_base_seconds, tt.backoff_base_seconds, (tasklib.task_defaults()).backoff_base_seconds),
               coalesce(tt.backoff_max_seconds, (tasklib.task_defaults()).backoff_max_seconds),
               -- Clamped so that a delay the WHERE refuses (infinite, NaN, too large) cannot fail
               -- here first: the planner folds make_interval over a parameter's value, before any
               -- WHERE runs, and "interval out of range" would hide the error that names the option.
               now() + make_interval(secs => least(greatest(submit.delay_seconds, 0), 3155760000)),
               submit.traceparent
          FROM (SELECT 1) AS one
          LEFT JOIN tasklib.task_types tt ON tt.name = submit.name
         WHERE tasklib._submission_ok(submit.name, submit.args, submit.delay_seconds, submit.tags,
                   submit.max_retries, submit.timeout_seconds, submit.queue, submit.backoff_base_seconds,
                   tasklib._submit_validation(),
                   tt.name IS NOT NULL, tt.args_check)
        ON CONFLICT (name, unique_key) WHERE unique_key IS NOT NULL AND NOT terminal DO NOTHING
        RETURNING t.id, t.queue, t.unique_key
    ),
    new_queue AS (
        INSERT INTO tasklib.queues AS q (name)
        SELECT i.queue FROM inserted i WHERE NOT EXISTS (SELECT 1 FROM tasklib.queues x WHERE x.name = i.queue)
        ON CONFLICT DO NOTHING
        RETURNING q.name
    )
    SELECT i.id, i.queue, i.unique_key, EXISTS (SELECT 1 FROM new_queue) INTO v_id, v_queue, v_key, v_new_queue
      FROM inserted i;

    IF v_id IS NULL THEN
        -- Raises the error that names the problem, if there is one.
        PERFORM tasklib._check_submission(submit.name, submit.args, submit.delay_seconds, submit.tags,
            submit.max_retries, submit.timeout_seconds, submit.queue, submit.backoff_base_seconds);
        SELECT * INTO v_type FROM tasklib.task_types tt WHERE tt.name = submit.name;
        v_key := coalesce(submit.unique_key,
                          tasklib._unique_key_of(submit.args, coalesce(submit.unique_args, v_type.unique_args)));
        IF v_key IS NULL THEN
            RAISE EXCEPTION 'task % was refused by _submission_ok but passed _check_submission', submit.name
                USING ERRCODE = 'XX000', HINT = 'The two checks disagree: a bug in TaskLib.';
        END IF;
        -- The ON CONFLICT waited for the holder's transaction; this statement's snapshot is newer.
        SELECT t.id INTO v_holder FROM tasklib.tasks t
         WHERE t.name = submit.name AND t.unique_key = v_key AND NOT t.terminal;
        IF v_holder IS NULL THEN
            -- It finished in between: the key is free now.
            RETURN tasklib.submit(submit.name, submit.args, submit.delay_seconds, submit.priority, submit.tags,
                submit.max_retries, submit.timeout_seconds, submit.queue, submit.backoff_base_seconds,
                submit.limit_key, v_key, submit.on_conflict, submit.unique_for_seconds, submit.unique_args,
                submit.traceparent);
        END IF;
        RETURN tasklib._unique_conflict(v_holder, submit.name, v_key,
            coalesce(submit.on_conflict, v_type.unique_on_conflict, 'return'),
            submit.args, submit.tags, submit.priority, submit.delay_seconds);
    END IF;

    IF v_key IS NOT NULL THEN
        SELECT * INTO v_type FROM tasklib.task_types tt WHERE tt.name = submit.name;
        v_window := coalesce(submit.unique_for_seconds, v_type.unique_for_seconds);
    END IF;
    IF v_key IS NOT NULL AND v_window IS NOT NULL THEN
        -- Take the key's window, unless a task submitted within it holds it (finished or not).
        INSERT INTO tasklib.unique_windows AS w (name, key, task_id, until)
        VALUES (submit.name, v_key, v_id, now() + make_interval(secs => v_window))
        ON CONFLICT ON CONSTRAINT unique_windows_pkey DO UPDATE
           SET task_id = excluded.task_id, until = excluded.until
         WHERE w.until <= now()
        RETURNING w.task_id INTO v_holder;
        IF v_holder IS NULL THEN
            -- This transaction's own row, never seen by another: undo it.
            DELETE FROM tasklib.tasks t WHERE t.id = v_id;
            SELECT w.task_id INTO v_holder FROM tasklib.unique_windows w
             WHERE w.name = submit.name AND w.key = v_key;
            RETURN tasklib._unique_conflict(v_holder, submit.name, v_key,
                coalesce(submit.on_conflict, v_type.unique_on_conflict, 'return'),
                submit.args, submit.tags, submit.priority, submit.delay_seconds);
        END IF;
    END IF;

    PERFORM tasklib._wake_workers(v_queue, v_new_queue, submit.delay_seconds > 0);
    RETURN v_id;
END;
$$;
COMMENT ON FUNCTION tasklib.submit IS
    'Queue one task and return its id. A NULL option takes the task type''s value, else the global default (task_defaults()); a NULL limit_key, the argument the task type names (limit_key_arg); a NULL unique_key, the one its unique_args make. A task whose unique_key an unfinished task of the same name holds (or, with unique_for_seconds, a task submitted within that window) is not queued: on_conflict return (default) gives the holder''s id, raise raises TL007, replace updates a pending holder. Adds the queue to tasklib.queues on first use. Wakes the workers that wait for the queue (wait_for_tasks) with NOTIFY tasklib_submitted (tasklib_delayed for a delayed task).';

-- Queue many tasks in one call: a JSON array of objects with the keys of submit's parameters.
-- A missing or null option is resolved as in submit: the task type's value, else the global default.
CREATE FUNCTION tasklib.submit_many(tasks jsonb) RETURNS SETOF uuid
LANGUAGE plpgsql AS $$
DECLARE
    v_position bigint;
    v_type text;
    v_key text;
    v_value jsonb;
    v_mode text;
    v_first_id uuid;
    v_bad_limit_key bigint;
    v_deduplicated boolean;
    v_known constant text[] := ARRAY['name', 'args', 'delay_seconds', 'priority', 'tags', 'max_retries',
                                     'timeout_seconds', 'queue', 'backoff_base_seconds', 'limit_key', 'unique_key',
                                     'on_conflict', 'unique_for_seconds', 'unique_args', 'traceparent'];
    -- Task types that deduplicate by their arguments: usually none, so no lookup per task.
    v_unique_names text[] := ARRAY(SELECT tt.name FROM tasklib.task_types tt WHERE tt.unique_args IS NOT NULL);
BEGIN
    IF tasks IS NULL OR jsonb_typeof(tasks) <> 'array' THEN
        RAISE EXCEPTION 'tasks must be a JSON array of objects, got %', coalesce(jsonb_typeof(tasks), 'NULL')
            USING ERRCODE = 'TL002';
    END IF;

    -- One pass over the batch finds the first element that is not an object or has an option
    -- that does not exist (a misspelt "delay" would otherwise be dropped without a word:
    -- removing the known keys leaves {} for a clean element), the first bad limit_key, and
    -- whether any task is deduplicated (a unique key or arguments, its own or its task type's).
    SELECT min(e.ord) FILTER (WHERE CASE WHEN jsonb_typeof(e.task) <> 'object' THEN true
                                         ELSE e.task - v_known <> '{}' END) - 1,
           min(e.ord) FILTER (WHERE jsonb_typeof(e.task) = 'object'
                                AND coalesce(jsonb_typeof(e.task -> 'limit_key'), 'null') <> 'null'
                                AND (jsonb_typeof(e.task -> 'limit_key') <> 'string' OR e.task ->> 'limit_key' = ''
                                     OR length(e.task ->> 'limit_key') > 255)) - 1,
           coalesce(bool_or(jsonb_typeof(e.task) = 'object'
                            AND (coalesce(jsonb_typeof(e.task -> 'unique_key'), 'null') <> 'null'
                                 OR coalesce(jsonb_typeof(e.task -> 'unique_args'), 'null') <> 'null'
                                 OR e.task ->> 'name' = ANY (v_unique_names))), false)
      INTO v_position, v_bad_limit_key, v_deduplicated
      FROM jsonb_array_elements(tasks) WITH ORDINALITY AS e(task, ord);
    v_type := jsonb_typeof(tasks -> v_position::integer);
    IF v_type <> 'object' THEN
        RAISE EXCEPTION 'tasks[%] must be a JSON object, got %', v_position, v_type USING ERRCODE = 'TL002';
    ELSIF v_type IS NOT NULL THEN
        SELECT k INTO v_key
          FROM jsonb_object_keys(tasks -> v_position::integer) AS k
         WHERE k <> ALL (v_known)
         LIMIT 1;
        RAISE EXCEPTION 'tasks[%] has unknown option "%"', v_position, v_key USING ERRCODE = 'TL002';
    END IF;
    IF v_bad_limit_key IS NOT NULL THEN
        RAISE EXCEPTION 'tasks[%].limit_key must be a non-empty string of at most 255 characters, got %',
            v_bad_limit_key, left((tasks -> v_bad_limit_key::integer -> 'limit_key')::text, 40) USING ERRCODE = 'TL002';
    END IF;

    -- Deduplicated tasks go one by one through submit, which resolves each key's conflict (a
    -- key repeated within the batch included); the batch stays one transaction.
    IF v_deduplicated THEN
        FOR v_position, v_value IN
            SELECT e.ord - 1, e.task FROM jsonb_array_elements(tasks) WITH ORDINALITY AS e(task, ord) ORDER BY e.ord
        LOOP
            BEGIN
                RETURN NEXT tasklib.submit(
                    v_value ->> 'name', coalesce(v_value -> 'args', '{}'),
                    coalesce((v_value ->> 'delay_seconds')::double precision, 0),
                    (v_value ->> 'priority')::integer, coalesce(v_value -> 'tags', '{}'),
                    (v_value ->> 'max_retries')::integer, (v_value ->> 'timeout_seconds')::double precision,
                    v_value ->> 'queue', (v_value ->> 'backoff_base_seconds')::double precision,
                    v_value ->> 'limit_key', v_value ->> 'unique_key', v_value ->> 'on_conflict',
                    (v_value ->> 'unique_for_seconds')::double precision,
                    CASE WHEN coalesce(jsonb_typeof(v_value -> 'unique_args'), 'null') <> 'null'
                         THEN ARRAY(SELECT jsonb_array_elements_text(v_value -> 'unique_args')) END,
                    v_value ->> 'traceparent');
            EXCEPTION WHEN OTHERS THEN
                RAISE EXCEPTION 'tasks[%]: %', v_position, SQLERRM USING ERRCODE = SQLSTATE;
            END;
        END LOOP;
        RETURN;
    END IF;

    -- Read once: _check_submission reads it per call.
    v_mode := tasklib._submit_validation();
    v_first_id := tasklib._uuid_v7();

    RETURN QUERY
    WITH input AS MATERIALIZED (
        SELECT tasklib._uuid_v7_step(v_first_id, e.ord - 1) AS id,
               e.ord,
               e.task->>'name' AS name,
               coalesce(e.task->'args', '{}') AS args,
               coalesce((e.task->>'delay_seconds')::double precision, 0) AS delay_seconds,
               (e.task->>'priority')::integer AS priority,
               coalesce(e.task->'tags', '{}') AS tags,
               (e.task->>'max_retries')::integer AS max_retries,
               (e.task->>'timeout_seconds')::double precision AS timeout_seconds,
               e.task->>'queue' AS queue,
               (e.task->>'backoff_base_seconds')::double precision AS backoff_base_seconds,
               e.task->>'limit_key' AS limit_key,
               left(e.task->>'traceparent', 128) AS traceparent
          FROM jsonb_array_elements(tasks) WITH ORDINALITY AS e(task, ord)
    ),
    checked AS MATERIALIZED (
        -- _submission_ok passes exactly the tasks _check_submission would pass, without a
        -- PL/pgSQL call per task; a task it does not pass (or cannot decide: NULLs) goes
        -- through _check_submission, which raises the error that names the problem. The LIMIT
        -- keeps the lookup a nested loop over the input in order (a plain join could reorder
        -- it), so the first bad task is the one reported.
        SELECT i.*, tt.queue AS tt_queue, tt.priority AS tt_priority, tt.max_retries AS tt_max_retries,
               tt.timeout_seconds AS tt_timeout_seconds, tt.backoff_base_seconds AS tt_backoff_base_seconds,
               tt.backoff_max_seconds AS tt_backoff_max_seconds, tt.limit_key_arg AS tt_limit_key_arg,
               CASE WHEN tasklib._submission_ok(i.name, i.args, i.delay_seconds, i.tags, i.max_retries,
                                                 i.timeout_seconds, i.queue, i.backoff_base_seconds,
                                                 v_mode, tt.name IS NOT NULL, tt.args_check)
                    THEN NULL
                    ELSE tasklib._check_submission(i.name, i.args, i.delay_seconds, i.tags, i.max_retries,
                                                   i.timeout_seconds, i.queue, i.backoff_base_seconds,
                                                   element_index => i.ord - 1)
               END AS ok
          FROM input i
          LEFT JOIN LATERAL (SELECT t.* FROM tasklib.task_types t WHERE t.name = i.name LIMIT 1) tt ON true
    ),
    inserted AS (
        INSERT INTO tasklib.tasks (id, name, queue, limit_key, args, priority, tags, max_retries, timeout_seconds,
                                   backoff_base_seconds, backoff_max_seconds, scheduled_at, traceparent)
        SELECT c.id, c.name, coalesce(c.queue, c.tt_queue, (tasklib.task_defaults()).queue),
               coalesce(c.limit_key, c.args ->> c.tt_limit_key_arg), c.args,
               coalesce(c.priority, c.tt_priority, (tasklib.task_defaults()).priority), c.tags,
               coalesce(c.max_retries, c.tt_max_retries, (tasklib.task_defaults()).max_retries),
               coalesce(c.timeout_seconds, c.tt_timeout_seconds),
               coalesce(c.backoff_base_seconds, c.tt_backoff_base_seconds, (tasklib.task_defaults()).backoff_base_seconds),
               coalesce(c.tt_backoff_max_seconds, (tasklib.task_defaults()).backoff_max_seconds),
               now() + make_interval(secs => c.delay_seconds),
               c.traceparent
          FROM checked c
        RETURNING queue
    ),
    woken AS (
        SELECT pg_notify('tasklib_submitted', q.queue) FROM (SELECT DISTINCT queue FROM inserted) q
    ),
    -- A queue exists from its first task on (tasklib.queues). Runs whether read or not.
    new_queues AS (
        INSERT INTO tasklib.queues (name)
        SELECT DISTINCT i.queue FROM inserted i
         WHERE NOT EXISTS (SELECT 1 FROM tasklib.queues q WHERE q.name = i.queue)
        ON CONFLICT DO NOTHING
    )
    SELECT c.id FROM checked c, (SELECT count(*) FROM woken) w ORDER BY c.ord;
EXCEPTION
    -- An option of the wrong JSON type (say "priority": "high", 1.5 or 1e10) fails its cast above,
    -- at whichever element the executor reached first. Only then, find and name the first one in
    -- input order: the happy path pays nothing for it.
    WHEN invalid_text_representation OR numeric_value_out_of_range THEN
        FOR v_position, v_key, v_value IN
            SELECT e.ord - 1, o.key, o.value
              FROM jsonb_array_elements(tasks) WITH ORDINALITY AS e(task, ord),
                   jsonb_each(e.task) AS o(key, value)
             WHERE o.key IN ('delay_seconds', 'priority', 'max_retries', 'timeout_seconds', 'backoff_base_seconds')
             ORDER BY e.ord, o.key
        LOOP
            BEGIN
                IF v_key IN ('priority', 'max_retries') THEN
                    PERFORM (v_value #>> '{}')::integer;
                ELSE
                    PERFORM (v_value #>> '{}')::double precision;
                END IF;
            EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
                RAISE EXCEPTION 'tasks[%].% must be %, got %', v_position, v_key,
                    CASE WHEN v_key IN ('priority', 'max_retries')
                         THEN 'an integer from -2147483648 to 2147483647' ELSE 'a number' END,
                    CASE WHEN length(v_value::text) > 40 THEN left(v_value::text, 37) || '...' ELSE v_value::text END
                    USING ERRCODE = 'TL002';
            END;
        END LOOP;
        RAISE EXCEPTION 'an option in tasks has the wrong type: %', SQLERRM USING ERRCODE = 'TL002';
END;
$$;
COMMENT ON FUNCTION tasklib.submit_many IS
    'Queue many tasks in one call from a JSON array of objects keyed like submit''s parameters (a missing or null option is resolved as in submit); returns the ids in input order.';

-- Fail running tasks whose lease has passed, under the usual retry rules. Workers call it from
-- claim, so recovery needs no cron; an advisory lock keeps concurrent claimers from doing it twice.
CREATE FUNCTION tasklib.recover_expired(max_tasks integer DEFAULT 1000) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_count integer;
BEGIN
    -- Usually no lease has expired: say so after one probe of the lease index, without the
    -- advisory lock and without starting the UPDATE below, whose start-up alone (it prepares
    -- the generated columns of tasks) costs more than the probe.
    IF NOT EXISTS (SELECT 1 FROM tasklib.tasks t WHERE t.state = 'running' AND t.locked_until < now()) THEN
        RETURN 0;
    END IF;
    IF NOT pg_try_advisory_xact_lock(hashtext('tasklib.recover_expired')) THEN
        RETURN 0;
    END IF;
    WITH expired AS (
        SELECT t.id FROM tasklib.tasks t
         WHERE t.state = 'running' AND t.locked_until < now()
         ORDER BY t.locked_until
         LIMIT recover_expired.max_tasks
           FOR NO KEY UPDATE SKIP LOCKED
    ),
    failed AS (
        UPDATE tasklib.tasks t
           SET state = tasklib._state_after_attempt('failed', t.cancel_requested_at),
               error = format('lease expired: worker %s presumed dead', t.worker_id),
               failures = tasklib._failures_after(t.failures, t.attempt, t.worker_id, t.started_at,
                                                  format('lease expired: worker %s presumed dead', t.worker_id)),
               locked_until = NULL,
               lease_token = NULL,
               -- t.terminal is the running row's (false): ask the rule about the row it becomes.
               next_retry_at = CASE WHEN NOT tasklib.is_terminal(tasklib._state_after_attempt('failed', t.cancel_requested_at),
                                                                 t.retry_count, t.max_retries)
                   THEN now() + tasklib.backoff_delay(t.backoff_base_seconds, t.retry_count, t.backoff_max_seconds) END,
               completed_at = CASE WHEN tasklib.is_terminal(tasklib._state_after_attempt('failed', t.cancel_requested_at),
                                                            t.retry_count, t.max_retries) THEN now() END
          FROM expired e
         WHERE t.id = e.id
        RETURNING t.id, t.terminal
    ),
    notified AS (
        SELECT pg_notify('tasklib_finished', string_agg(f.id::text, ','))
          FROM (SELECT id, (row_number() OVER () - 1) / 200 AS chunk FROM failed WHERE terminal) f
         GROUP BY f.chunk
    )
    SELECT count(*) INTO v_count FROM failed, (SELECT count(*) FROM notified) n;
    RETURN v_count;
END;
$$;
COMMENT ON FUNCTION tasklib.recover_expired IS
    'Fail running tasks whose lease has expired (worker presumed dead), scheduling retries as usual; returns how many. Called by claim.';

-- Plans. claim, complete, fail and heartbeat run with plan_cache_mode = force_generic_plan: the
-- plan of each of their statements is the same whatever the arguments (the claim index in
-- order, with a LIMIT; the primary key for a list of ids), and PL/pgSQL otherwise rebuilt a
-- custom plan on every call, because the generic plan's estimate (a LIMIT of 10% of the due
-- tasks, 10 ids) looks dearer than one for n = 1: ~100 us of server CPU per claim, the largest
-- part of a claim of one task. sqltests/claim/test_plan.sql and the test_plan files of the
-- other three check the generic plans against a large backlog and stale statistics.

-- Take up to n runnable tasks for a worker, under a lease. lease_token fences the attempts this
-- call starts: complete, fail, heartbeat and release change a task only for a caller presenting
-- it. The worker should choose it (a fresh random uuid per call), so that it still knows it when
-- the answer is lost with the connection and can release exactly those tasks; NULL draws one
-- here, once per call. Every claim adds 1 to the task's attempt.
-- The tasks a claim may start from one queue that has limits (or keys blocked now), at most n:
-- their row ids and due times, in claim order. Runs under the queue's row lock, taken here and
-- held until the claim commits, so the claimers of a limited queue take turns: each counts the
-- running tasks after the one before it committed, and a limit holds with any number of
-- workers. (Queues without limits are never locked: claim reads them in one statement.) Spends
-- the tokens of the queue's and the keys' rate buckets for the tasks it chooses.
--
-- Per-key limits: keys at their running limit, suspended, or with an empty bucket are left out
-- of the scan by the index on queue_keys and a count of the queue's running tasks, so a claim
-- does not read every key; a key that reaches its limit within this call is left out of the
-- next round of the scan. Tasks are taken in claim order among the keys that may start, so a
-- key with a long backlog holds at most its limit and the other keys' tasks go past it.
CREATE FUNCTION tasklib._choose_limited(queue_name text, n integer, names text[] DEFAULT NULL)
RETURNS TABLE (row_id tid, due_at timestamptz)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    q tasklib.queues;
    v_budget integer := n;
    v_tokens double precision;
    v_running jsonb := '{}';         -- key -> its running tasks, under a per-key concurrency limit
    v_key_tokens jsonb := '{}';      -- key -> its bucket's level, under a per-key rate limit
    v_blocked text[] := '{}';        -- keys that could start nothing at the start of this call
    v_filled text[] := '{}';         -- keys that filled up during it (few: at most n)
    v_rows tid[] := '{}';
    v_due timestamptz[] := '{}';
    v_keys text[] := '{}';
    v_wanted integer;
    v_seen integer;
    v_count integer;
    v_level double precision;
    r record;
BEGIN
    SELECT * INTO q FROM tasklib.queues WHERE name = queue_name FOR NO KEY UPDATE;
    IF NOT FOUND OR q.paused OR q.suspended_until > now() THEN
        RETURN;
    END IF;
    IF q.concurrency_limit IS NOT NULL THEN
        v_budget := least(v_budget, q.concurrency_limit
            - (SELECT count(*) FROM tasklib.tasks t WHERE t.state = 'running' AND t.queue = queue_name)::integer);
    END IF;
    IF q.rate_limit IS NOT NULL THEN
        v_tokens := tasklib._bucket_level(q.tokens, q.tokens_at, q.rate_limit, q.rate_period_seconds, q.rate_burst);
        v_budget := least(v_budget, floor(v_tokens)::integer);
    END IF;
    IF v_budget <= 0 THEN
        RETURN;
    END IF;

    IF q.key_concurrency_limit IS NULL AND q.key_rate_limit IS NULL
       AND (q.keys_blocked_until IS NULL OR q.keys_blocked_until <= now()) THEN
        -- No rule per key: the first v_budget due tasks, as an unlimited queue's claim takes them.
        SELECT array_agg(c.row_id ORDER BY c.ord), array_agg(c.run_at ORDER BY c.ord)
          INTO v_rows, v_due
          FROM (SELECT t.ctid AS row_id, t.run_at, row_number() OVER () AS ord
                  FROM (SELECT t.ctid, t.run_at FROM tasklib.tasks t
                         WHERE t.queue = queue_name AND t.run_at <= now()
                           AND (_choose_limited.names IS NULL OR t.name = ANY (_choose_limited.names))
                         ORDER BY t.priority DESC, t.run_at, t.created_at
                         LIMIT v_budget
                           FOR NO KEY UPDATE SKIP LOCKED) t) c;
        v_rows := coalesce(v_rows, '{}');
        v_due := coalesce(v_due, '{}');
    ELSE
        -- The keys at their limit go to v_blocked, which the scan reads as a hashed set (it may
        -- hold a key per running task); only keys with room left but some running are counted
        -- one by one (under a limit of 1, none).
        IF q.key_concurrency_limit IS NOT NULL THEN
            SELECT coalesce(jsonb_object_agg(k.limit_key, k.running) FILTER (WHERE k.running < q.key_concurrency_limit), '{}'),
                   coalesce(array_agg(k.limit_key) FILTER (WHERE k.running >= q.key_concurrency_limit), '{}')
              INTO v_running, v_blocked
              FROM (SELECT t.limit_key, count(*) AS running FROM tasklib.tasks t
                     WHERE t.state = 'running' AND t.queue = queue_name AND t.limit_key IS NOT NULL
                     GROUP BY t.limit_key) k;
        END IF;
        v_blocked := v_blocked || ARRAY(SELECT k.key FROM tasklib.queue_keys k
                                         WHERE k.queue = queue_name AND k.blocked_until > now());
        -- Rounds: each scans in claim order past the blocked and filled keys for what is still
        -- wanted. A round that skips a task (its key filled up in this round) leaves that key
        -- out of the next; one that finds fewer tasks than wanted has seen them all.
        LOOP
            v_wanted := v_budget - cardinality(v_rows);
            v_seen := 0;
            FOR r IN
                SELECT t.ctid AS row_id, t.run_at, t.limit_key FROM tasklib.tasks t
                 WHERE t.queue = queue_name AND t.run_at <= now()
                   AND (_choose_limited.names IS NULL OR t.name = ANY (_choose_limited.names))
                   AND (t.limit_key IS NULL
                        OR (t.limit_key NOT IN (SELECT unnest(v_blocked)) AND t.limit_key <> ALL (v_filled)))
                   AND t.ctid <> ALL (v_rows)
                 ORDER BY t.priority DESC, t.run_at, t.created_at
                 LIMIT v_wanted
            LOOP
                v_seen := v_seen + 1;
                IF r.limit_key IS NOT NULL THEN
                    CONTINUE WHEN r.limit_key = ANY (v_filled);
                    IF q.key_rate_limit IS NOT NULL THEN
                        IF NOT v_key_tokens ? r.limit_key THEN
                            SELECT tasklib._bucket_level(k.tokens, k.tokens_at, q.key_rate_limit,
                                                         q.key_rate_period_seconds, q.key_rate_burst)
                              INTO v_level
                              FROM tasklib.queue_keys k WHERE k.queue = queue_name AND k.key = r.limit_key;
                            v_key_tokens := v_key_tokens || jsonb_build_object(r.limit_key, coalesce(v_level, q.key_rate_burst));
                        END IF;
                        v_level := (v_key_tokens ->> r.limit_key)::double precision;
                        IF v_level < 1 THEN
                            v_filled := v_filled || r.limit_key;
                            CONTINUE;
                        END IF;
                        v_key_tokens := v_key_tokens || jsonb_build_object(r.limit_key, v_level - 1);
                        IF v_level - 1 < 1 THEN
                            v_filled := v_filled || r.limit_key;
                        END IF;
                    END IF;
                    IF q.key_concurrency_limit IS NOT NULL THEN
                        v_count := coalesce((v_running ->> r.limit_key)::integer, 0) + 1;
                        IF v_count >= q.key_concurrency_limit THEN
                            v_filled := v_filled || r.limit_key;
                        ELSE
                            v_running := v_running || jsonb_build_object(r.limit_key, v_count);
                        END IF;
                    END IF;
                END IF;
                v_rows := v_rows || r.row_id;
                v_due := v_due || r.run_at;
                v_keys := v_keys || r.limit_key;
            END LOOP;
            EXIT WHEN cardinality(v_rows) >= v_budget OR v_seen < v_wanted;
        END LOOP;

        IF q.key_rate_limit IS NOT NULL AND cardinality(v_rows) > 0 THEN
            INSERT INTO tasklib.queue_keys AS k (queue, key, tokens, tokens_at, blocked_until)
            SELECT queue_name, b.key, b.level, now(),
                   tasklib._bucket_ready_at(b.level, q.key_rate_limit, q.key_rate_period_seconds)
              FROM (SELECT e.key, e.value::double precision AS level
                      FROM jsonb_each_text(v_key_tokens) e
                     WHERE e.key = ANY (v_keys)) b
            ON CONFLICT ON CONSTRAINT queue_keys_pkey DO UPDATE
               SET tokens = excluded.tokens,
                   tokens_at = excluded.tokens_at,
                   blocked_until = greatest(k.suspended_until, excluded.blocked_until);
        END IF;
    END IF;

    IF q.rate_limit IS NOT NULL AND cardinality(v_rows) > 0 THEN
        UPDATE tasklib.queues
           SET tokens = v_tokens - cardinality(v_rows), tokens_at = now()
         WHERE name = queue_name;
    END IF;
    RETURN QUERY SELECT * FROM unnest(v_rows, v_due);
END;
$$;
COMMENT ON FUNCTION tasklib._choose_limited IS
    'Private (claim): the row ids of at most n tasks of a queue with limits that may start now under its concurrency, per-key and rate limits, holding the queue''s row lock until the caller commits; spends their rate tokens.';

CREATE FUNCTION tasklib.claim(
    worker        text,
    n             integer DEFAULT 1,
    queues        text[] DEFAULT NULL,
    lease_seconds double precision DEFAULT 60,
    lease_token   uuid DEFAULT NULL,
    names         text[] DEFAULT NULL
) RETURNS SETOF tasklib.tasks
LANGUAGE plpgsql
-- See "Plans" above: the one plan of each statement, whatever the arguments.
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_token uuid := coalesce(claim.lease_token, pg_catalog.gen_random_uuid());
    v_problem text;
    v_free text[];
    v_limited text[];
    v_queue text;
    v_rows tid[] := '{}';
    v_due timestamptz[] := '{}';
    v_chosen_rows tid[];
    v_chosen_due timestamptz[];
BEGIN
    IF worker IS NULL OR worker = '' THEN
        RAISE EXCEPTION 'worker must be a non-empty string' USING ERRCODE = 'TL002';
    END IF;
    IF n IS NULL OR n < 0 THEN
        RAISE EXCEPTION 'n must be >= 0, got %', n USING ERRCODE = 'TL002';
    END IF;
    v_problem := tasklib._option_problem(lease_seconds => claim.lease_seconds);
    IF lease_seconds IS NULL OR v_problem IS NOT NULL THEN
        RAISE EXCEPTION '%', coalesce(v_problem, 'lease_seconds must be a number > 0 and at most 86400 (1 day), got NULL')
            USING ERRCODE = 'TL002';
    END IF;

    PERFORM tasklib.recover_expired();

    -- The queues this call may start tasks of now: those asked for (NULL: all) in tasklib.queues,
    -- which holds every queue a task was ever submitted to (submit adds it), minus the paused
    -- and suspended ones, whose backlog is then never scanned. Queues with limits (or keys
    -- blocked now) go one by one through _choose_limited, first: they take at most their
    -- budget, and would otherwise wait behind the others' backlogs. The rest are read together,
    -- each by its own range of the claim index. (Listing the queues from the claim index
    -- instead, by a skip scan, cost a second walk over the index entries that claims leave
    -- dead at the head of each queue's range: +40% per claim.)
    SELECT coalesce(array_agg(q.name ORDER BY q.name) FILTER (WHERE NOT q.limited AND NOT coalesce(q.keys_blocked_until > now(), false)), '{}'),
           coalesce(array_agg(q.name ORDER BY q.name) FILTER (WHERE q.limited OR q.keys_blocked_until > now()), '{}')
      INTO v_free, v_limited
      FROM tasklib.queues q
     WHERE (claim.queues IS NULL OR q.name = ANY (claim.queues))
       AND NOT q.paused
       AND (q.suspended_until IS NULL OR q.suspended_until <= now());

    -- A claim for some task names only (a worker that met tasks it has no code for) reads every
    -- queue as a limited one, through _choose_limited, which filters by name. The statement
    -- below has no name test: a test of a parameter in its scan, even a NULL one, changed the
    -- generic plan's estimates enough to join the chosen rows in a nested loop, n x n
    -- comparisons (a fifth of a no-op drain's throughput).
    IF claim.names IS NOT NULL THEN
        v_limited := v_limited || v_free;
        v_free := '{}';
    END IF;

    FOREACH v_queue IN ARRAY v_limited LOOP
        EXIT WHEN cardinality(v_rows) >= claim.n;
        SELECT coalesce(array_agg(c.row_id), '{}'), coalesce(array_agg(c.due_at), '{}')
          INTO v_chosen_rows, v_chosen_due
          FROM tasklib._choose_limited(v_queue, claim.n - cardinality(v_rows), claim.names) c;
        v_rows := v_rows || v_chosen_rows;
        v_due := v_due || v_chosen_due;
    END LOOP;

    RETURN QUERY
    WITH due AS (
        SELECT f.row_id, f.run_at FROM (
            -- The row's ctid is stable while the row lock holds it, and reaching the row by it
            -- skips a primary-key probe per claimed task. FOR NO KEY UPDATE, the lock the UPDATE
            -- below takes anyway (it changes no key column): it does not block a foreign key's
            -- KEY SHARE. Each queue's best n, then the best n of those.
            SELECT c.row_id, c.run_at, c.priority, c.created_at
              FROM unnest(v_free) AS fq(name)
             CROSS JOIN LATERAL (
                   SELECT t.ctid AS row_id, t.run_at, t.priority, t.created_at FROM tasklib.tasks t
                    WHERE t.queue = fq.name AND t.run_at <= now()
                    ORDER BY t.priority DESC, t.run_at, t.created_at
                    LIMIT claim.n - cardinality(v_rows)
                      FOR NO KEY UPDATE SKIP LOCKED) c
             ORDER BY c.priority DESC, c.run_at, c.created_at
             LIMIT claim.n - cardinality(v_rows)) f
        UNION ALL
        SELECT l.row_id, l.run_at FROM unnest(v_rows, v_due) AS l(row_id, run_at)
    ),
    claimed AS (
        UPDATE tasklib.tasks t
           SET state = 'running',
               worker_id = claim.worker,
               attempt = t.attempt + 1,
               lease_token = v_token,
               started_at = now(),
               locked_until = now() + make_interval(secs => claim.lease_seconds),
               -- Leaving 'failed' means a retry starts now.
               retry_count = t.retry_count + CASE WHEN t.state = 'failed' THEN 1 ELSE 0 END,
               next_retry_at = NULL,
               progress = NULL
          FROM due
         -- The ARRAY form makes a TID scan certain; a join on ctid may plan a sequential scan.
         WHERE t.ctid = ANY (ARRAY(SELECT d.row_id FROM due d)) AND t.ctid = due.row_id
        -- run_at is NULL once running, so keep the due time to return rows in claim order.
        RETURNING t.*, due.run_at AS due_at
    )
    -- Plain columns, not a whole-row value expanded again: one field access per column.
    SELECT c.id, c.name, c.queue, c.limit_key, c.unique_key, c.args, c.state, c.priority, c.tags, c.traceparent, c.result,
           c.progress, c.error, c.failures,
           c.retry_count, c.max_retries, c.max_retries_submitted, c.timeout_seconds, c.backoff_base_seconds,
           c.backoff_max_seconds, c.scheduled_at, c.next_retry_at, c.started_at, c.completed_at,
           c.created_at, c.submitted_by, c.worker_id, c.cancel_requested_at, c.cancelled_by, c.cancel_reason,
           c.attempt, c.lease_token, c.locked_until, c.run_at,
           c.terminal
      FROM claimed c ORDER BY c.priority DESC, c.due_at, c.created_at;
END;
$$;
COMMENT ON FUNCTION tasklib.claim IS
    'Take up to n runnable tasks (highest priority, then earliest due, then oldest) of queues (NULL: all) and task names (NULL: all; a worker passes the names it can run) for worker, leased for lease_seconds (at most 1 day) under lease_token (NULL: a random one, the same for every task of the call), which complete, fail, heartbeat and release require. Skips rows other claimers hold, paused and suspended queues, and what a queue''s limits (tasklib.queues) do not allow now.';

-- Record results. Fenced by attempt: a task changes only while it runs under the lease token the
-- caller presents for it (one per id, the token of the claim that took it) and its lease has not
-- expired. A worker whose attempt is over (lease expired, whether or not recover_expired has
-- failed the task yet, or the task claimed again since) gets nothing back for that id and changes
-- nothing.
--
-- The plan reaches each row through the primary key, whatever the statistics say:
--   - the WHERE names the ids (t.id = ANY) and tests the lease token, never the state. A running
--     task is the only kind with a token (CHECK tasks_lease_token_running), so the token test
--     implies the state, but the lease index, partial on state = 'running', is then no
--     candidate: with it, stale statistics once made the planner scan the whole lease index
--     (and, with a long transaction open, every dead entry in it) to complete one task. A
--     sequential scan would test "= ANY" on every row, which the planner prices accordingly;
--   - there is no join: each row finds its token and result at its id's position in the arrays
--     (array_position). Joined to unnest(ids, ...), the generic plan PL/pgSQL caches (which
--     guesses 10 ids) paired the rows in a nested loop, n x n comparisons: 100 ids cost 13 us
--     more per task than this lookup, which costs about 2.5 us more per task at 1,000 ids.
CREATE FUNCTION tasklib.complete(
    worker       text,
    ids          uuid[],
    lease_tokens uuid[],
    results      jsonb[] DEFAULT NULL
) RETURNS SETOF uuid
LANGUAGE plpgsql
-- See "Plans" above: the one plan of each statement, whatever the arguments.
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF worker IS NULL OR worker = '' THEN
        RAISE EXCEPTION 'worker must be a non-empty string' USING ERRCODE = 'TL002';
    END IF;
    IF ids IS NULL THEN
        RAISE EXCEPTION 'complete needs an array of task ids, got NULL' USING ERRCODE = 'TL002';
    END IF;
    IF lease_tokens IS NULL OR cardinality(lease_tokens) <> cardinality(ids) THEN
        RAISE EXCEPTION 'complete got % ids but % lease tokens', cardinality(ids),
            coalesce(cardinality(lease_tokens)::text, 'NULL') USING ERRCODE = 'TL002';
    END IF;
    IF results IS NOT NULL AND cardinality(results) <> cardinality(ids) THEN
        RAISE EXCEPTION 'complete got % ids but % results', cardinality(ids), cardinality(results)
            USING ERRCODE = 'TL002';
    END IF;

    RETURN QUERY
    WITH done AS (
        UPDATE tasklib.tasks t
           SET state = 'completed',
               result = jsonb_build_object('value', coalesce(complete.results[array_position(complete.ids, t.id)],
                                                             'null'::jsonb)),
               error = NULL,
               completed_at = now(),
               locked_until = NULL,
               lease_token = NULL,
               next_retry_at = NULL
         WHERE t.id = ANY (complete.ids)
           AND t.lease_token = complete.lease_tokens[array_position(complete.ids, t.id)]
           AND t.worker_id = complete.worker
           AND t.locked_until > now()
        RETURNING t.id
    ),
    notified AS (
        SELECT pg_notify('tasklib_finished', string_agg(d.id::text, ','))
          FROM (SELECT id, (row_number() OVER () - 1) / 200 AS chunk FROM done) d
         GROUP BY d.chunk
    )
    SELECT d.id FROM done d, (SELECT count(*) FROM notified) n;
END;
$$;
COMMENT ON FUNCTION tasklib.complete IS
    'Mark tasks completed with their results (stored as {"value": result}). A task changes only while it runs under worker with the lease token given for it (one per id) and an unexpired lease. Returns the ids completed.';

-- Record failed attempts: schedule the retry, or make the failure terminal. Fenced and planned
-- like complete.
CREATE FUNCTION tasklib.fail(
    worker       text,
    ids          uuid[],
    lease_tokens uuid[],
    errors       text[],
    retryable    boolean[] DEFAULT NULL
) RETURNS TABLE (id uuid, state text, next_retry_at timestamptz)
LANGUAGE plpgsql
-- See "Plans" above: the one plan of each statement, whatever the arguments.
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF worker IS NULL OR worker = '' THEN
        RAISE EXCEPTION 'worker must be a non-empty string' USING ERRCODE = 'TL002';
    END IF;
    IF ids IS NULL THEN
        RAISE EXCEPTION 'fail needs an array of task ids, got NULL' USING ERRCODE = 'TL002';
    END IF;
    IF lease_tokens IS NULL OR cardinality(lease_tokens) <> cardinality(ids) THEN
        RAISE EXCEPTION 'fail got % ids but % lease tokens', cardinality(ids),
            coalesce(cardinality(lease_tokens)::text, 'NULL') USING ERRCODE = 'TL002';
    END IF;
    IF errors IS NULL OR cardinality(errors) <> cardinality(ids) THEN
        RAISE EXCEPTION 'fail got % ids but % errors', cardinality(ids), coalesce(cardinality(errors)::text, 'NULL')
            USING ERRCODE = 'TL002';
    END IF;
    IF retryable IS NOT NULL AND cardinality(retryable) <> cardinality(ids) THEN
        RAISE EXCEPTION 'fail got % ids but % retryable flags', cardinality(ids), cardinality(retryable)
            USING ERRCODE = 'TL002';
    END IF;

    RETURN QUERY
    WITH failed AS (
        UPDATE tasklib.tasks t
           SET state = tasklib._state_after_attempt('failed', t.cancel_requested_at),
               error = fail.errors[array_position(fail.ids, t.id)],
               failures = tasklib._failures_after(t.failures, t.attempt, t.worker_id, t.started_at,
                                                  fail.errors[array_position(fail.ids, t.id)]),
               locked_until = NULL,
               lease_token = NULL,
               -- A failure that must not be retried spends the remaining retries, so that
               -- is_terminal needs no other input than state, retry_count and max_retries.
               -- t.terminal is the running row's (false): the CASEs ask the rule about the
               -- failed row with the max_retries it had. (retryable NULL, the usual case, means
               -- every failure may be retried, without looking its flag up.)
               max_retries = CASE WHEN fail.retryable IS NULL
                                       OR coalesce(fail.retryable[array_position(fail.ids, t.id)], true)
                                  THEN t.max_retries
                                  ELSE least(t.max_retries, t.retry_count) END,
               max_retries_submitted = CASE WHEN fail.retryable IS NULL
                                                 OR coalesce(fail.retryable[array_position(fail.ids, t.id)], true)
                                                 OR tasklib.is_terminal('failed', t.retry_count, t.max_retries)
                                            THEN t.max_retries_submitted
                                            ELSE coalesce(t.max_retries_submitted, t.max_retries) END,
               next_retry_at = CASE WHEN (fail.retryable IS NULL
                                          OR coalesce(fail.retryable[array_position(fail.ids, t.id)], true))
                                         AND NOT tasklib.is_terminal(tasklib._state_after_attempt('failed', t.cancel_requested_at),
                                                                     t.retry_count, t.max_retries)
                   THEN now() + tasklib.backoff_delay(t.backoff_base_seconds, t.retry_count, t.backoff_max_seconds) END,
               completed_at = CASE WHEN (fail.retryable IS NULL
                                         OR coalesce(fail.retryable[array_position(fail.ids, t.id)], true))
                                        AND NOT tasklib.is_terminal(tasklib._state_after_attempt('failed', t.cancel_requested_at),
                                                                    t.retry_count, t.max_retries)
                   THEN NULL ELSE now() END
         WHERE t.id = ANY (fail.ids)
           AND t.lease_token = fail.lease_tokens[array_position(fail.ids, t.id)]
           AND t.worker_id = fail.worker
           AND t.locked_until > now()
        RETURNING t.id, t.state, t.next_retry_at, t.terminal
    ),
    notified AS (
        SELECT pg_notify('tasklib_finished', string_agg(x.id::text, ','))
          FROM (SELECT f.id, (row_number() OVER () - 1) / 200 AS chunk FROM failed f
                 WHERE f.terminal) x
         GROUP BY x.chunk
    )
    SELECT f.id, f.state, f.next_retry_at FROM failed f, (SELECT count(*) FROM notified) n;
END;
$$;
COMMENT ON FUNCTION tasklib.fail IS
    'Record failed attempts with their errors: schedule a retry after backoff_delay, or make the failure terminal (retries spent, or retryable = false). A task changes only while it runs under worker with the lease token given for it (one per id) and an unexpired lease.';

-- Extend the leases of tasks a live worker is still running. Fenced and planned like complete: an
-- expired lease is not extended (the task is lost to its worker, recovered or not yet).
CREATE FUNCTION tasklib.heartbeat(
    worker        text,
    ids           uuid[],
    lease_tokens  uuid[],
    lease_seconds double precision DEFAULT 60
) RETURNS SETOF uuid
LANGUAGE plpgsql
-- See "Plans" above: the one plan of each statement, whatever the arguments.
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_problem text;
BEGIN
    IF worker IS NULL OR worker = '' THEN
        RAISE EXCEPTION 'worker must be a non-empty string' USING ERRCODE = 'TL002';
    END IF;
    IF ids IS NULL THEN
        RAISE EXCEPTION 'heartbeat needs an array of task ids, got NULL' USING ERRCODE = 'TL002';
    END IF;
    IF lease_tokens IS NULL OR cardinality(lease_tokens) <> cardinality(ids) THEN
        RAISE EXCEPTION 'heartbeat got % ids but % lease tokens', cardinality(ids),
            coalesce(cardinality(lease_tokens)::text, 'NULL') USING ERRCODE = 'TL002';
    END IF;
    v_problem := tasklib._option_problem(lease_seconds => heartbeat.lease_seconds);
    IF lease_seconds IS NULL OR v_problem IS NOT NULL THEN
        RAISE EXCEPTION '%', coalesce(v_problem, 'lease_seconds must be a number > 0 and at most 86400 (1 day), got NULL')
            USING ERRCODE = 'TL002';
    END IF;
    RETURN QUERY
    UPDATE tasklib.tasks t
       SET locked_until = now() + make_interval(secs => heartbeat.lease_seconds)
     WHERE t.id = ANY (heartbeat.ids)
       AND t.lease_token = heartbeat.lease_tokens[array_position(heartbeat.ids, t.id)]
       AND t.worker_id = heartbeat.worker
       AND t.locked_until > now()
    RETURNING t.id;
END;
$$;
COMMENT ON FUNCTION tasklib.heartbeat IS
    'Extend the lease (at most 1 day) of the given tasks still running under worker with the lease token given for each (one per id) and an unexpired lease; returns the ids it still holds (a missing id was lost).';

-- Hand unfinished tasks back at shutdown so they run again at once, not after the lease; or, with
-- the token of a claim whose answer was lost with the connection, the tasks that claim took.
-- lease_tokens is a set, not one per id: every running task of worker holding one of them (and,
-- when ids is given, only those ids) goes back. Required (NULL raises TL002); it has a default
-- only because PostgreSQL wants one after ids'.
CREATE FUNCTION tasklib.release(
    worker       text,
    ids          uuid[] DEFAULT NULL,
    lease_tokens uuid[] DEFAULT NULL
) RETURNS SETOF uuid
LANGUAGE plpgsql AS $$
BEGIN
    IF worker IS NULL OR worker = '' THEN
        RAISE EXCEPTION 'worker must be a non-empty string' USING ERRCODE = 'TL002';
    END IF;
    IF lease_tokens IS NULL THEN
        RAISE EXCEPTION 'release needs the lease tokens of the claims to hand back, got NULL' USING ERRCODE = 'TL002';
    END IF;
    RETURN QUERY
    WITH released AS (
        UPDATE tasklib.tasks t
           SET state = tasklib._state_after_attempt('pending', t.cancel_requested_at),
               completed_at = CASE WHEN tasklib.is_terminal(tasklib._state_after_attempt('pending', t.cancel_requested_at),
                                                            t.retry_count, t.max_retries) THEN now() END,
               scheduled_at = now(),
               worker_id = NULL,
               started_at = NULL,
               locked_until = NULL,
               lease_token = NULL
         -- state = 'running' (implied by the token) lets a release of every task of a claim read
         -- the small lease index instead of the table.
         WHERE t.state = 'running'
           AND t.lease_token = ANY (release.lease_tokens)
           AND t.worker_id = release.worker
           AND t.locked_until > now()
           AND (release.ids IS NULL OR t.id = ANY (release.ids))
        RETURNING t.id, t.queue
    ),
    woken AS (
        SELECT pg_notify('tasklib_submitted', q.queue) FROM (SELECT DISTINCT queue FROM released) q
    )
    SELECT r.id FROM released r, (SELECT count(*) FROM woken) w;
END;
$$;
COMMENT ON FUNCTION tasklib.release IS
    'Return to pending the tasks running under worker with one of lease_tokens and an unexpired lease (only those in ids when ids is given) so another worker takes them now: graceful shutdown, or the tasks of a claim whose answer was lost.';

-- Hand back tasks whose call was refused by a rate limit outside TaskLib (an HTTP 429 with
-- Retry-After, say: the task raised tasklib.RateLimited): each goes back to pending, due after
-- its retry_after, without spending a retry (its attempt still counts the claim), and its limit
-- key, or its whole queue, is suspended until then, so that no worker spends a call the other
-- side would refuse. scopes, one per id: 'key' (the default; a task without a key suspends its
-- queue) or 'queue'. Fenced and planned like complete.
CREATE FUNCTION tasklib.rate_limited(
    worker              text,
    ids                 uuid[],
    lease_tokens        uuid[],
    retry_after_seconds double precision[],
    scopes              text[] DEFAULT NULL
) RETURNS SETOF uuid
LANGUAGE plpgsql
-- See "Plans" above: the one plan of each statement, whatever the arguments.
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_position integer;
    v_problem text;
BEGIN
    IF worker IS NULL OR worker = '' THEN
        RAISE EXCEPTION 'worker must be a non-empty string' USING ERRCODE = 'TL002';
    END IF;
    IF ids IS NULL THEN
        RAISE EXCEPTION 'rate_limited needs an array of task ids, got NULL' USING ERRCODE = 'TL002';
    END IF;
    IF lease_tokens IS NULL OR cardinality(lease_tokens) <> cardinality(ids) THEN
        RAISE EXCEPTION 'rate_limited got % ids but % lease tokens', cardinality(ids),
            coalesce(cardinality(lease_tokens)::text, 'NULL') USING ERRCODE = 'TL002';
    END IF;
    IF retry_after_seconds IS NULL OR cardinality(retry_after_seconds) <> cardinality(ids) THEN
        RAISE EXCEPTION 'rate_limited got % ids but % retry_after_seconds', cardinality(ids),
            coalesce(cardinality(retry_after_seconds)::text, 'NULL') USING ERRCODE = 'TL002';
    END IF;
    IF scopes IS NOT NULL AND cardinality(scopes) <> cardinality(ids) THEN
        RAISE EXCEPTION 'rate_limited got % ids but % scopes', cardinality(ids), cardinality(scopes)
            USING ERRCODE = 'TL002';
    END IF;
    SELECT min(e.ord) INTO v_position
      FROM unnest(rate_limited.scopes) WITH ORDINALITY AS e(scope, ord)
     WHERE e.scope NOT IN ('key', 'queue');
    IF v_position IS NOT NULL THEN
        RAISE EXCEPTION 'scopes[%] must be ''key'' or ''queue'' (or NULL: key), got %', v_position,
            quote_literal(scopes[v_position]) USING ERRCODE = 'TL002';
    END IF;
    SELECT e.ord, tasklib._option_problem(delay_seconds => coalesce(e.after, 'NaN'))
      INTO v_position, v_problem
      FROM unnest(rate_limited.retry_after_seconds) WITH ORDINALITY AS e(after, ord)
     WHERE tasklib._option_problem(delay_seconds => coalesce(e.after, 'NaN')) IS NOT NULL
     ORDER BY e.ord LIMIT 1;
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION 'retry_after_seconds[%]: %', v_position, replace(v_problem, 'delay_seconds', 'retry_after_seconds')
            USING ERRCODE = 'TL002';
    END IF;

    -- The queue rows this call changes, locked in name order as claim locks them, so that the
    -- two cannot deadlock.
    PERFORM 1 FROM tasklib.queues q
      WHERE q.name IN (SELECT t.queue FROM tasklib.tasks t WHERE t.id = ANY (rate_limited.ids))
      ORDER BY q.name FOR NO KEY UPDATE;
    RETURN QUERY
    WITH back AS (
        UPDATE tasklib.tasks t
           SET state = tasklib._state_after_attempt('pending', t.cancel_requested_at),
               completed_at = CASE WHEN tasklib.is_terminal(tasklib._state_after_attempt('pending', t.cancel_requested_at),
                                                            t.retry_count, t.max_retries) THEN now() END,
               scheduled_at = now() + make_interval(secs => rate_limited.retry_after_seconds[array_position(rate_limited.ids, t.id)]),
               worker_id = NULL,
               started_at = NULL,
               locked_until = NULL,
               lease_token = NULL
         WHERE t.id = ANY (rate_limited.ids)
           AND t.lease_token = rate_limited.lease_tokens[array_position(rate_limited.ids, t.id)]
           AND t.worker_id = rate_limited.worker
           AND t.locked_until > now()
        RETURNING t.id, t.queue, t.limit_key, t.scheduled_at AS until, t.state,
                  t.limit_key IS NOT NULL
                  AND coalesce(rate_limited.scopes[array_position(rate_limited.ids, t.id)], 'key') = 'key' AS by_key
    ),
    -- Statements of one WITH cannot change a row twice: one row per key, one per queue.
    suspended_keys AS (
        INSERT INTO tasklib.queue_keys AS k (queue, key, suspended_until, blocked_until)
        SELECT b.queue, b.limit_key, max(b.until), max(b.until) FROM back b
         WHERE b.by_key AND b.state = 'pending' GROUP BY b.queue, b.limit_key
        ON CONFLICT ON CONSTRAINT queue_keys_pkey DO UPDATE
           SET suspended_until = greatest(k.suspended_until, excluded.suspended_until),
               blocked_until = greatest(k.blocked_until, excluded.blocked_until)
    ),
    suspended_queues AS (
        -- greatest() skips NULLs: a queue keeps what it had where this call sets nothing.
        UPDATE tasklib.queues q
           SET suspended_until = greatest(q.suspended_until, s.queue_until),
               keys_blocked_until = greatest(q.keys_blocked_until, s.key_until),
               updated_at = now()
          FROM (SELECT b.queue, max(b.until) FILTER (WHERE NOT b.by_key) AS queue_until,
                       max(b.until) FILTER (WHERE b.by_key) AS key_until
                  FROM back b WHERE b.state = 'pending' GROUP BY b.queue) s
         WHERE q.name = s.queue
    )
    SELECT b.id FROM back b;
END;
$$;
COMMENT ON FUNCTION tasklib.rate_limited IS
    'Hand back running tasks refused by an outside rate limit: each returns to pending, due after its retry_after_seconds, without spending a retry, and its limit key (scope ''key'', the default) or queue (scope ''queue'', or a task without a key) is suspended until then. Fenced like complete (one lease token per id). Returns the ids handed back.';

-- How long a worker of these queues (NULL: all) that just found nothing to claim may sleep:
-- until the next delayed task or retry is due, or until the flow control that holds back due
-- tasks lifts (a suspension ends, a rate bucket holds a token, a blocked key frees). NULL:
-- nothing is scheduled that the worker can foresee; it waits for a NOTIFY or its poll. A queue
-- at its concurrency limit frees a slot when a task finishes, which no clock foretells.
CREATE FUNCTION tasklib.seconds_until_claimable(queues text[] DEFAULT NULL) RETURNS double precision
LANGUAGE plpgsql STABLE AS $$
DECLARE
    q tasklib.queues;
    v_first timestamptz;      -- the queue's earliest claimable task, due or not
    v_next timestamptz;       -- its earliest task due later than now
    v_lift timestamptz;       -- when the flow control holding its due tasks back lifts
    v_level double precision;
    v_best timestamptz;
BEGIN
    FOR q IN SELECT * FROM tasklib.queues x
              WHERE (seconds_until_claimable.queues IS NULL OR x.name = ANY (seconds_until_claimable.queues))
                AND NOT x.paused
    LOOP
        -- One probe per priority level of the queue's range of the claim index (a skip scan).
        WITH RECURSIVE levels(priority) AS (
            (SELECT t.priority FROM tasklib.tasks t
              WHERE t.queue = q.name AND t.run_at IS NOT NULL ORDER BY t.priority DESC LIMIT 1)
            UNION ALL
            SELECT (SELECT t.priority FROM tasklib.tasks t
                     WHERE t.queue = q.name AND t.run_at IS NOT NULL AND t.priority < levels.priority
                     ORDER BY t.priority DESC LIMIT 1)
              FROM levels WHERE levels.priority IS NOT NULL
        )
        SELECT min(f.run_at), min(l.run_at) INTO v_first, v_next
          FROM levels
          CROSS JOIN LATERAL (SELECT t.run_at FROM tasklib.tasks t
                               WHERE t.queue = q.name AND t.priority = levels.priority AND t.run_at IS NOT NULL
                               ORDER BY t.run_at LIMIT 1) f
          LEFT JOIN LATERAL (SELECT t.run_at FROM tasklib.tasks t
                              WHERE t.queue = q.name AND t.priority = levels.priority AND t.run_at > now()
                              ORDER BY t.run_at LIMIT 1) l ON true;
        CONTINUE WHEN v_first IS NULL;
        v_lift := NULL;
        IF v_first <= now() THEN
            -- Due tasks wait only for the flow control (the claim that came before this call
            -- took all it could); say when that lifts. (The rate bucket's level: NULL, so no
            -- branch below, without a rate limit.)
            v_level := tasklib._bucket_level(q.tokens, q.tokens_at, q.rate_limit, q.rate_period_seconds, q.rate_burst);
            IF q.suspended_until > now() THEN
                v_lift := q.suspended_until;
            ELSIF q.concurrency_limit IS NOT NULL
                  AND (SELECT count(*) FROM tasklib.tasks t WHERE t.state = 'running' AND t.queue = q.name)
                      >= q.concurrency_limit THEN
                v_lift := NULL;
            ELSIF v_level < 1 THEN
                v_lift := tasklib._bucket_ready_at(v_level, q.rate_limit, q.rate_period_seconds);
            ELSIF q.keys_blocked_until > now() OR q.key_rate_limit IS NOT NULL THEN
                SELECT min(k.blocked_until) INTO v_lift FROM tasklib.queue_keys k
                 WHERE k.queue = q.name AND k.blocked_until > now();
            ELSE
                -- Nothing the queue says holds them (a rate bucket has refilled, say): now. A
                -- worker whose claim still finds nothing (rows another claim holds, keys at
                -- their limit) backs off on its own.
                v_lift := now();
            END IF;
        END IF;
        v_best := least(v_best, v_next, v_lift);
        IF q.suspended_until > now() THEN
            v_best := least(v_best, greatest(v_next, q.suspended_until));
        END IF;
    END LOOP;
    -- greatest() would turn a NULL (nothing foreseen) into 0.
    RETURN CASE WHEN v_best IS NOT NULL THEN greatest(extract(epoch FROM v_best - now())::double precision, 0) END;
END;
$$;
COMMENT ON FUNCTION tasklib.seconds_until_claimable IS
    'Seconds until a claim of queues (NULL: all) may find work it cannot take now: the next delayed task or retry, the end of a suspension, a rate bucket''s next token, a blocked key''s release; NULL when none is foreseen (a queue at its concurrency limit frees slots as tasks finish).';

-- A worker about to wait for queues' tasks (NULL: every queue) says so, so that the next
-- submit to one of them wakes it with NOTIFY (_wake_workers, which argues the order). It must
-- claim once more after this commits (a task committed before then was submitted without a
-- NOTIFY to it) and be listening already. False: a submit to one of the queues is in flight
-- and may not notify; the worker looks again soon instead of waiting (it does not wait here
-- for that submit: a queued exclusive lock would hold up every later submit to the queue).
CREATE FUNCTION tasklib.wait_for_tasks(queues text[] DEFAULT NULL) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_queues text[] := ARRAY(SELECT DISTINCT q FROM unnest(coalesce(wait_for_tasks.queues,
                                 ARRAY(SELECT x.name FROM tasklib.queues x))) AS q WHERE q IS NOT NULL);
    v_quiet boolean;
BEGIN
    -- No submit in flight to any of the queues: none can have read the flag before it is set.
    v_quiet := NOT EXISTS (SELECT 1 FROM unnest(v_queues) AS q
                            WHERE NOT pg_try_advisory_xact_lock(tasklib._wait_lock_class(), hashtext(q)));
    -- Set even when a submit is in flight: every submit that reads it from now on notifies;
    -- only the in-flight ones may have missed it, which the false answer tells the worker.
    INSERT INTO tasklib.queue_waits AS w (queue, armed)
    SELECT q, true FROM unnest(v_queues) AS q
    ON CONFLICT (queue) DO UPDATE SET armed = true WHERE NOT w.armed;
    RETURN v_quiet;
END;
$$;
COMMENT ON FUNCTION tasklib.wait_for_tasks IS
    'For a listening worker about to wait for tasks of queues (NULL: all): the next submit to one of them sends NOTIFY tasklib_submitted. Claim once more after it returns true; false means a submit to one of them was in flight and may not notify: look again soon, as well as waiting for a notification.';

-- A running task's report of how far it has got, for operators and waiting clients: free JSON
-- (at most 64 KiB), replacing the previous report. Fenced like heartbeat: only the attempt
-- that holds the lease writes. Returns whether it was recorded.
CREATE FUNCTION tasklib.report_progress(worker text, id uuid, lease_token uuid, progress jsonb)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF progress IS NULL OR length(progress::text) > 65536 THEN
        RAISE EXCEPTION 'progress must be a JSON value of at most 64 KiB, got %',
            coalesce(length(progress::text) || ' bytes', 'NULL') USING ERRCODE = 'TL002';
    END IF;
    UPDATE tasklib.tasks t
       SET progress = report_progress.progress
     WHERE t.id = report_progress.id
       AND t.lease_token = report_progress.lease_token
       AND t.worker_id = report_progress.worker
       AND t.locked_until > now();
    RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION tasklib.report_progress IS
    'Record a running task''s progress (free JSON, at most 64 KiB) in tasks.progress, for the attempt that holds the lease token; returns whether it was recorded.';

COMMIT;
