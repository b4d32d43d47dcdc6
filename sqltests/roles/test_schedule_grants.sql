-- Who may do what with schedules: only tasklib_admin creates, pauses, resumes and removes them
-- (a schedule submits tasks by itself); workers read them and fire them; monitors read
-- schedule_status. Every schedule function is SECURITY DEFINER with a pinned search_path.
BEGIN;
SELECT plan(13);

SELECT is_empty(
    $$SELECT p.proname FROM pg_proc p
       WHERE p.pronamespace = 'tasklib'::regnamespace
         AND p.proname IN ('create_schedule', 'pause_schedule', 'resume_schedule', 'remove_schedule',
                           'fire_schedule', 'set_schedule_next_fire')
         AND NOT (p.prosecdef AND p.proconfig = ARRAY['search_path=pg_catalog, pg_temp'])$$,
    'every schedule function is SECURITY DEFINER with search_path = pg_catalog, pg_temp');
SELECT ok(has_function_privilege('tasklib_admin', 'tasklib.create_schedule(text, text, text, jsonb, text, text)', 'EXECUTE'),
    'tasklib_admin may create schedules');
SELECT ok(has_function_privilege('tasklib_admin', 'tasklib.pause_schedule(text)', 'EXECUTE')
          AND has_function_privilege('tasklib_admin', 'tasklib.resume_schedule(text)', 'EXECUTE')
          AND has_function_privilege('tasklib_admin', 'tasklib.remove_schedule(text)', 'EXECUTE'),
    'and pause, resume and remove them');
SELECT is_empty(
    $$SELECT r.rolname || ' ' || f.sig FROM unnest(ARRAY['tasklib_producer', 'tasklib_worker', 'tasklib_monitor', 'public']) AS r(rolname),
             unnest(ARRAY['tasklib.create_schedule(text, text, text, jsonb, text, text)', 'tasklib.pause_schedule(text)',
                          'tasklib.resume_schedule(text)', 'tasklib.remove_schedule(text)']) AS f(sig)
       WHERE has_function_privilege(r.rolname, f.sig, 'EXECUTE')$$,
    'no producer, worker, monitor or PUBLIC may manage schedules');
SELECT ok(has_function_privilege('tasklib_worker', 'tasklib.fire_schedule(text, timestamptz, timestamptz)', 'EXECUTE')
          AND has_function_privilege('tasklib_worker', 'tasklib.set_schedule_next_fire(text, timestamptz)', 'EXECUTE'),
    'a worker fires schedules and records their next fire time');
SELECT is_empty(
    $$SELECT r.rolname FROM unnest(ARRAY['tasklib_producer', 'tasklib_monitor', 'tasklib_admin', 'public']) AS r(rolname)
       WHERE has_function_privilege(r.rolname, 'tasklib.fire_schedule(text, timestamptz, timestamptz)', 'EXECUTE')$$,
    'nobody else fires them');
SELECT ok(has_table_privilege('tasklib_worker', 'tasklib.schedules', 'SELECT')
          AND has_table_privilege('tasklib_admin', 'tasklib.schedules', 'SELECT'),
    'workers and administrators read the schedules');
SELECT ok(NOT has_table_privilege('tasklib_worker', 'tasklib.schedules', 'UPDATE')
          AND NOT has_table_privilege('tasklib_admin', 'tasklib.schedule_fires', 'INSERT'),
    'nobody writes the tables directly');
SELECT ok(has_table_privilege('tasklib_monitor', 'tasklib.schedule_status', 'SELECT'), 'a monitor reads schedule_status');
SELECT ok(NOT has_table_privilege('tasklib_producer', 'tasklib.schedule_status', 'SELECT'), 'a producer does not');

SET LOCAL ROLE tasklib_worker;
SELECT throws_ok($$SELECT tasklib.create_schedule('sqltest.w', 'x', '* * * * *')$$, '42501', NULL,
    'a worker''s create_schedule is refused');
RESET ROLE;
SET LOCAL ROLE tasklib_admin;
SELECT is((tasklib.create_schedule('sqltest.a', 'x', '* * * * *')).name, 'sqltest.a', 'an administrator''s works');
RESET ROLE;
UPDATE tasklib.schedules SET starts_after = now() - interval '1 hour' WHERE name = 'sqltest.a';
SET LOCAL ROLE tasklib_worker;
SELECT is((SELECT count(*)::int FROM tasklib.fire_schedule('sqltest.a', date_trunc('minute', now()))), 1,
    'a worker''s fire_schedule submits the task, though a worker may not submit itself');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
