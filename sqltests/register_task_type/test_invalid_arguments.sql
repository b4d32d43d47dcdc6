-- register_task_type rejects bad options with TL002 naming them and their values, with the
-- words a submission's options get (both come from _option_problem).
BEGIN;
SELECT plan(11);

SELECT throws_ok($$SELECT tasklib.register_task_type('')$$, 'TL002', NULL, 'empty name');
SELECT throws_ok($$SELECT tasklib.register_task_type(NULL)$$, 'TL002', NULL, 'NULL name');
SELECT throws_ok($$SELECT tasklib.register_task_type('rt.bad', args_schema => '[]')$$, 'TL002',
    'args_schema of task type rt.bad must be a JSON Schema object, got array', 'schema not an object');
SELECT throws_ok($$SELECT tasklib.register_task_type('rt.bad', max_retries => -1)$$, 'TL002',
    'max_retries must be an integer from 0 to 100, got -1 (task type rt.bad)', 'negative max_retries');
SELECT throws_ok($$SELECT tasklib.register_task_type('rt.bad', timeout_seconds => 'NaN')$$, 'TL002',
    'timeout_seconds must be a finite number > 0, got NaN (task type rt.bad)', 'NaN timeout');
SELECT throws_ok($$SELECT tasklib.register_task_type('rt.bad', timeout_seconds => 0)$$, 'TL002',
    'timeout_seconds must be a finite number > 0, got 0 (task type rt.bad)', 'zero timeout');
SELECT throws_ok($$SELECT tasklib.register_task_type('rt.bad', backoff_base_seconds => 0)$$, 'TL002',
    'backoff_base_seconds must be a finite number >= 0.001, got 0 (task type rt.bad)', 'zero backoff');
SELECT throws_ok($$SELECT tasklib.register_task_type('rt.bad', backoff_max_seconds => 'Infinity')$$, 'TL002',
    'backoff_max_seconds must be a finite number > 0, got Infinity (task type rt.bad)', 'infinite backoff cap');
SELECT throws_ok($$SELECT tasklib.register_task_type('rt.bad', backoff_max_seconds => -1)$$, 'TL002',
    'backoff_max_seconds must be a finite number > 0, got -1 (task type rt.bad)', 'negative backoff cap');
SELECT throws_ok($$SELECT tasklib.register_task_type('rt.bad', queue => '')$$, 'TL002',
    'queue must be a non-empty string, got '''' (task type rt.bad)', 'empty queue');
SELECT is((SELECT count(*)::int FROM tasklib.task_types WHERE name = 'rt.bad'), 0, 'nothing was stored');

SELECT * FROM finish();
ROLLBACK;
