-- The table itself refuses rows no function would write, so a direct INSERT cannot break the queue.
BEGIN;
SELECT plan(9);

SELECT throws_ok($$INSERT INTO tasklib.tasks (name, state) VALUES ('x', 'paused')$$, '23514', NULL, 'an unknown state');
SELECT throws_ok($$INSERT INTO tasklib.tasks (name) VALUES ('')$$, '23514', NULL, 'an empty name');
SELECT throws_ok($$INSERT INTO tasklib.tasks (name, args) VALUES ('x', '[]')$$, '23514', NULL, 'non-object args');
SELECT throws_ok($$INSERT INTO tasklib.tasks (name, tags) VALUES ('x', '"t"')$$, '23514', NULL, 'non-object tags');
SELECT throws_ok($$INSERT INTO tasklib.tasks (name, retry_count) VALUES ('x', -1)$$, '23514', NULL, 'a negative retry_count');
SELECT throws_ok($$INSERT INTO tasklib.tasks (name, timeout_seconds) VALUES ('x', 'NaN')$$, '23514', NULL, 'a NaN timeout');
SELECT throws_ok($$INSERT INTO tasklib.tasks (name, backoff_base_seconds) VALUES ('x', 'Infinity')$$, '23514', NULL, 'an infinite backoff base');
SELECT throws_ok($$INSERT INTO tasklib.task_types (name, backoff_max_seconds) VALUES ('x', 'NaN')$$, '23514', NULL, 'a NaN backoff cap on a task type');
SELECT throws_ok($$INSERT INTO tasklib.tasks (name, run_at) VALUES ('x', now())$$, '428C9', NULL, 'run_at cannot be written');

SELECT * FROM finish();
ROLLBACK;
