-- After the attempt with retry_count r fails, the next is due at now + base * 2^r
-- (base 5: 5, 10, 20, 40, 80, 160 seconds), capped by the task type's backoff_max_seconds.
BEGIN;
SELECT plan(3);

DELETE FROM tasklib.tasks;
CREATE TEMP TABLE delays (retry_count int, delay interval);

-- Fail the same task seven times over, recording each wait, making it due each time.
CREATE FUNCTION pg_temp.fail_repeatedly(p_name text, p_times int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_row record;
BEGIN
    FOR i IN 1 .. p_times LOOP
        PERFORM tasklib.claim('sqltest-worker', 1);
        SELECT f.next_retry_at, t.retry_count INTO v_row
          FROM tasklib.tasks t,
               tasklib.fail('sqltest-worker', ARRAY[t.id], ARRAY[t.lease_token], ARRAY['boom']) f
         WHERE t.name = p_name;
        INSERT INTO delays VALUES (v_row.retry_count, v_row.next_retry_at - now());
        UPDATE tasklib.tasks SET next_retry_at = now() WHERE name = p_name;
    END LOOP;
END;
$$;

DO $$ BEGIN PERFORM tasklib.submit('sqltest.fail.backoff', max_retries => 10); END $$;
DO $$ BEGIN PERFORM pg_temp.fail_repeatedly('sqltest.fail.backoff', 6); END $$;
SELECT results_eq(
    $$SELECT retry_count, extract(epoch FROM delay)::int FROM delays ORDER BY retry_count$$,
    $$VALUES (0, 5), (1, 10), (2, 20), (3, 40), (4, 80), (5, 160)$$,
    'base 5: the waits double from 5 seconds');

DELETE FROM tasklib.tasks;
DELETE FROM delays;
INSERT INTO tasklib.task_types (name, backoff_base_seconds, backoff_max_seconds) VALUES ('sqltest.fail.capped', 3, 30);
DO $$ BEGIN PERFORM tasklib.submit('sqltest.fail.capped', max_retries => 10); END $$;
DO $$ BEGIN PERFORM pg_temp.fail_repeatedly('sqltest.fail.capped', 6); END $$;
SELECT results_eq(
    $$SELECT retry_count, extract(epoch FROM delay)::int FROM delays ORDER BY retry_count$$,
    $$VALUES (0, 3), (1, 6), (2, 12), (3, 24), (4, 30), (5, 30)$$,
    'a task type''s base and cap apply: 3, 6, 12, 24, then at most 30');

DELETE FROM tasklib.tasks;
DELETE FROM delays;
DO $$ BEGIN PERFORM tasklib.submit('sqltest.fail.based', max_retries => 10, backoff_base_seconds => 0.5); END $$;
DO $$ BEGIN PERFORM pg_temp.fail_repeatedly('sqltest.fail.based', 3); END $$;
SELECT results_eq(
    $$SELECT retry_count, delay FROM delays ORDER BY retry_count$$,
    $$VALUES (0, interval '0.5 seconds'), (1, interval '1 second'), (2, interval '2 seconds')$$,
    'a per-task base applies');

SELECT * FROM finish();
ROLLBACK;
