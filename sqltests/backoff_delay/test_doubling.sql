-- The delay is base * 2^retry_count: with base 5, 5, 10, 20, 40, 80, 160 seconds for retry_count 0..5.
BEGIN;
SELECT plan(3);

SELECT results_eq(
    $$SELECT r, tasklib.backoff_delay(5, r) FROM generate_series(0, 5) AS r$$,
    $$VALUES (0, interval '5 seconds'), (1, interval '10 seconds'), (2, interval '20 seconds'),
             (3, interval '40 seconds'), (4, interval '80 seconds'), (5, interval '160 seconds')$$,
    'base 5 doubles from 5 seconds');
SELECT is(tasklib.backoff_delay(0.25, 3), interval '2 seconds', 'a fractional base works');
SELECT is(tasklib.backoff_delay(base_seconds => 1, retry_count => 4), interval '16 seconds', 'named arguments work');

SELECT * FROM finish();
ROLLBACK;
