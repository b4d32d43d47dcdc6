-- Deploy tasklib:schedules
-- Cron schedules (docs/cron.md): tasklib.schedules holds each schedule's definition and where
-- its fire times stand; tasklib.schedule_fires holds one row per fire time fired, and its
-- primary key (schedule, fire_at) is what makes each fire time run at most once however many
-- workers fire it. There is no leader: every worker's scheduler computes the due fire times of
-- the cron expressions (Python's croniter: SQL does not evaluate cron) and calls fire_schedule
-- for each; the first call inserts the row and submits the task in the same transaction, every
-- other call finds the row and does nothing. Cheap: two new, small tables.
BEGIN;

CREATE TABLE tasklib.schedules (
    name         text PRIMARY KEY CHECK (name <> '' AND length(name) <= 255),
    task_name    text NOT NULL CHECK (task_name <> '' AND length(task_name) <= 255),
    -- Five fields (minute hour day-of-month month day-of-week), six with seconds first, or an
    -- @alias; whitespace collapsed to single spaces.
    cron         text NOT NULL CHECK (cron <> '' AND length(cron) <= 255),
    args         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(args) = 'object'),
    -- An IANA time zone name that the cron expression is read in (pg_timezone_names).
    timezone     text NOT NULL DEFAULT 'UTC',
    -- What a scheduler that starts does with the fire times that passed while none ran:
    -- 'one' runs the latest of them once, 'skip' runs none.
    catch_up     text NOT NULL DEFAULT 'one' CHECK (catch_up IN ('one', 'skip')),
    paused       boolean NOT NULL DEFAULT false,
    -- Fire times up to this never fire: set when the schedule is created, resumed, or given
    -- another cron expression or time zone, so that none of those catches up on the past.
    starts_after timestamptz NOT NULL DEFAULT now(),
    -- The next fire time as the schedulers computed it (NULL until one has, and while paused).
    next_fire_at timestamptz,
    -- The latest fire time fired, its task, and why its task was refused (NULL: it was not).
    last_fire_at timestamptz,
    last_task_id uuid,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE tasklib.schedules IS
    'One row per cron schedule: the task it submits with which args, its cron expression and time zone, its catch-up policy, whether it is paused, and its latest and next fire times. Change it through create_schedule, pause_schedule, resume_schedule and remove_schedule.';
COMMENT ON COLUMN tasklib.schedules.cron IS 'Cron expression: 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or @hourly, @daily, ...; read in timezone.';
COMMENT ON COLUMN tasklib.schedules.catch_up IS 'Fire times missed while no scheduler ran: one = run the latest of them once when a scheduler starts, skip = run none.';
COMMENT ON COLUMN tasklib.schedules.starts_after IS 'Fire times at or before this never fire (creation, resume, a new cron expression or time zone).';
COMMENT ON COLUMN tasklib.schedules.next_fire_at IS 'The next fire time as the workers'' schedulers computed it; NULL until one has, and while paused.';
COMMENT ON COLUMN tasklib.schedules.last_error IS 'Why the task of the latest fire was refused by submit (e.g. arguments that break the task''s schema); NULL when it was submitted.';

CREATE TABLE tasklib.schedule_fires (
    schedule text NOT NULL REFERENCES tasklib.schedules (name) ON DELETE CASCADE,
    fire_at  timestamptz NOT NULL,
    fired_at timestamptz NOT NULL DEFAULT now(),
    task_id  uuid,
    error    text,
    CONSTRAINT schedule_fires_pkey PRIMARY KEY (schedule, fire_at)
);
COMMENT ON TABLE tasklib.schedule_fires IS
    'One row per fire time fired, kept for a day after the schedule''s latest fire: its primary key lets each fire time run once. task_id is the task submitted; error why submit refused it (then task_id is NULL).';

-- What SQL can check of a cron expression: 5 or 6 fields, or an alias. Python (croniter) checks
-- each field when it computes fire times; a field it cannot read is logged by the workers.
CREATE FUNCTION tasklib._cron_problem(cron text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN cron IS NULL OR btrim(cron) = '' THEN 'cron must be a non-empty cron expression'
    WHEN length(cron) > 255 THEN 'cron must be at most 255 characters'
    WHEN btrim(cron) LIKE '@%' THEN
        CASE WHEN lower(btrim(cron)) IN ('@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly')
             THEN NULL
             ELSE 'cron alias ' || quote_literal(btrim(cron)) || ' is not one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly' END
    WHEN cardinality(regexp_split_to_array(btrim(cron), '\s+')) NOT IN (5, 6) THEN
        'cron must have 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), got '
        || cardinality(regexp_split_to_array(btrim(cron), '\s+')) || ': ' || quote_literal(btrim(cron))
END;
COMMENT ON FUNCTION tasklib._cron_problem IS
    'Private: what is wrong with a cron expression as far as SQL can tell (empty, not 5 or 6 fields, unknown @alias), or NULL.';

-- Create a schedule, or replace the definition of the one of that name. Replacing keeps its pause
-- and its history; a new cron expression or time zone starts its fire times afresh (none before
-- now is caught up), other changes (task, args, catch_up) apply from the next fire. Repeating
-- the stored definition changes nothing, so every worker may apply its declarations at start.
-- A NULL args, timezone or catch_up takes the default ('{}', 'UTC', 'one').
CREATE FUNCTION tasklib.create_schedule(
    name      text,
    task_name text,
    cron      text,
    args      jsonb DEFAULT '{}',
    timezone  text DEFAULT 'UTC',
    catch_up  text DEFAULT 'one'
) RETURNS tasklib.schedules
LANGUAGE plpgsql AS $$
DECLARE
    v_row tasklib.schedules;
    v_cron text := regexp_replace(btrim(create_schedule.cron), '\s+', ' ', 'g');
    v_args jsonb := coalesce(create_schedule.args, '{}');
    v_timezone text := coalesce(create_schedule.timezone, 'UTC');
    v_catch_up text := coalesce(create_schedule.catch_up, 'one');
    v_problem text;
BEGIN
    IF create_schedule.name IS NULL OR create_schedule.name = '' OR length(create_schedule.name) > 255 THEN
        RAISE EXCEPTION 'schedule name must be a non-empty string of at most 255 characters, got %',
            coalesce(quote_literal(left(create_schedule.name, 40)), 'NULL') USING ERRCODE = 'TL002';
    END IF;
    v_problem := tasklib._cron_problem(create_schedule.cron);
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION '% (schedule %)', v_problem, create_schedule.name USING ERRCODE = 'TL002';
    END IF;
    IF v_catch_up NOT IN ('one', 'skip') THEN
        RAISE EXCEPTION 'catch_up must be ''one'' or ''skip'', got % (schedule %)', quote_literal(v_catch_up),
            create_schedule.name USING ERRCODE = 'TL002';
    END IF;
    -- Reads the zone files: only when the zone is not the one already stored.
    IF v_timezone IS DISTINCT FROM (SELECT s.timezone FROM tasklib.schedules s WHERE s.name = create_schedule.name)
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names z WHERE z.name = v_timezone) THEN
        RAISE EXCEPTION 'timezone must be a time zone name such as ''UTC'' or ''Europe/Paris'', got % (schedule %)',
            quote_literal(v_timezone), create_schedule.name
            USING ERRCODE = 'TL002', HINT = 'SELECT name FROM pg_timezone_names lists them.';
    END IF;
    -- The task's name and arguments as submit would check them (size, and the registered
    -- schema when the task type is known), so that a mistake shows now rather than at each fire.
    PERFORM tasklib._check_submission(name => create_schedule.task_name, args => v_args, delay_seconds => 0,
        tags => '{}', max_retries => NULL, timeout_seconds => NULL, queue => NULL, backoff_base_seconds => NULL);

    INSERT INTO tasklib.schedules AS s (name, task_name, cron, args, timezone, catch_up)
    VALUES (create_schedule.name, create_schedule.task_name, v_cron, v_args, v_timezone, v_catch_up)
    ON CONFLICT ON CONSTRAINT schedules_pkey DO UPDATE
       SET task_name = excluded.task_name,
           cron = excluded.cron,
           args = excluded.args,
           timezone = excluded.timezone,
           catch_up = excluded.catch_up,
           starts_after = CASE WHEN (s.cron, s.timezone) IS DISTINCT FROM (excluded.cron, excluded.timezone)
                               THEN greatest(s.starts_after, now()) ELSE s.starts_after END,
           next_fire_at = CASE WHEN (s.cron, s.timezone) IS DISTINCT FROM (excluded.cron, excluded.timezone)
                               THEN NULL ELSE s.next_fire_at END,
           updated_at = now()
     -- An unchanged definition is not rewritten (no dead tuple, no wake-up of the schedulers).
     WHERE (s.task_name, s.cron, s.args, s.timezone, s.catch_up)
           IS DISTINCT FROM (excluded.task_name, excluded.cron, excluded.args, excluded.timezone, excluded.catch_up)
    RETURNING s.* INTO v_row;
    IF FOUND THEN
        PERFORM pg_notify('tasklib_schedules', create_schedule.name);
        RETURN v_row;
    END IF;
    SELECT * INTO v_row FROM tasklib.schedules s WHERE s.name = create_schedule.name;
    RETURN v_row;
