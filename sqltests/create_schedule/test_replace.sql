-- create_schedule on an existing name replaces its definition. Repeating the stored definition
-- writes nothing (every worker applies its declarations at start); another cron expression or
-- time zone starts the fire times from now; another task, args or catch-up keeps them. A pause
-- and the fire history stay.
BEGIN;
SELECT plan(9);

DELETE FROM tasklib.schedules;
SELECT 1 FROM tasklib.create_schedule('sqltest.r', 'reports.daily', '0 3 * * *', '{"a": 1}', 'Europe/Paris');
UPDATE tasklib.schedules
   SET starts_after = now() - interval '2 days', last_fire_at = now() - interval '1 day',
       next_fire_at = now() + interval '1 hour', updated_at = now() - interval '2 days', paused = true;
CREATE TEMP TABLE before_row AS SELECT ctid::text AS version, * FROM tasklib.schedules;

SELECT 1 FROM tasklib.create_schedule('sqltest.r', 'reports.daily', '0   3 * * *', '{"a": 1}', 'Europe/Paris');
SELECT is((SELECT ctid::text FROM tasklib.schedules), (SELECT version FROM before_row),
    'the same definition again leaves the row untouched (not even rewritten)');

SELECT is((tasklib.create_schedule('sqltest.r', 'reports.other', '0 3 * * *', '{"a": 2}', 'Europe/Paris', 'skip')).args,
    '{"a": 2}'::jsonb, 'another task, args and catch-up replace the stored ones');
SELECT row_eq($$SELECT starts_after, next_fire_at, last_fire_at, paused FROM tasklib.schedules$$,
    (SELECT ROW(starts_after, next_fire_at, last_fire_at, paused) FROM before_row),
    'and keep the fire times, the history and the pause');
SELECT is((SELECT updated_at FROM tasklib.schedules), now(), 'updated_at says when');

SELECT 1 FROM tasklib.create_schedule('sqltest.r', 'reports.other', '30 3 * * *', '{"a": 2}', 'Europe/Paris', 'skip');
SELECT is((SELECT starts_after FROM tasklib.schedules), now(),
    'another cron expression starts the fire times from now: nothing before it is caught up');
SELECT is((SELECT next_fire_at FROM tasklib.schedules), NULL, 'and forgets the next fire time computed for the old one');
SELECT ok((SELECT paused AND last_fire_at = now() - interval '1 day' FROM tasklib.schedules),
    'the pause and the latest fire stay');

UPDATE tasklib.schedules SET starts_after = now() - interval '2 days';
SELECT 1 FROM tasklib.create_schedule('sqltest.r', 'reports.other', '30 3 * * *', '{"a": 2}', 'UTC', 'skip');
SELECT is((SELECT starts_after FROM tasklib.schedules), now(), 'so does another time zone');
SELECT is((SELECT count(*)::int FROM tasklib.schedules), 1, 'still one schedule of that name');

SELECT * FROM finish();
ROLLBACK;
