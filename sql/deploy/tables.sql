-- Deploy tasklib:tables
-- Creates tasklib.tasks (one row per task, every state change happens in place) and
-- tasklib.task_types (what Python registers about each task name). Cheap on an empty database.
BEGIN;

-- Task ids in time order (a UUIDv7 layout: 48 bits of Unix milliseconds, then the version, the
-- variant and 74 random bits of gen_random_uuid()): new ids land at the right edge of the
-- primary key instead of on random pages, so inserts touch few pages and, after a checkpoint,
-- log few full-page images. PostgreSQL 18 has uuidv7(), 14-17 do not; this one works on both.
-- A plain SQL expression, so the planner inlines it into the INSERT that uses it.
CREATE FUNCTION tasklib._uuid_v7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE
RETURN pg_catalog.encode(
    pg_catalog.set_bit(pg_catalog.set_bit(
        overlay(pg_catalog.uuid_send(pg_catalog.gen_random_uuid())
                PLACING substring(pg_catalog.int8send(
                    floor(extract(epoch FROM pg_catalog.clock_timestamp()) * 1000)::bigint) FROM 3)
                FROM 1 FOR 6),
        52, 1), 53, 1),  -- version 4 (0100) becomes 7 (0111)
    'hex')::uuid;
COMMENT ON FUNCTION tasklib._uuid_v7 IS
    'Private: a random UUID whose first 48 bits are the current Unix time in milliseconds (UUIDv7 layout), so ids sort by creation time.';

-- The id "step" places after "start", for a batch's ids: one _uuid_v7() per batch, then one step
-- per task (RFC 9562 section 6.2, method 3: the random bits count up). PostgreSQL's strong random
-- source costs microseconds per call where it reads /dev/urandom, which a batch of thousands
-- would pay once per task; this way a batch draws it once, and its ids sort in input order.
-- Only the low 62 random bits count; the timestamp, version and variant stay as they were.
CREATE FUNCTION tasklib._uuid_v7_step(start uuid, step bigint) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (pg_catalog.left(pg_catalog.replace(start::text, '-', ''), 16)
        || pg_catalog.to_hex(
               (((('x' || pg_catalog.right(pg_catalog.replace(start::text, '-', ''), 16))::bit(64)::bigint & 4611686018427387903)
                 + step) & 4611686018427387903)
               | (-9223372036854775807 - 1)))::uuid;  -- the variant bits 10, then 62 counted bits
COMMENT ON FUNCTION tasklib._uuid_v7_step IS
    'Private: the UUID "step" places after "start" in its low 62 bits (timestamp, version and variant kept), so a batch needs one random UUID.';

