-- is_terminal and task_defaults, read-only helpers of the public API, are granted to every
-- TaskLib role; a producer reads the terminal column with the rest of a task.
BEGIN;
SELECT plan(7);

SELECT tasklib.submit('roles.h');
SET LOCAL ROLE tasklib_producer;
SELECT lives_ok($$SELECT tasklib.is_terminal('failed', 3, 3)$$, 'producer can ask is_terminal');
SELECT lives_ok($$SELECT * FROM tasklib.task_defaults()$$, 'producer can read task_defaults');
SELECT is((SELECT terminal FROM tasklib.tasks WHERE name = 'roles.h'), false, 'producer reads tasks.terminal');
RESET ROLE;
SET LOCAL ROLE tasklib_worker;
SELECT lives_ok($$SELECT tasklib.is_terminal('failed', 3, 3), tasklib.task_defaults()$$, 'worker can ask both');
RESET ROLE;
SET LOCAL ROLE tasklib_monitor;
SELECT lives_ok($$SELECT tasklib.is_terminal('failed', 3, 3), tasklib.task_defaults()$$, 'monitor can ask both');
SELECT lives_ok($$SELECT * FROM tasklib.recent_failures$$, 'monitor still reads the views that read terminal');
RESET ROLE;
SELECT ok(NOT has_function_privilege('public', 'tasklib._option_problem(integer, double precision, text, double precision, double precision, double precision, double precision)', 'EXECUTE'),
    'the private option checker is not granted to PUBLIC');

SELECT * FROM finish();
ROLLBACK;
