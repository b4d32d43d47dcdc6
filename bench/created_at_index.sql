-- The write-path cost of an index on tasklib.tasks (created_at, id), which the dashboard's list
-- would need to page by (created_at, id) instead of by id (docs/operations.md). Run on a scratch
-- database migrated with tasklib, alternating without and with the index:
--
--   psql $URL -c "DROP INDEX IF EXISTS tasklib.tasks_created_at_id_idx" -f bench/created_at_index.sql
--   psql $URL -c "CREATE INDEX tasks_created_at_id_idx ON tasklib.tasks (created_at, id)" \
--        -f bench/created_at_index.sql
--
-- It submits 50,000 tasks (submit_many, 500 a transaction), then claims and completes them (100
-- a claim, a transaction each); \timing prints the time of each step. It empties tasklib.tasks.
\timing on
TRUNCATE tasklib.tasks;
-- submit 50,000 in batches of 500, each its own transaction
DO $$
BEGIN
  FOR b IN 1..100 LOOP
    PERFORM tasklib.submit_many((SELECT jsonb_agg(jsonb_build_object('name', 'w.t', 'args', jsonb_build_object('n', n))) FROM generate_series(1, 500) n));
    COMMIT;
  END LOOP;
END $$;
-- claim and complete them, 100 per claim, a transaction each
DO $$
DECLARE v_ids uuid[]; v_tokens uuid[]; v_token uuid;
BEGIN
  LOOP
    v_token := gen_random_uuid();
    SELECT array_agg(c.id) INTO v_ids FROM tasklib.claim('w1', 100, NULL, 60, v_token) c;
    EXIT WHEN v_ids IS NULL;
    COMMIT;
    PERFORM tasklib.complete('w1', v_ids, array_fill(v_token, ARRAY[cardinality(v_ids)]));
    COMMIT;
  END LOOP;
END $$;
