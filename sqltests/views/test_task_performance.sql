-- task_performance: the seed's Performance by Task plus p50/p95 and the failure rate.
BEGIN;
SELECT plan(5);

DELETE FROM tasklib.tasks;
-- Ten completed runs of 1..10 seconds, one permanent failure, one retrying failure (not finished).
INSERT INTO tasklib.tasks (name, state, started_at, completed_at)
SELECT 'perf.a', 'completed', now() - make_interval(secs => g), now() FROM generate_series(1, 10) g;
INSERT INTO tasklib.tasks (name, state, retry_count, max_retries, started_at, completed_at)
VALUES ('perf.a', 'failed', 3, 3, now() - interval '2 seconds', now());
INSERT INTO tasklib.tasks (name, state, retry_count, max_retries, started_at, next_retry_at)
VALUES ('perf.a', 'failed', 0, 3, now() - interval '2 seconds', now() + interval '5 seconds');
INSERT INTO tasklib.tasks (name, state, started_at, completed_at)
VALUES ('perf.b', 'completed', now() - interval '20 seconds', now());

SELECT results_eq(
    'SELECT name, executions, avg_duration_s, max_duration_s FROM tasklib.task_performance',
    $$VALUES ('perf.b'::text, 1::bigint, 20::double precision, 20::double precision),
             ('perf.a', 10, 5.5, 10)$$,
    'executions, average and max over completed runs, slowest first');
SELECT is((SELECT p50_duration_s FROM tasklib.task_performance WHERE name = 'perf.a'), 5.5::double precision, 'p50');
SELECT is((SELECT round(p95_duration_s::numeric, 2) FROM tasklib.task_performance WHERE name = 'perf.a'), 9.55, 'p95');
SELECT results_eq(
    $$SELECT failed_permanent, failure_rate FROM tasklib.task_performance WHERE name = 'perf.a'$$,
    $$VALUES (1::bigint, 0.0909::numeric)$$,
    'failure_rate = permanent failures / finished tasks; a failure waiting for its retry is not counted');

SET LOCAL search_path = tasklib, public;
SELECT results_eq(
    $$SELECT
  name,
  COUNT(*) as executions,
  AVG(EXTRACT(EPOCH FROM (completed_at - started_at))) as avg_duration_s,
  MAX(EXTRACT(EPOCH FROM (completed_at - started_at))) as max_duration_s
FROM tasks
WHERE state = 'completed'
GROUP BY name
ORDER BY avg_duration_s DESC;$$,
    $$SELECT name, executions, avg_duration_s::numeric, max_duration_s::numeric FROM task_performance$$,
    'the seed''s Performance by Task runs verbatim and agrees with task_performance');
RESET search_path;

SELECT * FROM finish();
ROLLBACK;
