-- purge deletes at most batch_size rows per call; calling until 0 deletes them all.
BEGIN;
SELECT plan(5);

DELETE FROM tasklib.tasks;
INSERT INTO tasklib.tasks (name, state, completed_at)
SELECT 'sqltest.purge.' || i, 'completed', now() - interval '30 days' FROM generate_series(1, 25) AS i;

SELECT is(tasklib.purge(batch_size => 10), 10, 'the first call deletes 10');
SELECT is(tasklib.purge(batch_size => 10), 10, 'the second call deletes 10');
SELECT is(tasklib.purge(batch_size => 10), 5, 'the third deletes the last 5');
SELECT is(tasklib.purge(batch_size => 10), 0, 'then there is nothing left to purge');
SELECT is((SELECT count(*)::int FROM tasklib.tasks), 0, 'the table is empty');

SELECT * FROM finish();
ROLLBACK;
