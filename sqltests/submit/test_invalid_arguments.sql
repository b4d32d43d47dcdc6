-- Each invalid option raises TL002 naming the option and its value, and nothing is stored.
BEGIN;
SELECT plan(27);

SELECT throws_ok($$SELECT tasklib.submit('')$$, 'TL002', 'task name must be a non-empty string', 'empty name');
SELECT throws_ok($$SELECT tasklib.submit(NULL)$$, 'TL002', NULL, 'NULL name');
SELECT throws_ok($$SELECT tasklib.submit(repeat('x', 256))$$, 'TL002', NULL, 'name longer than 255 characters');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', args => '[1]')$$, 'TL002',
    'args of task sqltest.bad must be a JSON object, got array', 'array args');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', args => '"x"')$$, 'TL002', NULL, 'string args');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', args => 'null')$$, 'TL002', NULL, 'JSON null args');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', args => NULL)$$, 'TL002', NULL, 'NULL args');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', tags => '["a"]')$$, 'TL002',
    'tags of task sqltest.bad must be a JSON object, got array', 'array tags');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', tags => NULL)$$, 'TL002', NULL, 'NULL tags');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', delay_seconds => -1)$$, 'TL002',
    'delay_seconds must be a number from 0 to 3155760000 (100 years), got -1 (task sqltest.bad)', 'negative delay');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', delay_seconds => 'NaN')$$, 'TL002', NULL, 'NaN delay');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', delay_seconds => 'Infinity')$$, 'TL002', NULL, 'infinite delay');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', delay_seconds => '-Infinity')$$, 'TL002', NULL, '-Infinity delay');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', delay_seconds => 1e13)$$, 'TL002', NULL, 'a delay past any valid timestamp');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', delay_seconds => NULL)$$, 'TL002',
    'delay_seconds must be a number from 0 to 3155760000 (100 years), got NULL (task sqltest.bad)', 'NULL delay');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', max_retries => -1)$$, 'TL002',
    'max_retries must be an integer from 0 to 100, got -1 (task sqltest.bad)', 'negative max_retries');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', max_retries => 2147483647)$$, 'TL002',
    'max_retries must be an integer from 0 to 100, got 2147483647 (task sqltest.bad)', 'max_retries 2147483647 (was accepted)');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', timeout_seconds => 0)$$, 'TL002', NULL, 'zero timeout');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', timeout_seconds => -3)$$, 'TL002', NULL, 'negative timeout');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', timeout_seconds => 'NaN')$$, 'TL002',
    'timeout_seconds must be a finite number > 0, got NaN (task sqltest.bad)', 'NaN timeout');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', timeout_seconds => 'Infinity')$$, 'TL002', NULL, 'infinite timeout');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', backoff_base_seconds => 0)$$, 'TL002',
    'backoff_base_seconds must be a finite number >= 0.001, got 0 (task sqltest.bad)', 'zero backoff base');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', backoff_base_seconds => 1e-300)$$, 'TL002',
    'backoff_base_seconds must be a finite number >= 0.001, got 1e-300 (task sqltest.bad)', 'backoff base 1e-300 (was accepted)');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', backoff_base_seconds => 'NaN')$$, 'TL002', NULL, 'NaN backoff base');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', backoff_base_seconds => 'Infinity')$$, 'TL002', NULL, 'infinite backoff base');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.bad', queue => '')$$, 'TL002',
    'queue must be a non-empty string, got '''' (task sqltest.bad)', 'empty queue');

SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE name LIKE 'sqltest.bad%'), 0,
    'no invalid submission was stored');

SELECT * FROM finish();
ROLLBACK;
