-- complete reaches its rows through the primary key whatever the statistics say. Checked on the
-- statement the deployed function runs (read from its source, its parameters made $1, $2, ...),
-- as a custom plan and as the generic plan PL/pgSQL caches after five calls:
--   - with statistics taken when almost no task ran, then thousands claimed (the planner thinks
--     the lease index holds one row: it once chose to scan it all, filtered by state and worker);
--   - with pg_class saying the table is tiny;
--   - with thousands of dead entries in the lease index that no vacuum may remove (what a long
--     transaction left open causes), where completing one task reads a handful of pages.
BEGIN;
SELECT plan(7);

-- The RETURN QUERY statement of a PL/pgSQL function, its parameters as $1, $2, ...
CREATE FUNCTION pg_temp.statement_of(p_function regprocedure) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_proc pg_proc;
    v_sql text;
BEGIN
    SELECT * INTO v_proc FROM pg_proc WHERE oid = p_function;
    v_sql := substring(v_proc.prosrc FROM 'RETURN QUERY\s+(.*);\s*END;\s*$');
    FOR i IN 1 .. v_proc.pronargs LOOP
        v_sql := regexp_replace(v_sql, '\m' || v_proc.proname || '\.' || v_proc.proargnames[i] || '\M', '$' || i, 'g');
    END LOOP;
    RETURN v_sql;
END;
$$;
-- The plan of that statement for these arguments, as text: custom or generic.
CREATE FUNCTION pg_temp.plan_of(p_function regprocedure, p_arguments text, p_mode text, p_analyze boolean DEFAULT false)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_plan text := '';
    v_line text;
BEGIN
    EXECUTE format('PREPARE probe(%s) AS %s',
        (SELECT string_agg(format_type(t, NULL), ', ' ORDER BY o)
           FROM unnest((SELECT proargtypes::oid[] FROM pg_proc WHERE oid = p_function)) WITH ORDINALITY AS a(t, o)),
        pg_temp.statement_of(p_function));
    EXECUTE format('SET LOCAL plan_cache_mode = %s', p_mode);
    FOR v_line IN EXECUTE format('EXPLAIN (%s) EXECUTE probe(%s)',
                                 CASE WHEN p_analyze THEN 'ANALYZE, BUFFERS, COSTS OFF, TIMING OFF' ELSE 'COSTS OFF' END,
                                 p_arguments) LOOP
        v_plan := v_plan || v_line || E'\n';
    END LOOP;
    DEALLOCATE probe;
    RESET plan_cache_mode;
    RETURN v_plan;
END;
$$;
CREATE FUNCTION pg_temp.uses_primary_key(p_plan text) RETURNS boolean LANGUAGE sql AS $$
    SELECT p_plan ~ 'tasks_pkey' AND p_plan !~ 'tasks_lease_idx' AND p_plan !~ 'Seq Scan on tasks'
$$;

DELETE FROM tasklib.tasks;
-- 20,000 finished tasks and one running, analyzed; then 3,000 more claimed, not analyzed.
INSERT INTO tasklib.tasks (name, state, result, worker_id, started_at, completed_at, created_at)
SELECT 'plan.history', 'completed', '{"value": null}', 'w', now(), now(), now() - make_interval(secs => i)
  FROM generate_series(1, 20000) AS i;
SELECT tasklib.submit('plan.one');
SELECT count(*) FROM tasklib.claim('w', 1, lease_token => '00000000-0000-4000-8000-0000000000aa');
ANALYZE tasklib.tasks;
SELECT count(*) FROM tasklib.submit_many((SELECT jsonb_agg(jsonb_build_object('name', 'plan.many')) FROM generate_series(1, 3000)));
SELECT count(*) FROM tasklib.claim('w', 3000, lease_token => '00000000-0000-4000-8000-0000000000aa');

CREATE TEMP TABLE target AS
SELECT format('%L, ARRAY[%L]::uuid[], ARRAY[%L]::uuid[], NULL', 'w', id, '00000000-0000-4000-8000-0000000000aa') AS arguments
  FROM tasklib.tasks WHERE name = 'plan.one';

SELECT ok(pg_temp.uses_primary_key(pg_temp.plan_of('tasklib.complete(text, uuid[], uuid[], jsonb[])',
                                                   (SELECT arguments FROM target), 'force_custom_plan')),
    'stale statistics (3,000 running, analyzed with 1): the custom plan reaches the task by its primary key');
SELECT ok(pg_temp.uses_primary_key(pg_temp.plan_of('tasklib.complete(text, uuid[], uuid[], jsonb[])',
                                                   (SELECT arguments FROM target), 'force_generic_plan')),
    'and so does the generic plan PL/pgSQL caches');

-- Complete the 3,000 in this transaction (statistics still stale): their lease-index entries
-- stay, pointing to row versions this open transaction still keeps from every vacuum.
SELECT count(*) FROM tasklib.complete('w', ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'plan.many' ORDER BY id),
                                      ARRAY(SELECT lease_token FROM tasklib.tasks WHERE name = 'plan.many' ORDER BY id));
CREATE TEMP TABLE analyzed AS
SELECT pg_temp.plan_of('tasklib.complete(text, uuid[], uuid[], jsonb[])', (SELECT arguments FROM target),
                       'force_generic_plan', true) AS plan;
SELECT ok(pg_temp.uses_primary_key((SELECT plan FROM analyzed)),
    'with 3,000 dead lease-index entries no vacuum may remove: the primary key');
SELECT cmp_ok((SELECT max(m[1]::int) FROM analyzed, regexp_matches(plan, 'shared hit=(\d+)', 'g') AS m),
    '<', 100, 'and completing one task reads a handful of pages, not the lease index');
SELECT is((SELECT state FROM tasklib.tasks WHERE name = 'plan.one'), 'completed', 'the probe did complete the task');

SELECT count(*) FROM tasklib.submit('plan.two');
SELECT count(*) FROM tasklib.claim('w', 1, lease_token => '00000000-0000-4000-8000-0000000000aa');
CREATE TEMP TABLE target2 AS
SELECT format('%L, ARRAY[%L]::uuid[], ARRAY[%L]::uuid[], NULL', 'w', id, '00000000-0000-4000-8000-0000000000aa') AS arguments
  FROM tasklib.tasks WHERE name = 'plan.two';
UPDATE pg_class SET reltuples = 10, relpages = 1 WHERE oid = 'tasklib.tasks'::regclass;
SELECT ok(pg_temp.uses_primary_key(pg_temp.plan_of('tasklib.complete(text, uuid[], uuid[], jsonb[])',
                                                   (SELECT arguments FROM target2), 'force_custom_plan')),
    'pg_class saying the table holds 10 rows: the primary key still');
SELECT ok(pg_temp.uses_primary_key(pg_temp.plan_of('tasklib.complete(text, uuid[], uuid[], jsonb[])',
                                                   (SELECT arguments FROM target2), 'force_generic_plan')),
    'generic plan too');

SELECT * FROM finish();
ROLLBACK;