END;
$$;
COMMENT ON FUNCTION tasklib.create_schedule IS
    'Create a cron schedule that submits task_name with args at each fire time of cron (5 fields, or 6 with seconds first) read in timezone, or replace the definition of the schedule of that name (its pause and history stay; a new cron or timezone starts from now). catch_up: ''one'' (a starting scheduler runs the latest fire time missed while none ran) or ''skip''. Returns the row; wakes the schedulers (NOTIFY tasklib_schedules) when it changed.';

-- Pause and resume. A paused schedule fires nothing; resuming starts its fire times afresh, so
-- the ones that passed while paused are not caught up. Unknown name: no row.
CREATE FUNCTION tasklib.pause_schedule(name text) RETURNS SETOF tasklib.schedules
LANGUAGE plpgsql AS $$
DECLARE
    v_row tasklib.schedules;
BEGIN
    UPDATE tasklib.schedules s SET paused = true, next_fire_at = NULL, updated_at = now()
     WHERE s.name = pause_schedule.name AND NOT s.paused
    RETURNING s.* INTO v_row;
    IF FOUND THEN
        PERFORM pg_notify('tasklib_schedules', pause_schedule.name);
        RETURN NEXT v_row;
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM tasklib.schedules s WHERE s.name = pause_schedule.name;
END;
$$;
COMMENT ON FUNCTION tasklib.pause_schedule IS
    'Stop a schedule from firing until resume_schedule (a fire already submitted still runs). Returns its row; no row if there is no schedule of that name.';

