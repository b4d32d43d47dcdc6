-- A task that submit refuses (here: args that break the schema the task registered after the
-- schedule was made) does not abort the fire: the fire time is spent, the error recorded on the
-- fire and the schedule, and no task submitted. Once the args fit, the next fire submits again.
BEGIN;
SELECT plan(6);

DELETE FROM tasklib.schedules;
DELETE FROM tasklib.tasks;
SELECT 1 FROM tasklib.create_schedule('sqltest.bad', 'sqltest.typed', '* * * * * *', '{"m": 1}');
UPDATE tasklib.schedules SET starts_after = now() - interval '1 hour';
SELECT tasklib.register_task_type('sqltest.typed', '{"type": "object", "properties": {"n": {"type": "integer"}},
                                                     "required": ["n"], "additionalProperties": false}');

SELECT row_eq($$SELECT task_id, error FROM tasklib.fire_schedule('sqltest.bad', date_trunc('second', now()) - interval '2 seconds')$$,
    ROW(NULL::uuid, 'arguments of task sqltest.typed break its registered schema: missing required key "n"'::text),
    'the fire returns its row with submit''s error and no task');
SELECT is((SELECT count(*)::int FROM tasklib.tasks), 0, 'no task was submitted');
SELECT is((SELECT last_error FROM tasklib.schedules), 'arguments of task sqltest.typed break its registered schema: missing required key "n"',
    'the schedule shows the error');
SELECT is_empty($$SELECT * FROM tasklib.fire_schedule('sqltest.bad', date_trunc('second', now()) - interval '2 seconds')$$,
    'the fire time is spent: it is not tried again');

SELECT 1 FROM tasklib.create_schedule('sqltest.bad', 'sqltest.typed', '* * * * * *', '{"n": 1}');
SELECT isnt((SELECT task_id FROM tasklib.fire_schedule('sqltest.bad', date_trunc('second', now()) - interval '1 second')), NULL,
    'with fitting args the next fire submits its task');
SELECT is((SELECT last_error FROM tasklib.schedules), NULL, 'and the error is gone from the schedule');

SELECT * FROM finish();
ROLLBACK;
