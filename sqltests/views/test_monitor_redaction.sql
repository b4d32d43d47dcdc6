-- tasklib_monitor reads counts and metadata, never a task's arguments, result or error text: in
-- recent_failures, error_line, error and args are NULL for it (a password in a traceback, a card
-- number in the arguments); an administrator, a worker or the owner sees them, and so does a
-- login granted SELECT (error, args) on tasks. No view shows a monitor any args, result or error.
BEGIN;
SELECT plan(9);

DELETE FROM tasklib.tasks;
SELECT tasklib.submit('redact.pay', '{"card": "4111 1111 1111 1111"}', max_retries => 0);
SELECT count(*) FROM tasklib.claim('w', 1, lease_token => '00000000-0000-4000-8000-0000000000b1');
SELECT count(*) FROM tasklib.fail('w', ARRAY(SELECT id FROM tasklib.tasks), ARRAY['00000000-0000-4000-8000-0000000000b1'::uuid],
    ARRAY[E'Traceback (most recent call last):\n  File "pay.py", line 3\nConnectionError: login failed for password=hunter2']);
SELECT tasklib.submit('redact.done', '{"salary": 123456}');
SELECT count(*) FROM tasklib.claim('w', 1, lease_token => '00000000-0000-4000-8000-0000000000b2');
SELECT count(*) FROM tasklib.complete('w', ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'redact.done'),
    ARRAY['00000000-0000-4000-8000-0000000000b2'::uuid], ARRAY['{"net": 98765}'::jsonb]);

SET LOCAL ROLE tasklib_monitor;
SELECT results_eq($$SELECT name, retry_state, attempts, error_line, error, args FROM tasklib.recent_failures$$,
    $$VALUES ('redact.pay'::text, 'permanent'::text, 1, NULL::text, NULL::text, NULL::jsonb)$$,
    'a monitor sees the failure''s metadata, without error text or arguments');
SELECT is_empty($$
    SELECT v.name, j.key
      FROM (SELECT 'queue_status' AS name, to_jsonb(x) AS row FROM tasklib.queue_status x
            UNION ALL SELECT 'queue_status_by_task', to_jsonb(x) FROM tasklib.queue_status_by_task x
            UNION ALL SELECT 'task_performance', to_jsonb(x) FROM tasklib.task_performance x
            UNION ALL SELECT 'worker_health', to_jsonb(x) FROM tasklib.worker_health x
            UNION ALL SELECT 'recent_failures', to_jsonb(x) FROM tasklib.recent_failures x
            UNION ALL SELECT 'throughput', to_jsonb(x) FROM tasklib.throughput x) v,
           jsonb_each(v.row) j
     WHERE j.key IN ('args', 'result', 'error', 'error_line', 'tags') AND j.value <> 'null'
        OR j.value::text ~ 'hunter2|4111|123456|98765'$$,
    'no view shows a monitor any argument, result or error text');
RESET ROLE;

SET LOCAL ROLE tasklib_admin;
SELECT results_eq($$SELECT error_line, args FROM tasklib.recent_failures$$,
    $$VALUES ('ConnectionError: login failed for password=hunter2'::text, '{"card": "4111 1111 1111 1111"}'::jsonb)$$,
    'an administrator sees them');
RESET ROLE;
SELECT isnt((SELECT error FROM tasklib.recent_failures), NULL, 'the owner (here a superuser) sees them');

CREATE ROLE tasklib_test_grafana NOLOGIN;
GRANT tasklib_monitor TO tasklib_test_grafana;
SET LOCAL ROLE tasklib_test_grafana;
SELECT is((SELECT error_line FROM tasklib.recent_failures), NULL, 'a monitor login sees no error text');
RESET ROLE;
GRANT SELECT (error) ON tasklib.tasks TO tasklib_test_grafana;
SET LOCAL ROLE tasklib_test_grafana;
SELECT is((SELECT error_line FROM tasklib.recent_failures), 'ConnectionError: login failed for password=hunter2',
    'until it is granted SELECT (error) on tasks');
SELECT is((SELECT args FROM tasklib.recent_failures), NULL, 'which shows the error, not the arguments');
SELECT is_empty($$SELECT 1 FROM tasklib.tasks$$,
    'and gives it no row of tasks itself (no policy admits it)');
RESET ROLE;
SELECT throws_ok($$SET LOCAL ROLE tasklib_monitor; SELECT count(*) FROM tasklib.tasks$$, '42501', NULL,
    'a monitor still cannot read the tasks table');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
