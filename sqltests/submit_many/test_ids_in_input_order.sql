-- submit_many stores every task with its own options and returns the ids in input order.
BEGIN;
SELECT plan(5);

CREATE TEMP TABLE submitted AS
SELECT row_number() OVER () AS position, id
  FROM tasklib.submit_many($$[
      {"name": "sqltest.many.c", "args": {"i": 1}},
      {"name": "sqltest.many.a", "args": {"i": 2}, "priority": 5, "tags": {"t": "x"}},
      {"name": "sqltest.many.b", "args": {"i": 3}, "delay_seconds": 60, "max_retries": 0,
       "timeout_seconds": 9, "queue": "q2", "backoff_base_seconds": 1}
  ]$$) AS id;

SELECT is((SELECT count(*)::int FROM submitted), 3, 'one id per task');
SELECT results_eq(
    $$SELECT t.name FROM submitted s JOIN tasklib.tasks t USING (id) ORDER BY s.position$$,
    ARRAY['sqltest.many.c', 'sqltest.many.a', 'sqltest.many.b'],
    'ids come back in input order');
SELECT results_eq(
    $$SELECT args, priority, tags, max_retries, timeout_seconds, queue, backoff_base_seconds,
             scheduled_at - now()
        FROM tasklib.tasks WHERE name LIKE 'sqltest.many.%' ORDER BY args->>'i'$$,
    $$VALUES ('{"i": 1}'::jsonb, 0, '{}'::jsonb, 3, NULL::double precision, 'default'::text, 5::double precision, interval '0'),
             ('{"i": 2}'::jsonb, 5, '{"t": "x"}'::jsonb, 3, NULL, 'default', 5, interval '0'),
             ('{"i": 3}'::jsonb, 0, '{}'::jsonb, 0, 9, 'q2', 1, interval '60 seconds')$$,
    'each task keeps its own options, missing ones take the defaults');
SELECT is((SELECT count(DISTINCT id)::int FROM submitted), 3, 'ids are distinct');

CREATE TEMP TABLE big AS
SELECT row_number() OVER () AS position, id
  FROM tasklib.submit_many((SELECT jsonb_agg(jsonb_build_object('name', 'sqltest.many.big', 'args',
                                                                jsonb_build_object('i', i)) ORDER BY i)
                              FROM generate_series(1, 500) AS i)) AS id;
SELECT is_empty(
    $$SELECT 1 FROM big b JOIN tasklib.tasks t USING (id) WHERE (t.args->>'i')::bigint <> b.position$$,
    'in a batch of 500, the n-th id is the n-th task');

SELECT * FROM finish();
ROLLBACK;
