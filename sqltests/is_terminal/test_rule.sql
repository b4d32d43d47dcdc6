-- The rule: completed and cancelled tasks are finished for good, a failed one when its retries
-- are spent (retry_count >= max_retries); pending and running ones never. For failed tasks it
-- says exactly what the seed's failed_permanent / failed_retrying predicates say.
BEGIN;
SELECT plan(13);

SELECT is(tasklib.is_terminal('pending', 0, 3), false, 'pending is not terminal');
SELECT is(tasklib.is_terminal('pending', 5, 3), false, 'pending is not terminal, whatever its counts');
SELECT is(tasklib.is_terminal('running', 3, 3), false, 'running is not terminal');
SELECT is(tasklib.is_terminal('completed', 0, 3), true, 'completed is terminal');
SELECT is(tasklib.is_terminal('cancelled', 0, 3), true, 'cancelled is terminal');
SELECT is(tasklib.is_terminal('failed', 0, 3), false, 'failed with retries left is not terminal');
SELECT is(tasklib.is_terminal('failed', 2, 3), false, 'failed with one retry left is not terminal');
SELECT is(tasklib.is_terminal('failed', 3, 3), true, 'failed with retry_count = max_retries is terminal');
SELECT is(tasklib.is_terminal('failed', 4, 3), true, 'failed with retry_count > max_retries is terminal');
SELECT is(tasklib.is_terminal('failed', 0, 0), true, 'failed with max_retries 0 is terminal at once');
SELECT is(tasklib.is_terminal(NULL, 0, 3), NULL, 'an unknown state gives NULL (the column''s inputs are NOT NULL)');

CREATE TEMP TABLE grid AS
SELECT s.state, rc.n AS retry_count, mr.n AS max_retries
  FROM unnest(ARRAY['pending', 'running', 'completed', 'failed', 'cancelled']) AS s(state),
       generate_series(0, 4) AS rc(n), generate_series(0, 4) AS mr(n);
SELECT is_empty($$
    SELECT * FROM grid
     WHERE (state = 'failed' AND tasklib.is_terminal(state, retry_count, max_retries))
           IS DISTINCT FROM (state='failed' AND retry_count >= max_retries)
        OR (state = 'failed' AND NOT tasklib.is_terminal(state, retry_count, max_retries))
           IS DISTINCT FROM (state='failed' AND retry_count < max_retries)$$,
    'among failed tasks, terminal is the seed''s failed_permanent and not terminal its failed_retrying');
SELECT is_empty($$
    SELECT * FROM grid
     WHERE tasklib.is_terminal(state, retry_count, max_retries)
           IS DISTINCT FROM (state IN ('completed', 'cancelled') OR (state = 'failed' AND retry_count >= max_retries))$$,
    'over every state and count, terminal means completed, cancelled, or failed for good');

SELECT * FROM finish();
ROLLBACK;
