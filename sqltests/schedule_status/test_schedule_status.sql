-- schedule_status shows each schedule with its latest fire's task and state; a monitor sees it
-- without the args and the refusal text, which only readers of tasklib.schedules see.
BEGIN;
SELECT plan(5);

DELETE FROM tasklib.schedules;
DELETE FROM tasklib.tasks;
SELECT 1 FROM tasklib.create_schedule('sqltest.s', 'sqltest.job', '*/5 * * * *', '{"secret": "hunter2"}', 'Europe/Paris', 'skip');
UPDATE tasklib.schedules SET starts_after = now() - interval '1 hour';
SELECT 1 FROM tasklib.fire_schedule('sqltest.s', date_trunc('minute', now()) - interval '5 minutes', date_trunc('minute', now()));
UPDATE tasklib.schedules SET last_error = 'refused: secret';

SELECT row_eq($$SELECT name, task_name, cron, timezone, catch_up, paused, next_fire_at, last_fire_at, last_task_state, last_fire_refused
                  FROM tasklib.schedule_status$$,
    ROW('sqltest.s'::text, 'sqltest.job'::text, '*/5 * * * *'::text, 'Europe/Paris'::text, 'skip'::text, false,
        date_trunc('minute', now()), date_trunc('minute', now()) - interval '5 minutes', 'pending'::text, true),
    'one row per schedule: definition, pause, next and latest fire, the latest task''s state');
SELECT is((SELECT last_task_id FROM tasklib.schedule_status), (SELECT id FROM tasklib.tasks), 'and the latest task''s id');
SELECT row_eq($$SELECT args, last_error FROM tasklib.schedule_status$$, ROW('{"secret": "hunter2"}'::jsonb, 'refused: secret'::text),
    'an administrator sees the args and the refusal text');
SET LOCAL ROLE tasklib_monitor;
SELECT row_eq($$SELECT name, args, last_error, last_fire_refused FROM tasklib.schedule_status$$,
    ROW('sqltest.s'::text, NULL::jsonb, NULL::text, true), 'a monitor sees neither');
SELECT throws_ok($$SELECT * FROM tasklib.schedules$$, '42501', NULL, 'nor the table');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
