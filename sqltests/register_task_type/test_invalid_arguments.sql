-- register_task_type rejects bad options with TL002 naming them.
BEGIN;
SELECT plan(8);

SELECT throws_ok($$SELECT tasklib.register_task_type('')$$, 'TL002', NULL, 'empty name');
SELECT throws_ok($$SELECT tasklib.register_task_type(NULL)$$, 'TL002', NULL, 'NULL name');
SELECT throws_ok($$SELECT tasklib.register_task_type('rt.bad', args_schema => '[]')$$, 'TL002',
    'args_schema of task type rt.bad must be a JSON Schema object, got array', 'schema not an object');
SELECT throws_ok($$SELECT tasklib.register_task_type('rt.bad', max_retries => -1)$$, 'TL002', NULL, 'negative max_retries');
SELECT throws_ok($$SELECT tasklib.register_task_type('rt.bad', timeout_seconds => 'NaN')$$, 'TL002', NULL, 'NaN timeout');
SELECT throws_ok($$SELECT tasklib.register_task_type('rt.bad', backoff_base_seconds => 0)$$, 'TL002', NULL, 'zero backoff');
SELECT throws_ok($$SELECT tasklib.register_task_type('rt.bad', queue => '')$$, 'TL002', NULL, 'empty queue');
SELECT is((SELECT count(*)::int FROM tasklib.task_types WHERE name = 'rt.bad'), 0, 'nothing was stored');

SELECT * FROM finish();
ROLLBACK;
