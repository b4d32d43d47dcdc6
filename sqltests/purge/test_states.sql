-- purge(states => ...) limits which finished states are deleted.
BEGIN;
SELECT plan(3);

DELETE FROM tasklib.tasks;
INSERT INTO tasklib.tasks (name, state, retry_count, max_retries, completed_at)
VALUES ('completed', 'completed', 0, 3, now() - interval '30 days'),
       ('terminal',  'failed',    3, 3, now() - interval '30 days'),
       ('cancelled', 'cancelled', 0, 3, now() - interval '30 days');

SELECT is(tasklib.purge(states => ARRAY['completed']), 1, 'only completed tasks are purged');
SELECT set_eq($$SELECT name FROM tasklib.tasks$$, ARRAY['terminal', 'cancelled'], 'failures and cancellations are kept');
SELECT is(tasklib.purge(states => ARRAY['running', 'pending']), 0, 'states that are never finished purge nothing');

SELECT * FROM finish();
ROLLBACK;
