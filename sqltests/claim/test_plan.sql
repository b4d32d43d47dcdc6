-- claim runs with plan_cache_mode = force_generic_plan (a custom plan per call cost ~100 us of
-- server CPU), so its one generic plan must read the claim index in order whatever the backlog:
-- checked on the statement the deployed function runs (read from its source, its parameters
-- made $1, $2, ...), with 100,000 due tasks among 200,000, analyzed, and with statistics taken
-- when none was due.
BEGIN;
SELECT plan(5);

-- The RETURN QUERY statement of a PL/pgSQL function, its parameters as $1, $2, ... (and claim's
-- token variable as the expression that sets it).
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
    RETURN replace(v_sql, 'v_token', 'coalesce($5, gen_random_uuid())');
END;
$$;
CREATE FUNCTION pg_temp.generic_plan() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_plan text := '';
    v_line text;
BEGIN
    EXECUTE format('PREPARE probe(text, integer, text[], double precision, uuid) AS %s',
                   pg_temp.statement_of('tasklib.claim(text, integer, text[], double precision, uuid)'));
    SET LOCAL plan_cache_mode = force_generic_plan;
    FOR v_line IN EXECUTE 'EXPLAIN (COSTS OFF) EXECUTE probe(''w'', 1, NULL, 60, NULL)' LOOP
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

SELECT * FROM finish();
ROLLBACK;
