-- Submitting adds a queue to tasklib.queues on first use (with no limits), and sets a task's
-- limit_key: given, or taken from the argument its task type names (limit_key_arg).
BEGIN;
SELECT plan(6);

DELETE FROM tasklib.tasks;
DELETE FROM tasklib.queues WHERE name LIKE 'sqltest.%';
SELECT count(tasklib.submit('sqltest.k', queue => 'sqltest.new'));
SELECT results_eq($$SELECT name, paused, limited FROM tasklib.queues WHERE name = 'sqltest.new'$$,
    $$VALUES ('sqltest.new'::text, false, false)$$, 'submit adds a new queue, without limits');
SELECT count(tasklib.submit('sqltest.k', queue => 'sqltest.new'));
SELECT is((SELECT count(*)::int FROM tasklib.queues WHERE name = 'sqltest.new'), 1, 'once');
SELECT count(*) FROM tasklib.submit_many('[{"name": "sqltest.k", "queue": "sqltest.many"}, {"name": "sqltest.k", "queue": "sqltest.many"}]');
SELECT is((SELECT count(*)::int FROM tasklib.queues WHERE name = 'sqltest.many'), 1, 'submit_many adds its queues too');

SELECT 1 FROM tasklib.register_task_type('sqltest.keyed', limit_key_arg => 'customer_id');
-- (A statement does not see the rows it inserts: each submit first, then its row.)
CREATE TEMP TABLE submitted (label text, id uuid);
INSERT INTO submitted VALUES ('explicit', tasklib.submit('sqltest.k', limit_key => 'acme'));
INSERT INTO submitted VALUES ('derived', tasklib.submit('sqltest.keyed', '{"customer_id": 42}'));
INSERT INTO submitted VALUES ('both', tasklib.submit('sqltest.keyed', '{"customer_id": 42}', limit_key => 'vip'));
INSERT INTO submitted SELECT 'many', s.id FROM tasklib.submit_many('[{"name": "sqltest.keyed", "args": {"customer_id": "c7"}}]') AS s(id);
SELECT results_eq($$SELECT s.label, t.limit_key FROM submitted s JOIN tasklib.tasks t USING (id) ORDER BY s.label$$,
    $$VALUES ('both', 'vip'), ('derived', '42'), ('explicit', 'acme'), ('many', 'c7')$$,
    'an explicit limit_key; else the value of the argument the task type names (limit_key_arg); explicit wins; submit_many alike');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.k', limit_key => '')$$, 'TL002',
    'limit_key must be a non-empty string of at most 255 characters, got ''''', 'an empty key is refused');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.k", "limit_key": 5}]')$$, 'TL002',
    'tasks[0].limit_key must be a non-empty string of at most 255 characters, got 5', 'a number as key in submit_many is refused, named');

SELECT * FROM finish();
ROLLBACK;
