-- tasklib.tasks holds every column the seed's monitoring SQL and Task fields use, with the
-- claim, lease and tag indexes; the option columns of task_types may be NULL (not set).
BEGIN;
SELECT plan(49);

SELECT has_table('tasklib', 'tasks', 'tasklib.tasks exists');
SELECT has_table('tasklib', 'task_types', 'tasklib.task_types exists');
SELECT col_is_pk('tasklib', 'tasks', 'id', 'id is the primary key');
SELECT col_type_is('tasklib', 'tasks', 'id', 'uuid', 'id is a uuid');
SELECT col_type_is('tasklib', 'tasks', 'name', 'text', 'name is text');
SELECT col_type_is('tasklib', 'tasks', 'args', 'jsonb', 'args is jsonb');
SELECT col_type_is('tasklib', 'tasks', 'state', 'text', 'state is text');
SELECT col_type_is('tasklib', 'tasks', 'priority', 'integer', 'priority is an integer');
SELECT col_type_is('tasklib', 'tasks', 'tags', 'jsonb', 'tags is jsonb');
SELECT col_type_is('tasklib', 'tasks', 'result', 'jsonb', 'result is jsonb');
SELECT col_type_is('tasklib', 'tasks', 'error', 'text', 'error is text');
SELECT col_type_is('tasklib', 'tasks', 'retry_count', 'integer', 'retry_count is an integer');
SELECT col_type_is('tasklib', 'tasks', 'max_retries', 'integer', 'max_retries is an integer');
SELECT col_type_is('tasklib', 'tasks', 'timeout_seconds', 'double precision', 'timeout_seconds is a number');
SELECT col_type_is('tasklib', 'tasks', 'scheduled_at', 'timestamp with time zone', 'scheduled_at is a timestamptz');
SELECT col_type_is('tasklib', 'tasks', 'next_retry_at', 'timestamp with time zone', 'next_retry_at is a timestamptz');
SELECT col_type_is('tasklib', 'tasks', 'started_at', 'timestamp with time zone', 'started_at is a timestamptz');
SELECT col_type_is('tasklib', 'tasks', 'completed_at', 'timestamp with time zone', 'completed_at is a timestamptz');
SELECT col_type_is('tasklib', 'tasks', 'created_at', 'timestamp with time zone', 'created_at is a timestamptz');
SELECT col_type_is('tasklib', 'tasks', 'worker_id', 'text', 'worker_id is text');
SELECT col_type_is('tasklib', 'tasks', 'submitted_by', 'text', 'submitted_by is text');
SELECT col_not_null('tasklib', 'tasks', 'submitted_by', 'every task has a submitter');
SELECT col_default_is('tasklib', 'tasks', 'submitted_by', 'SESSION_USER', 'which defaults to the login (session_user)');
SELECT col_type_is('tasklib', 'tasks', 'attempt', 'integer', 'attempt is an integer');
SELECT col_not_null('tasklib', 'tasks', 'attempt', 'attempt is not null');
SELECT col_default_is('tasklib', 'tasks', 'attempt', '0', 'a task starts at attempt 0');
SELECT col_type_is('tasklib', 'tasks', 'lease_token', 'uuid', 'lease_token is a uuid');
SELECT col_is_null('tasklib', 'tasks', 'lease_token', 'lease_token is NULL unless running');
SELECT col_type_is('tasklib', 'tasks', 'locked_until', 'timestamp with time zone', 'locked_until is a timestamptz');
SELECT col_type_is('tasklib', 'tasks', 'run_at', 'timestamp with time zone', 'run_at is a timestamptz');
SELECT col_type_is('tasklib', 'tasks', 'terminal', 'boolean', 'terminal is a boolean');

SELECT col_is_null('tasklib', 'task_types', 'queue', 'a task type may leave queue unset');
SELECT col_is_null('tasklib', 'task_types', 'priority', 'a task type may leave priority unset');
SELECT col_is_null('tasklib', 'task_types', 'max_retries', 'a task type may leave max_retries unset');
SELECT col_is_null('tasklib', 'task_types', 'timeout_seconds', 'a task type may leave timeout_seconds unset');
SELECT col_is_null('tasklib', 'task_types', 'backoff_base_seconds', 'a task type may leave backoff_base_seconds unset');
SELECT col_is_null('tasklib', 'task_types', 'backoff_max_seconds', 'a task type may leave backoff_max_seconds unset');

SELECT has_index('tasklib', 'tasks', 'tasks_claim_idx', ARRAY['queue', 'priority', 'run_at', 'created_at'], 'the claim index, by queue');
SELECT is(pg_get_expr((SELECT indpred FROM pg_index WHERE indexrelid = 'tasklib.tasks_claim_idx'::regclass),
                      'tasklib.tasks'::regclass), '(run_at IS NOT NULL)', 'the claim index holds only claimable rows');
SELECT has_index('tasklib', 'tasks', 'tasks_lease_idx', ARRAY['locked_until'], 'the lease index');
SELECT is(pg_get_expr((SELECT indpred FROM pg_index WHERE indexrelid = 'tasklib.tasks_lease_idx'::regclass),
                      'tasklib.tasks'::regclass), '(state = ''running''::text)', 'the lease index holds only running rows');
SELECT has_index('tasklib', 'tasks', 'tasks_tags_idx', 'the tag index');
SELECT index_is_type('tasklib', 'tasks', 'tasks_tags_idx', 'gin', 'the tag index is a GIN index');
SELECT is(pg_get_expr((SELECT indpred FROM pg_index WHERE indexrelid = 'tasklib.tasks_tags_idx'::regclass),
                      'tasklib.tasks'::regclass), '(tags <> ''{}''::jsonb)', 'the tag index leaves untagged tasks out');
SELECT is((SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
             JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
            WHERE d.adrelid = 'tasklib.tasks'::regclass AND a.attname = 'id'),
    'tasklib._uuid_v7()', 'ids default to time-ordered UUIDs');

SELECT isnt(obj_description('tasklib.tasks'::regclass, 'pg_class'), NULL, 'tasks has a comment');
SELECT isnt(obj_description('tasklib.task_types'::regclass, 'pg_class'), NULL, 'task_types has a comment');

SELECT is((SELECT attgenerated::text FROM pg_attribute
             WHERE attrelid = 'tasklib.tasks'::regclass AND attname = 'run_at'), 's',
    'run_at is a stored generated column, so no code path can forget it');

-- The tag index answers containment queries that also say tags <> '{}' (list_tasks does).
CREATE FUNCTION pg_temp.plan_of(p_query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_plan text := '';
    v_line text;
BEGIN
    FOR v_line IN EXECUTE 'EXPLAIN ' || p_query LOOP
        v_plan := v_plan || v_line || E'\n';
    END LOOP;
    RETURN v_plan;
END;
$$;
SET LOCAL enable_seqscan = off;
SELECT matches(pg_temp.plan_of($$SELECT id FROM tasklib.tasks WHERE tags <> '{}' AND tags @> '{"tenant": "acme"}'$$),
    'tasks_tags_idx', 'a tags @> query that says tags <> ''{}'' can use the tag index');

SELECT * FROM finish();
ROLLBACK;
