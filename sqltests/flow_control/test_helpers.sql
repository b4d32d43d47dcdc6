-- The private helpers of flow control: a token bucket's level and next token, and the queue row
-- that the admin functions change (created when missing, locked). None is callable by the roles.
BEGIN;
SELECT plan(9);

SELECT is(tasklib._bucket_level(NULL, NULL, 10, 1, 5), 5::float8, 'a bucket never read is full');
SELECT is(tasklib._bucket_level(0, now() - interval '200 milliseconds', 10, 1, 5), 2::float8, 'it refills at rate/period per second');
SELECT is(tasklib._bucket_level(1, now() - interval '1 hour', 10, 1, 5), 5::float8, 'up to its burst');
SELECT is(tasklib._bucket_ready_at(0.5, 2, 1), now() + interval '250 milliseconds', 'half a token at 2/s: a whole one in 0.25 s');
SELECT is(tasklib._bucket_ready_at(1.5, 2, 1), now(), 'a token already there: now');

DELETE FROM tasklib.queues WHERE name = 'sqltest.helper';
SELECT results_eq($$SELECT name, paused, limited FROM tasklib._queue_for_update('sqltest.helper')$$,
    $$VALUES ('sqltest.helper'::text, false, false)$$, '_queue_for_update adds a missing queue, without limits');
SELECT is((SELECT count(*)::int FROM tasklib.queues WHERE name = 'sqltest.helper'), 1, 'and finds it the next time');
SELECT throws_ok($$SELECT tasklib._queue_for_update('')$$, 'TL002', NULL, 'an empty name is refused');
SELECT is_empty(
    $$SELECT f FROM unnest(ARRAY['tasklib._queue_for_update(text)', 'tasklib._choose_limited(text, integer, text[])',
                                 'tasklib._bucket_ready_at(double precision, integer, double precision)']) AS f,
                  unnest(ARRAY['tasklib_producer', 'tasklib_worker', 'tasklib_monitor', 'tasklib_admin', 'public']) AS r
       WHERE has_function_privilege(r, f, 'EXECUTE')$$,
    'no role may call the private helpers (but _bucket_level, which queue_flow''s readers call)');

SELECT * FROM finish();
ROLLBACK;
