-- An invalid batch raises TL002 naming the problem and stores none of its tasks.
BEGIN;
SELECT plan(14);

SELECT throws_ok($$SELECT tasklib.submit_many(NULL)$$, 'TL002', 'tasks must be a JSON array of objects, got NULL', 'NULL batch');
SELECT throws_ok($$SELECT tasklib.submit_many('{"name": "x"}')$$, 'TL002', 'tasks must be a JSON array of objects, got object', 'an object, not an array');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.ok"}, 3]')$$, 'TL002',
    'tasks[1] must be a JSON object, got number', 'an element that is not an object');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.ok", "delay": 5}]')$$, 'TL002',
    'tasks[0] has unknown option "delay"', 'a misspelt option');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"args": {}}]')$$, 'TL002', 'task name must be a non-empty string', 'a missing name');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.ok"}, {"name": "sqltest.bad", "args": [1]}]')$$, 'TL002',
    'args of task sqltest.bad must be a JSON object, got array', 'non-object args');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.bad", "tags": "x"}]')$$, 'TL002', NULL, 'non-object tags');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.bad", "delay_seconds": -1}]')$$, 'TL002', NULL, 'negative delay');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.bad", "delay_seconds": "NaN"}]')$$, 'TL002', NULL, 'NaN delay');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.bad", "timeout_seconds": "Infinity"}]')$$, 'TL002', NULL, 'infinite timeout');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.bad", "max_retries": -2}]')$$, 'TL002', NULL, 'negative max_retries');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.bad", "priority": "high"}]')$$, 'TL002',
    'an option in tasks has the wrong type: invalid input syntax for type integer: "high"', 'a priority that is not a number');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.bad", "priority": 1e20}]')$$, 'TL002', NULL, 'a priority out of range');

SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE name IN ('sqltest.ok', 'sqltest.bad')), 0,
    'a batch with one bad element stores nothing');

SELECT * FROM finish();
ROLLBACK;