CREATE FUNCTION tasklib.resume_schedule(name text) RETURNS SETOF tasklib.schedules
LANGUAGE plpgsql AS $$
DECLARE
    v_row tasklib.schedules;
BEGIN
    UPDATE tasklib.schedules s
       SET paused = false, starts_after = greatest(s.starts_after, now()), next_fire_at = NULL, updated_at = now()
     WHERE s.name = resume_schedule.name AND s.paused
    RETURNING s.* INTO v_row;
    IF FOUND THEN
        PERFORM pg_notify('tasklib_schedules', resume_schedule.name);
        RETURN NEXT v_row;
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM tasklib.schedules s WHERE s.name = resume_schedule.name;
END;
$$;
COMMENT ON FUNCTION tasklib.resume_schedule IS
    'Let a paused schedule fire again, from its next fire time after now: the fire times that passed while it was paused do not run. Returns its row; no row if there is no schedule of that name.';

CREATE FUNCTION tasklib.remove_schedule(name text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tasklib.schedules s WHERE s.name = remove_schedule.name;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM pg_notify('tasklib_schedules', remove_schedule.name);
    RETURN true;
END;
$$;
COMMENT ON FUNCTION tasklib.remove_schedule IS
    'Delete a schedule and its fire history (tasks it submitted stay); true if it existed. A schedule declared in Python comes back when a worker that declares it starts as tasklib_admin: remove the declaration too.';

-- Fire one fire time of a schedule: called by every worker's scheduler for each fire time it
-- finds due, so usually several times per fire time. In one transaction: lock the schedule's row
-- (a pause or removal committed before this call is seen), insert the (schedule, fire_at) row,
-- and only if that insert happened, submit the task. A second call for the same fire time finds
-- the row (its INSERT waits for the first transaction, then does nothing) and returns no row.
--
-- Nothing fires for a paused or unknown schedule, a fire time at or before starts_after, or one
-- more than a day older than the latest fire (its row may have been pruned: a scheduler that
-- late is stale). A task that submit refuses (a TL error: arguments that no longer match the
-- task's schema, an unknown task in strict mode) does not abort the fire: the fire time is
-- spent and the error recorded on the fire and the schedule, so that schedulers do not retry it
-- forever. next_fire_at is the caller's computation of the fire time after this one, shown in
-- schedule_status.
CREATE FUNCTION tasklib.fire_schedule(
    schedule     text,
    fire_at      timestamptz,
    next_fire_at timestamptz DEFAULT NULL
) RETURNS SETOF tasklib.schedule_fires
LANGUAGE plpgsql AS $$
DECLARE
    v_schedule tasklib.schedules;
    v_fire tasklib.schedule_fires;
    v_task uuid;
    v_error text;
    v_newest boolean;
BEGIN
    IF fire_schedule.fire_at IS NULL OR NOT isfinite(fire_schedule.fire_at)
       OR date_trunc('second', fire_schedule.fire_at) <> fire_schedule.fire_at THEN
        RAISE EXCEPTION 'fire_at must be a finite time in whole seconds, got %', coalesce(fire_schedule.fire_at::text, 'NULL')
            USING ERRCODE = 'TL002';
    END IF;
    IF fire_schedule.fire_at > now() THEN
        RAISE EXCEPTION 'fire_at % is in the future (now is %): a fire time fires once it has come', fire_schedule.fire_at, now()
            USING ERRCODE = 'TL002';
    END IF;
    SELECT * INTO v_schedule FROM tasklib.schedules s WHERE s.name = fire_schedule.schedule FOR NO KEY UPDATE;
    IF NOT FOUND OR v_schedule.paused OR fire_schedule.fire_at <= v_schedule.starts_after
       OR fire_schedule.fire_at < v_schedule.last_fire_at - interval '1 day' THEN
        RETURN;
    END IF;

    INSERT INTO tasklib.schedule_fires AS f (schedule, fire_at)
    VALUES (fire_schedule.schedule, fire_schedule.fire_at)
    ON CONFLICT ON CONSTRAINT schedule_fires_pkey DO NOTHING
    RETURNING f.* INTO v_fire;
    IF NOT FOUND THEN
        RETURN;  -- fired already, by this worker or another
    END IF;

    BEGIN
        v_task := tasklib.submit(
            name => v_schedule.task_name,
            args => v_schedule.args,
            tags => jsonb_build_object(
                'schedule', v_schedule.name,
                'fire_at', to_char(fire_schedule.fire_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')));
    EXCEPTION WHEN SQLSTATE 'TL000' THEN  -- the whole TL class: a refusal of submit's
        v_error := SQLERRM;
    END;

    UPDATE tasklib.schedule_fires f SET task_id = v_task, error = v_error
     WHERE f.schedule = fire_schedule.schedule AND f.fire_at = fire_schedule.fire_at
    RETURNING f.* INTO v_fire;
    v_newest := v_schedule.last_fire_at IS NULL OR fire_schedule.fire_at > v_schedule.last_fire_at;
    IF v_newest THEN
        UPDATE tasklib.schedules s
           SET last_fire_at = fire_schedule.fire_at, last_task_id = v_task, last_error = v_error,
               next_fire_at = CASE WHEN fire_schedule.next_fire_at > fire_schedule.fire_at
                                   THEN fire_schedule.next_fire_at ELSE s.next_fire_at END
         WHERE s.name = fire_schedule.schedule;
        -- The history a fire time's uniqueness needs: a day behind the latest fire (older fire
        -- times are refused above). One index range per fire, usually one row.
        DELETE FROM tasklib.schedule_fires f
         WHERE f.schedule = fire_schedule.schedule AND f.fire_at < fire_schedule.fire_at - interval '1 day';
    END IF;
    RETURN NEXT v_fire;
END;
$$;
COMMENT ON FUNCTION tasklib.fire_schedule IS
    'Scheduler (workers): fire one fire time of a schedule. The first call for (schedule, fire_at) records it in schedule_fires and submits the task (tags schedule and fire_at) in the same transaction, and returns that row; any later call, and a call for a paused or unknown schedule or a fire time at or before its starts_after, returns no row. A task submit refuses is recorded as the fire''s error. next_fire_at: the fire time after this one, for schedule_status.';

-- The schedulers' computation of the next fire time, for schedule_status, when no fire records
-- it (after create, resume, or a skipped catch-up). Writes only when it changes, and never a
-- time at or before the latest fire.
CREATE FUNCTION tasklib.set_schedule_next_fire(schedule text, next_fire_at timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tasklib.schedules s SET next_fire_at = set_schedule_next_fire.next_fire_at
     WHERE s.name = set_schedule_next_fire.schedule AND NOT s.paused
       AND s.next_fire_at IS DISTINCT FROM set_schedule_next_fire.next_fire_at
       AND (s.last_fire_at IS NULL OR set_schedule_next_fire.next_fire_at > s.last_fire_at);
    RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION tasklib.set_schedule_next_fire IS
    'Scheduler (workers): record the next fire time of a schedule as computed from its cron expression, for schedule_status; true if it changed.';

-- What operators (and tasklib_monitor) see of the schedules. Arguments and the refusal text are
-- shown only to a reader who may read them in tasklib.schedules itself (as recent_failures does
-- for tasks): a monitor sees NULL. The uncorrelated subqueries run once per query.
CREATE VIEW tasklib.schedule_status AS
SELECT s.name,
       s.task_name,
       s.cron,
       s.timezone,
       s.catch_up,
       s.paused,
       s.next_fire_at,
       s.last_fire_at,
       s.last_task_id,
       t.state AS last_task_state,
       s.last_error IS NOT NULL AS last_fire_refused,
       CASE WHEN (SELECT pg_catalog.has_column_privilege('tasklib.schedules', 'last_error', 'SELECT'))
            THEN s.last_error END AS last_error,
       CASE WHEN (SELECT pg_catalog.has_column_privilege('tasklib.schedules', 'args', 'SELECT'))
            THEN s.args END AS args,
       s.created_at,
       s.updated_at
  FROM tasklib.schedules s
  LEFT JOIN tasklib.tasks t ON t.id = s.last_task_id
 ORDER BY s.name;
COMMENT ON VIEW tasklib.schedule_status IS
    'One row per cron schedule: its task, cron expression, time zone, catch-up policy, pause, next fire time (as the workers computed it), latest fire time with its task''s id and state, and whether that task was refused (last_error says why). args and last_error are NULL for a reader who may not read them in tasklib.schedules (tasklib_monitor).';

COMMIT;