-- The global defaults of a task's options, in one place: the column defaults of tasklib.tasks
-- and both submit paths read them from here (a task type's NULL option means "use these"). An
-- IMMUTABLE SQL function of a named composite type, so the planner evaluates it once, at plan
-- time: "(tasklib.task_defaults()).queue" becomes the constant 'default' in every plan.
-- timeout_seconds has no global default (NULL: no timeout), so it is not here.
CREATE TYPE tasklib.task_options AS (
    queue                text,
    priority             integer,
    max_retries          integer,
    backoff_base_seconds double precision,
    backoff_max_seconds  double precision
);
COMMENT ON TYPE tasklib.task_options IS
    'The options a task takes from its task type or from the global defaults (see task_defaults).';

CREATE FUNCTION tasklib.task_defaults() RETURNS tasklib.task_options
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ROW('default', 0, 3, 5, 3600)::tasklib.task_options;
COMMENT ON FUNCTION tasklib.task_defaults IS
    'The global defaults of a task''s options: what an option takes when neither the submission nor its task type sets it (SELECT * FROM tasklib.task_defaults() lists them).';

-- The limits on what callers may pass, in one place, next to the defaults: _option_problem (the
-- options of submit, submit_many, register_task_type, and claim's and heartbeat's lease),
-- _json_small and _json_problem (args and tags) and _schema_problem (a task type's schema) read
-- them from here, folded into constants like task_defaults(); the tables' CHECKs repeat them (see
-- there). Constants, not settings: a custom setting can be changed by any session, so it could not
-- bound what a caller sends.
CREATE TYPE tasklib.limit_values AS (
    max_retries              integer,           -- max_retries is 0 to this
    min_backoff_base_seconds double precision,  -- backoff_base_seconds is at least this
    max_lease_seconds        double precision,  -- lease_seconds of claim and heartbeat is at most this
    max_delay_seconds        double precision,  -- delay_seconds of submit and retry is at most this
    max_args_bytes           integer,           -- args, as JSON text
    max_args_keys            integer,           -- keys in all objects of args together
    max_tags_bytes           integer,           -- tags, as JSON text (tags are GIN-indexed: keep them small)
    max_tags_keys            integer,           -- keys in all objects of tags together
    max_json_depth           integer,           -- levels a value of args or tags may sit below the top
    max_schema_bytes         integer,           -- a task type's args_schema, as JSON text
    max_schema_nodes         integer            -- subschemas and required keys a schema check expands to
);
COMMENT ON TYPE tasklib.limit_values IS
    'The limits on the values callers pass to TaskLib (see limits()).';

CREATE FUNCTION tasklib.limits() RETURNS tasklib.limit_values
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ROW(100, 0.001, 86400, 3155760000, 1048576, 10000, 65536, 1000, 64, 1048576, 2000)::tasklib.limit_values;
COMMENT ON FUNCTION tasklib.limits IS
    'The limits on what callers pass (SELECT * FROM tasklib.limits() lists them): max_retries, the shortest backoff base, the longest lease and delay, the size, key count and nesting depth of args and tags, the size and complexity of a task type''s schema. Beyond one, TaskLib raises TL002 naming the value.';

-- Whether a task is finished for good: completed, cancelled, or failed with no retry left. The
-- one statement of that rule; everything else reads the column tasklib.tasks.terminal derived
-- from it (or, where that cannot be read, calls this). A SQL expression the planner inlines.
-- fail() lowers max_retries to retry_count for a failure that must not be retried, so the
-- rule needs no other input.
CREATE FUNCTION tasklib.is_terminal(state text, retry_count integer, max_retries integer) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN state IN ('completed', 'cancelled') OR (state = 'failed' AND retry_count >= max_retries);
COMMENT ON FUNCTION tasklib.is_terminal IS
    'Whether a task in this state is finished for good: completed, cancelled, or failed with no retry left (retry_count has reached max_retries). tasklib.tasks.terminal stores it.';

-- Where a running task goes when its attempt ends without a result of its own (it failed, its
-- lease expired, its worker handed it back or was rate limited): next_state ('failed' or
-- 'pending'), unless its cancellation was asked for: then it ends cancelled, never retried or
-- requeued. The one statement of that rule, for fail, recover_expired, release and
-- rate_limited; completed_at and next_retry_at follow from is_terminal of the state it gives.
CREATE FUNCTION tasklib._state_after_attempt(next_state text, cancel_requested_at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN cancel_requested_at IS NULL THEN next_state ELSE 'cancelled' END;
COMMENT ON FUNCTION tasklib._state_after_attempt IS
    'Private: the state a running task ends its attempt in when it has no result (failure, expired lease, hand-back, rate limit): next_state, or cancelled when its cancellation was asked for (cancel_requested_at set).';

-- A task type's options are NULL unless its definition sets them: NULL means "the global
-- default applies" (task_defaults), decided when a task is submitted, not when it is registered.
CREATE TABLE tasklib.task_types (
    name                 text PRIMARY KEY CHECK (name <> '' AND length(name) <= 255),
    queue                text CHECK (queue <> ''),
    priority             integer,
    -- The CHECKs here and in tasks write the bounds of limits() as literals: a CHECK is prepared
    -- each time an INSERT or UPDATE statement starts, and folding limits() there cost ~15 us per
    -- CHECK and statement. sqltests/_option_problem/test_agrees_with_callers keeps them equal.
    max_retries          integer CHECK (max_retries >= 0 AND max_retries <= 100),
    -- PostgreSQL orders NaN above Infinity, so "< 'Infinity'" also keeps NaN out.
    timeout_seconds      double precision CHECK (timeout_seconds > 0 AND timeout_seconds < 'Infinity'),
    backoff_base_seconds double precision CHECK (backoff_base_seconds >= 0.001 AND backoff_base_seconds < 'Infinity'),
    backoff_max_seconds  double precision CHECK (backoff_max_seconds > 0 AND backoff_max_seconds < 'Infinity'),
    args_schema          jsonb,
    -- The argument whose value is a task's limit_key when its submitter gives none (flow
    -- control: per-key limits, e.g. "customer_id"). NULL: tasks of this type have no key
    -- unless the submitter sets one.
    limit_key_arg        text CHECK (limit_key_arg <> '' AND length(limit_key_arg) <= 255),
    -- Deduplication of its submissions: the arguments whose values make a task's unique_key when
    -- its submitter gives none, how long a key stays taken after a submit (NULL: while the task
    -- is unfinished), and what a conflicting submit does (NULL: 'return').
    unique_args          text[] CHECK (cardinality(unique_args) BETWEEN 1 AND 32),
    unique_for_seconds   double precision CHECK (unique_for_seconds > 0 AND unique_for_seconds <= 3155760000),
    unique_on_conflict   text CHECK (unique_on_conflict IN ('return', 'raise', 'replace')),
    -- How long purge keeps this type's finished tasks (and so their results); NULL: as long as
    -- purge is told (older_than, 7 days by default).
    result_ttl_seconds   double precision CHECK (result_ttl_seconds >= 0 AND result_ttl_seconds <= 3155760000),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE tasklib.task_types IS
    'One row per task name registered by a Python process: the options a SQL submission inherits (NULL: the global default of task_defaults() applies) and the JSON Schema of its arguments.';

CREATE TABLE tasklib.tasks (
    id                   uuid PRIMARY KEY DEFAULT tasklib._uuid_v7(),
    name                 text NOT NULL CHECK (name <> '' AND length(name) <= 255),
    queue                text NOT NULL DEFAULT (tasklib.task_defaults()).queue CHECK (queue <> ''),
    -- What the queue's per-key limits count by (flow control, see tasklib.queues): set at submit,
    -- or taken from the argument its task type names (task_types.limit_key_arg). NULL: only the
    -- queue's own limits apply. (Its bounds are checked by the submit functions, see tasks.name.)
    limit_key            text,
    -- Deduplication (see submit): no two tasks of one name hold the same key while unfinished
    -- (tasks_unique_idx), and with a window not within it (unique_windows). NULL: no key.
    unique_key           text,
    args                 jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(args) = 'object'),
    state                text NOT NULL DEFAULT 'pending'
                         CHECK (state IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    priority             integer NOT NULL DEFAULT (tasklib.task_defaults()).priority,
    tags                 jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(tags) = 'object'),
    -- The W3C trace context of the span that submitted the task (OpenTelemetry), which the
    -- worker's execution span continues. Its own column, not a tag: tags are GIN-indexed, and
    -- a traced service would give every task an index entry.
    traceparent          text,
    result               jsonb,
    -- What the running attempt last reported about its progress (report_progress): free JSON,
    -- e.g. {"done": 40, "total": 100}. Kept once the task ends; a new attempt starts afresh.
    progress             jsonb,
    error                text,
    -- Each failed attempt, oldest first (River keeps its errors array so): {"attempt", "worker",
    -- "started_at", "failed_at", "error"}, the last 25. NULL until an attempt fails. Written
    -- only by a failure, never on the path of a task that succeeds.
    failures             jsonb,
    retry_count          integer NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    max_retries          integer NOT NULL DEFAULT (tasklib.task_defaults()).max_retries
                         CHECK (max_retries >= 0 AND max_retries <= 100),
    -- A failure that must not be retried lowers max_retries (see fail); the value it replaced
    -- stays here so that retry() can give the task its retries back. NULL: never lowered.
    max_retries_submitted integer
                         CHECK (max_retries_submitted >= 0 AND max_retries_submitted <= 100),
    timeout_seconds      double precision CHECK (timeout_seconds > 0 AND timeout_seconds < 'Infinity'),
    backoff_base_seconds double precision NOT NULL DEFAULT (tasklib.task_defaults()).backoff_base_seconds
                         CHECK (backoff_base_seconds >= 0.001 AND backoff_base_seconds < 'Infinity'),
    backoff_max_seconds  double precision NOT NULL DEFAULT (tasklib.task_defaults()).backoff_max_seconds
                         CHECK (backoff_max_seconds > 0 AND backoff_max_seconds < 'Infinity'),
    scheduled_at         timestamptz NOT NULL DEFAULT now(),
    next_retry_at        timestamptz,
    started_at           timestamptz,
    completed_at         timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    -- The login role that submitted the task (session_user: submit and submit_many run as their
    -- owner, so current_user would name the owner). Producers read only their own tasks (row
    -- level security, see roles). text, not name: name is a fixed 64 bytes in every row. (No
    -- CHECK: PostgreSQL reads and prepares every CHECK of a table at the start of each INSERT or
    -- UPDATE statement, ~3 us each; only the functions write these two columns.)
    submitted_by         text NOT NULL DEFAULT session_user,
    worker_id            text,
    -- Cancellation (see cancel): when it was asked for, by which login, and why. A running task
    -- asked to stop keeps running until its worker stops it and reports, or its lease expires;
    -- either way it ends cancelled, not retried.
    cancel_requested_at  timestamptz,
    cancelled_by         text,
    cancel_reason        text,
    -- How many times the task has been claimed (River's and Oban's "attempt"): every claim adds
    -- one, nothing resets it. Not the retry rule's input (retry_count is): a release hands the
    -- task back without spending a retry, but its next claim is still a new attempt.
    attempt              integer NOT NULL DEFAULT 0,
    -- The fencing token of the running attempt: a random uuid the claiming worker chose (or claim
    -- drew) for its claim call. complete, fail, heartbeat and release change a task only for the
    -- caller that presents it, so a worker whose attempt ended (lease expired, task recovered
    -- and claimed again) changes nothing. Set exactly while running (CHECK below). Secret: no
    -- TaskLib role may read this column (see roles).
    lease_token          uuid,
    locked_until         timestamptz,
    -- When the task may next be claimed, or NULL when it may not. Derived so that no code path
    -- can forget it, and so that one partial index orders pending tasks and due retries alike.
    -- A failed task is due at next_retry_at, which a terminal failure never has (the CHECK
    -- below), so run_at needs no test of its own for "no retry left".
    run_at               timestamptz GENERATED ALWAYS AS (
                             CASE
                                 WHEN state = 'pending' THEN scheduled_at
                                 WHEN state = 'failed' THEN next_retry_at
                             END
                         ) STORED,
    -- Finished for good (is_terminal): what every function and view asks instead of restating
    -- the rule. Derived, so no code path can forget it; the last column, so that the columns
    -- before it keep their positions. PostgreSQL plans a generated column's expression, and so
    -- inlines is_terminal, each time an INSERT or UPDATE statement starts (~10 us): one such
    -- column, not two, is why run_at does not call it.
    terminal             boolean NOT NULL GENERATED ALWAYS AS (tasklib.is_terminal(state, retry_count, max_retries)) STORED,
    -- A failure with no retry left waits for none: fail and recover_expired clear next_retry_at
    -- when they make a failure terminal, and a row written by hand cannot contradict them.
    CONSTRAINT tasks_terminal_failure_no_retry CHECK (NOT (state = 'failed' AND terminal AND next_retry_at IS NOT NULL)),
    -- A running task has a lease token and no other task has one. complete and fail rely on it:
    -- they test the token, not the state, so that the lease index (partial on state =
    -- 'running') is no candidate for their plans and the primary key is (see complete).
    CONSTRAINT tasks_lease_token_running CHECK ((state = 'running') = (lease_token IS NOT NULL))
)
-- Every claim, heartbeat and completion writes a new row version, and each changes an indexed
-- column, so none is a HOT update: what bounds the table is vacuum, hence the low scale factors
-- (its live part is small, its churn large). The free 20% per page lets the new version land on
-- the old one's page and page pruning reuse dead space between vacuums.
WITH (
    fillfactor = 80,
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.05,
    autovacuum_analyze_scale_factor = 0.02,
    autovacuum_vacuum_cost_delay = 1
);
COMMENT ON TABLE tasklib.tasks IS
    'One row per submitted task. Change it only through the tasklib functions; read it freely.';
COMMENT ON COLUMN tasklib.tasks.limit_key IS 'What the queue''s per-key limits count by (e.g. a customer id); NULL: only the queue''s own limits apply.';
COMMENT ON COLUMN tasklib.tasks.unique_key IS 'Deduplication key: no two unfinished tasks of one name share it (and, with a window, no two submitted within it); NULL: none.';
COMMENT ON COLUMN tasklib.tasks.cancel_requested_at IS 'When cancel was called on the task; a running task then ends cancelled when its worker stops it (or its lease expires).';
COMMENT ON COLUMN tasklib.tasks.cancelled_by IS 'The login (session_user) that cancelled the task.';
COMMENT ON COLUMN tasklib.tasks.cancel_reason IS 'Why the task was cancelled, as the canceller said.';
COMMENT ON COLUMN tasklib.tasks.retry_count IS 'Retries already started: a task runs at most max_retries + 1 times.';
COMMENT ON COLUMN tasklib.tasks.max_retries_submitted IS 'The max_retries a non-retryable failure replaced (retry() restores it); NULL when never lowered.';
COMMENT ON COLUMN tasklib.tasks.result IS 'The return value as {"value": ...} once completed.';
COMMENT ON COLUMN tasklib.tasks.traceparent IS 'The W3C traceparent of the submitting span (OpenTelemetry), continued by the worker; NULL when not traced.';
COMMENT ON COLUMN tasklib.tasks.progress IS 'What the task last reported about its progress while running (report_progress), as free JSON.';
COMMENT ON COLUMN tasklib.tasks.failures IS 'Every failed attempt (the last 25), oldest first: attempt, worker, started_at, failed_at, error; NULL until one fails.';
COMMENT ON COLUMN tasklib.tasks.error IS 'The traceback (or reason) of the latest failed attempt.';
COMMENT ON COLUMN tasklib.tasks.submitted_by IS 'The login role (session_user) that submitted the task; a producer reads only its own tasks.';
COMMENT ON COLUMN tasklib.tasks.attempt IS 'How many times the task has been claimed (each claim adds 1; never reset).';
COMMENT ON COLUMN tasklib.tasks.lease_token IS 'Fencing token of the running attempt, chosen by its claimer; NULL unless running. Readable by the owner only.';
COMMENT ON COLUMN tasklib.tasks.locked_until IS 'End of the running worker''s lease; past it the task is recovered.';
COMMENT ON COLUMN tasklib.tasks.run_at IS 'When the task may next be claimed; NULL when it may not (derived).';
COMMENT ON COLUMN tasklib.tasks.terminal IS 'Finished for good: completed, cancelled, or failed with no retry left (derived from is_terminal(state, retry_count, max_retries)).';

-- Claims and completions change indexed columns, so no update is HOT and every index whose
-- predicate holds gets a new entry on each of a task's three writes: an index here costs
-- throughput. Hence no index for lookups by name (a full index cost 20% of claim+complete).
--
-- Only claimable rows are indexed, so a claim stays cheap however much history the table holds.
-- It leads with the queue: claim reads each queue on its own (see claim), so that a queue that
-- may not run now (paused, suspended, at its limit), however long its backlog, costs the others
-- nothing, and a claim of a rare queue does not filter the due tasks of every other one.
CREATE INDEX tasks_claim_idx ON tasklib.tasks (queue, priority DESC, run_at, created_at)
    WHERE run_at IS NOT NULL;
-- Deduplication, enforced here rather than by a look before the insert: a submit of a key that an
-- unfinished task of the same name holds conflicts on this index (see submit). Only keyed tasks
-- have an entry.
CREATE UNIQUE INDEX tasks_unique_idx ON tasklib.tasks (name, unique_key)
    WHERE unique_key IS NOT NULL AND NOT terminal;
CREATE INDEX tasks_lease_idx ON tasklib.tasks (locked_until) WHERE state = 'running';
-- Most tasks carry no tags: leaving them out spares every write of such a task a GIN entry
-- (and the pending-list cleanup it later costs). A query uses this index only when it says
-- "tags <> '{}'" next to its containment test, which any non-empty "tags @> ..." implies.
CREATE INDEX tasks_tags_idx ON tasklib.tasks USING gin (tags jsonb_path_ops) WHERE tags <> '{}';
CREATE INDEX tasks_completed_at_idx ON tasklib.tasks (completed_at) WHERE completed_at IS NOT NULL;

-- Flow control. A queue exists on first use: the submit functions add its row (no limits) the
-- first time a task names it; set_queue_limits, pause_queue, resume_queue and suspend_queue
-- (flow_control) change it, and claim enforces it. A queue with none of these set costs a claim
-- nothing beyond reading this small table.
--
-- Rate limits are token buckets (rate_limit starts per rate_period_seconds, at most rate_burst
-- saved up), kept as a level and the time it was read: two columns per bucket, updated in O(1)
-- by the claim that spends tokens, with no log of past starts to count or clean. A sliding
-- window would be exact over every window but needs one row per start in it (or a count it
-- cannot bound without them). In any window of T seconds a bucket lets at most
-- rate_burst + rate_limit * T / rate_period_seconds tasks start; rate_burst 1, the default,
-- spaces starts evenly.
CREATE TABLE tasklib.queues (
    name                    text PRIMARY KEY CHECK (name <> ''),
    paused                  boolean NOT NULL DEFAULT false,
    -- No task of the queue starts before this (suspend_queue, or a task's RateLimited).
    suspended_until         timestamptz,
    -- At most this many of the queue's tasks run at once, over every worker.
    concurrency_limit       integer CHECK (concurrency_limit >= 1),
    -- At most this many tasks of one limit_key run at once.
    key_concurrency_limit   integer CHECK (key_concurrency_limit >= 1),
    rate_limit              integer CHECK (rate_limit >= 1),
    rate_period_seconds     double precision CHECK (rate_period_seconds > 0 AND rate_period_seconds <= 86400),
    rate_burst              integer CHECK (rate_burst >= 1),
    key_rate_limit          integer CHECK (key_rate_limit >= 1),
    key_rate_period_seconds double precision CHECK (key_rate_period_seconds > 0 AND key_rate_period_seconds <= 86400),
    key_rate_burst          integer CHECK (key_rate_burst >= 1),
    -- The queue's bucket: its level at tokens_at (NULL: full).
    tokens                  double precision,
    tokens_at               timestamptz,
    -- The latest blocked_until of the queue's keys (queue_keys): until then claim looks the keys up.
    keys_blocked_until      timestamptz,
    -- Whether claim must read this queue under its row lock: any limit set. Derived, so that
    -- no function can set a limit and forget to say so.
    limited                 boolean NOT NULL GENERATED ALWAYS AS (
                                concurrency_limit IS NOT NULL OR key_concurrency_limit IS NOT NULL
                                OR rate_limit IS NOT NULL OR key_rate_limit IS NOT NULL) STORED,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT queues_rate_whole CHECK ((rate_limit IS NULL) = (rate_period_seconds IS NULL)
                                        AND (rate_limit IS NULL) = (rate_burst IS NULL)),
    CONSTRAINT queues_key_rate_whole CHECK ((key_rate_limit IS NULL) = (key_rate_period_seconds IS NULL)
                                            AND (key_rate_limit IS NULL) = (key_rate_burst IS NULL))
);
-- The queue of every task that names none exists from the start.
INSERT INTO tasklib.queues (name) VALUES ((tasklib.task_defaults()).queue);
COMMENT ON TABLE tasklib.queues IS
    'One row per queue (added on first use): pause, suspension and the limits claim enforces. Change it through set_queue_limits, pause_queue, resume_queue and suspend_queue.';
COMMENT ON COLUMN tasklib.queues.tokens IS 'The rate bucket''s level at tokens_at (NULL: full); see tasklib.queue_flow for the level now.';

-- The state of one limit key of a queue that needs any: a suspension, or a rate bucket. A row
-- appears when a key is suspended or starts a task under a per-key rate limit.
CREATE TABLE tasklib.queue_keys (
    queue           text NOT NULL,
    key             text NOT NULL,
    suspended_until timestamptz,
    tokens          double precision,
    tokens_at       timestamptz,
    -- When the key may next start a task, as far as its suspension and bucket go: claim
    -- finds the keys blocked now by this index, without reading the others.
    blocked_until   timestamptz,
    PRIMARY KEY (queue, key)
);
CREATE INDEX queue_keys_blocked_idx ON tasklib.queue_keys (queue, blocked_until);
COMMENT ON TABLE tasklib.queue_keys IS
    'Per limit key of a queue: its suspension and rate bucket (a row exists once a key is suspended or starts under a per-key rate limit).';

-- Whether a worker may be waiting for a queue's tasks with nothing to do, so that a submit
-- sends NOTIFY only then (a NOTIFY serialises the commits of every notifying transaction on
-- a global lock). A worker about to wait sets armed (wait_for_tasks); the first submit that
-- sees it clears it and notifies. docs/state_machine.md argues why no wake-up is lost.
CREATE TABLE tasklib.queue_waits (
    queue text PRIMARY KEY,
    armed boolean NOT NULL
);
COMMENT ON TABLE tasklib.queue_waits IS
    'Per queue: whether a worker waits for its tasks (set by wait_for_tasks, cleared by the submit that wakes it with NOTIFY tasklib_submitted).';

-- Deduplication over a time window ("at most once per hour"): the task that took a key and until
-- when it holds it, finished or not. A submit takes a key whose window has passed by updating
-- its row (one statement under the row's lock), so concurrent submitters of one key cannot both
-- take it.
CREATE TABLE tasklib.unique_windows (
    name     text NOT NULL,
    key      text NOT NULL,
    task_id  uuid NOT NULL,
    until    timestamptz NOT NULL,
    PRIMARY KEY (name, key)
);
COMMENT ON TABLE tasklib.unique_windows IS
    'Per task name and unique key with a window (unique_for_seconds): the task that holds the key and until when.';

-- A task's failures with one more appended: the record of a failed attempt, of the running row
-- it ends (fail and recover_expired write it). The last 25 are kept.
CREATE FUNCTION tasklib._failures_after(
    failures jsonb, attempt integer, worker text, started_at timestamptz, error text
) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT CASE WHEN jsonb_array_length(f) > 25 THEN f - 0 ELSE f END
          FROM (SELECT coalesce(failures, '[]') || jsonb_build_array(jsonb_build_object(
                    'attempt', attempt, 'worker', worker, 'started_at', started_at, 'failed_at', now(),
                    'error', left(error, 10000))) AS f) x);
COMMENT ON FUNCTION tasklib._failures_after IS
    'Private: a task''s failures array with the failed attempt appended (attempt, worker, started_at, failed_at, the error cut at 10,000 characters), the last 25 kept.';

-- The level of a token bucket now: what it held at tokens_at plus what it gained since, at most
-- burst. A bucket never read (NULL) is full.
CREATE FUNCTION tasklib._bucket_level(
    tokens double precision, tokens_at timestamptz, rate integer, period_seconds double precision, burst integer
) RETURNS double precision
LANGUAGE sql STABLE PARALLEL SAFE
RETURN least(burst::double precision,
             coalesce(tokens + extract(epoch FROM now() - tokens_at)::double precision * rate / period_seconds,
                      burst::double precision));
COMMENT ON FUNCTION tasklib._bucket_level IS
    'Private: the level of a token bucket now (what it held at tokens_at plus rate/period_seconds per second since, at most burst; NULL tokens: full).';

-- When a bucket that holds "level" now will hold one token: now, or later.
CREATE FUNCTION tasklib._bucket_ready_at(level double precision, rate integer, period_seconds double precision)
RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
RETURN now() + make_interval(secs => greatest(0, 1 - level) * period_seconds / rate);
COMMENT ON FUNCTION tasklib._bucket_ready_at IS
    'Private: when a token bucket holding level now will hold one token (now if it does).';

COMMIT;
