-- create_schedule refuses, with TL002 naming the problem and the schedule, what it can tell is
-- wrong: the name, the cron expression's shape, the time zone, the catch-up policy, and the task
-- name and args as submit would (TL005 when the args break the task's registered schema).
BEGIN;
SELECT plan(10);

DELETE FROM tasklib.schedules;
SELECT throws_ok($$SELECT tasklib.create_schedule('', 'x', '* * * * *')$$, 'TL002',
    'schedule name must be a non-empty string of at most 255 characters, got ''''', 'an empty name');
SELECT throws_ok($$SELECT tasklib.create_schedule(repeat('n', 256), 'x', '* * * * *')$$, 'TL002', NULL, 'a name too long');
SELECT throws_ok($$SELECT tasklib.create_schedule('s', 'x', '* * *')$$, 'TL002',
    'cron must have 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), got 3: ''* * *'' (schedule s)',
    'a cron expression of 3 fields');
SELECT throws_ok($$SELECT tasklib.create_schedule('s', 'x', NULL)$$, 'TL002',
    'cron must be a non-empty cron expression (schedule s)', 'no cron expression');
SELECT throws_ok($$SELECT tasklib.create_schedule('s', 'x', '* * * * *', timezone => 'Mars/Olympus')$$, 'TL002',
    'timezone must be a time zone name such as ''UTC'' or ''Europe/Paris'', got ''Mars/Olympus'' (schedule s)',
    'an unknown time zone');
SELECT throws_ok($$SELECT tasklib.create_schedule('s', 'x', '* * * * *', catch_up => 'all')$$, 'TL002',
    'catch_up must be ''one'' or ''skip'', got ''all'' (schedule s)', 'an unknown catch-up policy');
SELECT throws_ok($$SELECT tasklib.create_schedule('s', '', '* * * * *')$$, 'TL002',
    'task name must be a non-empty string', 'an empty task name');
SELECT throws_ok($$SELECT tasklib.create_schedule('s', 'x', '* * * * *', '[1]')$$, 'TL002',
    'args of task x must be a JSON object, got array', 'args that are not an object');

SELECT tasklib.register_task_type('sqltest.typed', '{"type": "object", "properties": {"n": {"type": "integer"}},
                                                     "required": ["n"], "additionalProperties": false}');
SELECT throws_ok($$SELECT tasklib.create_schedule('s', 'sqltest.typed', '* * * * *', '{"m": 1}')$$, 'TL005', NULL,
    'args that break the registered schema of the task');
SELECT is((SELECT count(*)::int FROM tasklib.schedules), 0, 'nothing was stored');

SELECT * FROM finish();
ROLLBACK;
