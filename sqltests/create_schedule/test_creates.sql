-- create_schedule stores a schedule with its defaults: args {}, UTC, catch-up one, not paused,
-- fire times from now on (starts_after), no fire yet. The cron text is stored with single spaces.
BEGIN;
SELECT plan(8);

DELETE FROM tasklib.schedules;
SELECT lives_ok($$SELECT tasklib.create_schedule('sqltest.nightly', 'reports.daily', E' 0  3\t* * * ')$$,
    'a schedule is created from its name, task and cron expression');
SELECT row_eq($$SELECT name, task_name, cron, args, timezone, catch_up, paused FROM tasklib.schedules$$,
    ROW('sqltest.nightly'::text, 'reports.daily'::text, '0 3 * * *'::text, '{}'::jsonb, 'UTC'::text, 'one'::text, false),
    'with args {}, UTC, catch_up one, not paused, and the cron text normalised');
SELECT is((SELECT starts_after FROM tasklib.schedules), now(), 'its fire times start after now');
SELECT ok((SELECT next_fire_at IS NULL AND last_fire_at IS NULL AND last_task_id IS NULL AND last_error IS NULL
             FROM tasklib.schedules), 'no fire yet, no next fire computed yet');
SELECT row_eq($$SELECT task_name, args, timezone, catch_up
                  FROM tasklib.create_schedule('sqltest.weekly', 'reports.weekly', '0 6 * * 1',
                                               '{"kind": "full"}', 'Europe/Paris', 'skip')$$,
    ROW('reports.weekly'::text, '{"kind": "full"}'::jsonb, 'Europe/Paris'::text, 'skip'::text),
    'args, timezone and catch_up are stored as given, and the row returned');
SELECT row_eq($$SELECT args, timezone, catch_up
                  FROM tasklib.create_schedule('sqltest.nulls', 'x', '* * * * *', NULL, NULL, NULL)$$,
    ROW('{}'::jsonb, 'UTC'::text, 'one'::text), 'NULL args, timezone and catch_up take the defaults');
SELECT lives_ok($$SELECT tasklib.create_schedule(name => 'sqltest.seconds', task_name => 'x', cron => '*/2 * * * * *')$$,
    'six fields (seconds first) are accepted');
SELECT lives_ok($$SELECT tasklib.create_schedule('sqltest.alias', 'x', '@hourly')$$, 'an @alias is accepted');

SELECT * FROM finish();
ROLLBACK;
