-- The delay never exceeds max_seconds (default: task_defaults()'s backoff_max_seconds, 3600),
-- even for huge retry counts.
BEGIN;
SELECT plan(9);

SELECT is(tasklib.backoff_delay(5, 9), interval '2560 seconds', 'below the cap the delay doubles');
SELECT is(tasklib.backoff_delay(5, 10), interval '3600 seconds', 'retry_count 10 hits the default cap of an hour');
SELECT is(tasklib.backoff_delay(5, 30), make_interval(secs => (tasklib.task_defaults()).backoff_max_seconds),
    'the default cap is the global backoff_max_seconds');
SELECT is(tasklib.backoff_delay(5, 3, 30), interval '30 seconds', 'a custom cap applies');
SELECT is(tasklib.backoff_delay(5, 2147483647), interval '3600 seconds', 'the largest retry_count does not overflow');
SELECT is(tasklib.backoff_delay(5, -3), interval '5 seconds', 'a negative retry_count counts as 0');
SELECT is(tasklib.backoff_delay(5, NULL), NULL, 'a NULL retry_count gives NULL, not a made-up delay');
SELECT is(tasklib.backoff_delay(5, 2, NULL), NULL, 'a NULL cap gives NULL, not an uncapped delay');
SELECT is(tasklib.backoff_delay(NULL, 2), NULL, 'a NULL base gives NULL');

SELECT * FROM finish();
ROLLBACK;
