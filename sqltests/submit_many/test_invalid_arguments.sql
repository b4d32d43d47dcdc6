-- An invalid batch raises TL002 naming the problem and the position of the element, and stores
-- none of its tasks.
BEGIN;
SELECT plan(20);

SELECT throws_ok($$SELECT tasklib.submit_many(NULL)$$, 'TL002', 'tasks must be a JSON array of objects, got NULL', 'NULL batch');
SELECT throws_ok($$SELECT tasklib.submit_many('{"name": "x"}')$$, 'TL002', 'tasks must be a JSON array of objects, got object', 'an object, not an array');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.ok"}, 3]')$$, 'TL002',
    'tasks[1] must be a JSON object, got number', 'an element that is not an object');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.ok", "delay": 5}]')$$, 'TL002',
    'tasks[0] has unknown option "delay"', 'a misspelt option');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"args": {}}]')$$, 'TL002', 'tasks[0]: task name must be a non-empty string', 'a missing name');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.ok"}, {"name": "sqltest.bad", "args": [1]}]')$$, 'TL002',
    'tasks[1]: args of task sqltest.bad must be a JSON object, got array', 'non-object args');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.bad", "tags": "x"}]')$$, 'TL002', NULL, 'non-object tags');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.bad", "delay_seconds": -1}]')$$, 'TL002', NULL, 'negative delay');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.bad", "delay_seconds": "NaN"}]')$$, 'TL002', NULL, 'NaN delay');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.bad", "timeout_seconds": "Infinity"}]')$$, 'TL002', NULL, 'infinite timeout');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.bad", "max_retries": -2}]')$$, 'TL002', NULL, 'negative max_retries');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.ok"}, {"name": "sqltest.bad", "max_retries": 101}]')$$, 'TL002',
    'tasks[1]: max_retries must be an integer from 0 to 100, got 101 (task sqltest.bad)',
    'an option value out of range names the element (it did not)');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.bad", "priority": "high"}]')$$, 'TL002',
    'tasks[0].priority must be an integer from -2147483648 to 2147483647, got "high"', 'a priority that is not a number');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.ok"}, {"name": "sqltest.bad", "priority": 1e20}]')$$, 'TL002',
    'tasks[1].priority must be an integer from -2147483648 to 2147483647, got 100000000000000000000',
    'a priority out of range names the element (it was 22003 without a position)');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.ok"}, {"name": "sqltest.ok"}, {"name": "sqltest.bad", "priority": 2147483648}]')$$, 'TL002',
    'tasks[2].priority must be an integer from -2147483648 to 2147483647, got 2147483648', 'one past int4');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.ok"}, {"name": "sqltest.bad", "priority": 1.5}]')$$, 'TL002',
    'tasks[1].priority must be an integer from -2147483648 to 2147483647, got 1.5', 'a fractional priority (was 22P02)');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.ok"}, {"name": "sqltest.bad", "priority": "1.5"}]')$$, 'TL002',
    'tasks[1].priority must be an integer from -2147483648 to 2147483647, got "1.5"', 'a fractional priority as a string');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.ok"}, {"name": "sqltest.bad", "timeout_seconds": "soon"}]')$$, 'TL002',
    'tasks[1].timeout_seconds must be a number, got "soon"', 'a timeout that is not a number');
SELECT lives_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.fine", "priority": -2147483648}, {"name": "sqltest.fine", "priority": 2147483647}]')$$,
    'any int4 priority is fine');

SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE name IN ('sqltest.ok', 'sqltest.bad')), 0,
    'a batch with one bad element stores nothing');

SELECT * FROM finish();
ROLLBACK;
