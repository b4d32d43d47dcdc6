-- claim(queues => ...) takes only tasks of those queues; NULL means every queue.
BEGIN;
SELECT plan(4);

DELETE FROM tasklib.tasks;
DO $do$ BEGIN
    PERFORM tasklib.submit_many($$[{"name": "sqltest.q.a", "queue": "a"}, {"name": "sqltest.q.b", "queue": "b"},
                                   {"name": "sqltest.q.c", "queue": "c"}, {"name": "sqltest.q.default"}]$$);
END $do$;

SELECT is_empty($$SELECT * FROM tasklib.claim('w', 10, queues => ARRAY['nope'])$$, 'an unused queue has nothing');
SELECT set_eq($$SELECT name FROM tasklib.claim('w', 10, queues => ARRAY['a', 'c'])$$,
    ARRAY['sqltest.q.a', 'sqltest.q.c'], 'only tasks of the listed queues are claimed');
SELECT set_eq($$SELECT name FROM tasklib.claim('w', 10)$$,
    ARRAY['sqltest.q.b', 'sqltest.q.default'], 'without queues, any queue''s task is claimed');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE state = 'running'), 4, 'all four run');

SELECT * FROM finish();
ROLLBACK;
