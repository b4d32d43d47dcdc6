-- claim runs with plan_cache_mode = force_generic_plan (a custom plan per call cost ~100 us of
-- server CPU), so its one generic plan must read the claim index in order whatever the backlog:
-- checked on the statement the deployed function runs (read from its source, its parameters
-- made $1, $2, ...), with 100,000 due tasks among 200,000, analyzed, and with statistics taken
-- when none was due.
BEGIN;
SELECT plan(8);

-- The RETURN QUERY statement of a PL/pgSQL function, its parameters as $1, $2, ... (and claim's
-- token variable as the expression that sets it; its queues without limits as the queue named
-- by the third parameter, nothing chosen from limited queues).
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
    v_sql := replace(v_sql, 'v_token', 'coalesce($5, gen_random_uuid())');
    v_sql := replace(v_sql, 'unnest(v_free)', 'unnest($3)');
    v_sql := replace(v_sql, 'cardinality(v_rows)', '0');
    RETURN replace(v_sql, 'unnest(v_rows, v_due)', 'unnest(''{}''::tid[], ''{}''::timestamptz[])');
END;
$$;
CREATE FUNCTION pg_temp.generic_plan(p_queue text DEFAULT 'default', p_analyze boolean DEFAULT false)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_plan text := '';
    v_line text;
BEGIN
    EXECUTE format('PREPARE probe(text, integer, text[], double precision, uuid, text[]) AS %s',
                   pg_temp.statement_of('tasklib.claim(text, integer, text[], double precision, uuid, text[])'));
    SET LOCAL plan_cache_mode = force_generic_plan;
    FOR v_line IN EXECUTE format('EXPLAIN (COSTS OFF%s) EXECUTE probe(''w'', 1, ARRAY[%L], 60, NULL, NULL)',
                                 CASE WHEN p_analyze THEN ', ANALYZE, TIMING OFF, SUMMARY OFF' ELSE '' END, p_queue) LOOP
        v_plan := v_plan || v_line || E'\n';
    END LOOP;
    DEALLOCATE probe;
    RESET plan_cache_mode;
    RETURN v_plan;
END;
$$;

SELECT ok((SELECT 'plan_cache_mode=force_generic_plan' = ANY (proconfig) FROM pg_proc WHERE oid = 'tasklib.claim'::regproc),
    'claim keeps one generic plan');

DELETE FROM tasklib.tasks;
INSERT INTO tasklib.tasks (name, state, result, worker_id, started_at, completed_at)
SELECT 'plan.done', 'completed', '{"value": null}', 'w', now(), now() FROM generate_series(1, 100000);
ANALYZE tasklib.tasks;
INSERT INTO tasklib.tasks (name, priority, created_at)
SELECT 'plan.due', i % 5, now() - make_interval(secs => i) FROM generate_series(1, 100000) AS i;
SELECT matches(pg_temp.generic_plan(), 'Index Scan using tasks_claim_idx',
    'statistics taken with nothing due, 100,000 due now: the claim index');
SELECT unalike(pg_temp.generic_plan(), '%Seq Scan on tasks%', 'and no sequential scan');
ANALYZE tasklib.tasks;
SELECT matches(pg_temp.generic_plan(), 'Index Scan using tasks_claim_idx',
    '100,000 due among 200,000, analyzed: the claim index');
SELECT unalike(pg_temp.generic_plan(), '%Seq Scan on tasks%', 'and no sequential scan');

-- A rare queue among 100,000 due tasks of another: its range of the index, nothing filtered.
-- (EXPLAIN ANALYZE runs the claim: one run, its plan kept.)
INSERT INTO tasklib.tasks (name, queue) VALUES ('plan.rare', 'rare');
CREATE TEMP TABLE rare_plan AS SELECT pg_temp.generic_plan('rare', true) AS plan;
SELECT matches((SELECT plan FROM rare_plan), 'Index Scan using tasks_claim_idx',
    'a claim of a rare queue reads the claim index');
SELECT unalike((SELECT plan FROM rare_plan), '%Rows Removed by Filter%',
    'and filters out none of the other queue''s 100,000 due tasks');
SELECT is((SELECT state FROM tasklib.tasks WHERE name = 'plan.rare'), 'running', 'it claims the rare queue''s one task');

SELECT * FROM finish();
ROLLBACK;
